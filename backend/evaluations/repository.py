"""Bulk reads of the registry records rules need, and bulk writes of decisions."""

from __future__ import annotations

import bisect
import json
from collections.abc import Collection, Iterable, Sequence
from typing import Any

import asyncpg
import pandas as pd
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.driver import driver_connection
from rules.facts import FILING_FIELDS

FILING_COLUMNS = [f.name for f in FILING_FIELDS]

BUREAU, TECH_FIELD = "bureau", "tech_field"  # score_distribution.peer_kind
SCORES_PER_ROW = 1_000  # distinct scores per score_distribution row: what a percentile lookup reads at most
DISTRIBUTION_LOCK = 0x7469_6475_0004  # pg_advisory_xact_lock key of score distribution rebuilds ("tidu" 4)
# Per (program, peer group): each distinct score with how many peers score at or below it, cut
# into rows of $3 scores. Peers are grouped by the firm row's current bureau and tech field.
DISTRIBUTION_SQL = f"""
INSERT INTO score_distribution
    (program, year, peer_kind, peer_value, top_score, peers, below, scores, at_or_below, firm_revision_id)
WITH scored AS (
    SELECT l.program, e.score, f.bureau_code, f.tech_field
    FROM evaluation_latest l
    JOIN evaluation e ON e.id = l.evaluation_id
    JOIN firm f ON f.id = l.firm_id
    WHERE l.year = $2 AND l.program = ANY($1::text[]) AND e.score IS NOT NULL
), grouped AS (
    SELECT program, '{BUREAU}' AS peer_kind, bureau_code AS peer_value, score, count(*) AS n
    FROM scored GROUP BY program, bureau_code, score
    UNION ALL
    SELECT program, '{TECH_FIELD}', tech_field, score, count(*)
    FROM scored WHERE tech_field IS NOT NULL GROUP BY program, tech_field, score
), ranked AS (
    SELECT program, peer_kind, peer_value, score, n,
           sum(n) OVER (PARTITION BY program, peer_kind, peer_value ORDER BY score) AS at_or_below,
           sum(n) OVER (PARTITION BY program, peer_kind, peer_value) AS peers,
           (row_number() OVER (PARTITION BY program, peer_kind, peer_value ORDER BY score) - 1) / $3::int AS part
    FROM grouped
)
SELECT program, $2::int, peer_kind, peer_value, max(score), max(peers)::int, min(at_or_below - n)::int,
       array_agg(score ORDER BY score), array_agg(at_or_below::int ORDER BY score), $4::bigint
FROM ranked GROUP BY program, peer_kind, peer_value, part
"""


def _frame(records: Sequence[asyncpg.Record], columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame.from_records([tuple(r) for r in records], columns=list(columns))


class FactsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def firm_ids(self, bureau: str | None = None) -> list[int]:
        db = await driver_connection(self.session)
        if bureau is None:
            rows = await db.fetch("SELECT id FROM firm ORDER BY id")
        else:
            rows = await db.fetch("SELECT id FROM firm WHERE bureau_code = $1 ORDER BY id", bureau)
        return [row[0] for row in rows]

    # Each kind of record is read by one query; the registry's path takes it as a frame, the
    # status path (one firm) as plain rows. The columns are those RawInputs / FirmRecords name.
    FIRM = ("firm_id", "uscc", "name", "registered_on", "bureau", "district", "zone", "tech_field")
    FILING = ("firm_id", "fiscal_year", *FILING_COLUMNS)
    BUSINESS = ("firm_id", "abnormal_operation", "serious_violation")
    IP = ("firm_id", "fiscal_year", "ip1", "ip2")
    CERTIFICATE = ("firm_id", "kind", "issued_on", "expires_on", "status")
    TIER = ("firm_id", "tier", "year", "state", "valid_from", "valid_to")
    AWARD = ("firm_id", "program", "year", "amount_yuan", "state")

    async def firms(self, ids: Sequence[int]) -> pd.DataFrame:
        return _frame(await self.firm_rows(ids), self.FIRM).set_index("firm_id")

    async def filings(self, ids: Sequence[int], first_year: int, last_year: int) -> pd.DataFrame:
        return _frame(await self.filing_rows(ids, first_year, last_year), self.FILING)

    async def business(self, ids: Sequence[int]) -> pd.DataFrame:
        return _frame(await self.business_rows(ids), self.BUSINESS)

    async def ip_counts(self, ids: Sequence[int], first_year: int, last_year: int) -> pd.DataFrame:
        return _frame(await self.ip_rows(ids, first_year, last_year), self.IP)

    async def certificates(self, ids: Sequence[int]) -> pd.DataFrame:
        return _frame(await self.certificate_rows(ids), self.CERTIFICATE)

    async def tiers(self, ids: Sequence[int]) -> pd.DataFrame:
        return _frame(await self.tier_rows(ids), self.TIER)

    async def awards(self, ids: Sequence[int]) -> pd.DataFrame:
        return _frame(await self.award_rows(ids), self.AWARD)

    async def firm_rows(self, ids: Sequence[int]) -> list[asyncpg.Record]:
        db = await driver_connection(self.session)
        return await db.fetch(
            "SELECT id, uscc, name, registered_on, bureau_code, district_code, functional_zone, tech_field "
            "FROM firm WHERE id = ANY($1::bigint[]) ORDER BY id",
            list(ids),
        )

    async def filing_rows(self, ids: Sequence[int], first_year: int, last_year: int) -> list[asyncpg.Record]:
        """The current revision of each filing in the fiscal years [first_year, last_year]."""
        return await self._fetch(FILING_SQL, ids, first_year, last_year)

    async def business_rows(self, ids: Sequence[int]) -> list[asyncpg.Record]:
        """The business-registration register's current integrity flags of each listed firm (by USCC)."""
        return await self._fetch(BUSINESS_SQL, ids)

    async def ip_rows(self, ids: Sequence[int], first_year: int, last_year: int) -> list[asyncpg.Record]:
        """Class I and II IP records valid on 31 Dec of each fiscal year in [first_year, last_year].

        One row per (firm, year) for every firm with any class I or II record in the IP register (0, 0
        when none is valid that year): a firm the register holds no counted record for (nothing, or
        only trademarks) has no row, so it is not covered and its declaration stands.
        """
        return await self._fetch(IP_SQL, ids, first_year, last_year)

    async def certificate_rows(self, ids: Sequence[int]) -> list[asyncpg.Record]:
        return await self._fetch(CERTIFICATE_SQL, ids)

    async def tier_rows(self, ids: Sequence[int]) -> list[asyncpg.Record]:
        return await self._fetch(TIER_SQL, ids)

    async def award_rows(self, ids: Sequence[int]) -> list[asyncpg.Record]:
        return await self._fetch(AWARD_SQL, ids)

    async def record_rows(
        self, firm_id: int, first_year: int, last_year: int
    ) -> dict[str, list[tuple[Any, ...]]]:
        """One firm's filings, certificates, tiers, awards, business and IP rows, in one round trip.

        The same queries as the reads above, each folded into an array of rows: a status answers
        after one wait on the database instead of six.
        """
        db = await driver_connection(self.session)
        row = await db.fetchrow(ONE_FIRM_SQL, [firm_id], first_year, last_year)
        assert row is not None  # a SELECT of arrays without FROM returns one row
        return {kind: [tuple(record) for record in row[kind]] for kind in RECORDS}

    async def _fetch(self, sql: str, ids: Sequence[int], *years: int) -> list[asyncpg.Record]:
        db = await driver_connection(self.session)
        return await db.fetch(sql, list(ids), *years)


# Each kind of a firm's records, read by one query ($1: firm ids; $2, $3: the fiscal years).
_VALID_ON_DAY = (
    "(i.valid_from IS NULL OR i.valid_from <= y.day) AND (i.valid_to IS NULL OR i.valid_to >= y.day)"
)
FILING_SQL = (
    f"SELECT f.firm_id, f.fiscal_year, {', '.join(f'r.{c}' for c in FILING_COLUMNS)} FROM filing f "
    "JOIN filing_revision r ON r.filing_id = f.id AND r.revision_no = f.current_revision_no "
    "WHERE f.firm_id = ANY($1::bigint[]) AND f.fiscal_year BETWEEN $2 AND $3"
)
BUSINESS_SQL = (
    "SELECT f.id, b.abnormal_operation, b.serious_violation FROM firm f "
    "JOIN business_record b ON b.uscc = f.uscc WHERE f.id = ANY($1::bigint[])"
)
IP_SQL = (
    f"SELECT f.id, y.fiscal_year, count(*) FILTER (WHERE i.ip_class = 1 AND {_VALID_ON_DAY}), "
    f"count(*) FILTER (WHERE i.ip_class = 2 AND {_VALID_ON_DAY}) FROM firm f "
    "JOIN ip_record i ON i.owner_uscc = f.uscc AND i.ip_class IS NOT NULL "
    "CROSS JOIN LATERAL (SELECT g AS fiscal_year, make_date(g, 12, 31) AS day "
    "FROM generate_series($2::int, $3::int) g) y "
    "WHERE f.id = ANY($1::bigint[]) GROUP BY f.id, y.fiscal_year"
)
CERTIFICATE_SQL = (
    "SELECT firm_id, kind, issued_on, expires_on, status FROM certificate WHERE firm_id = ANY($1::bigint[])"
)
TIER_SQL = "SELECT firm_id, tier, year, state, valid_from, valid_to FROM tier_status WHERE firm_id = ANY($1::bigint[])"
AWARD_SQL = (
    "SELECT firm_id, program, year, amount_yuan, state FROM award "
    "WHERE firm_id = ANY($1::bigint[]) AND state <> 'superseded'"
)
RECORDS = {
    "filings": FILING_SQL, "certificates": CERTIFICATE_SQL, "tiers": TIER_SQL, "awards": AWARD_SQL,
    "business": BUSINESS_SQL, "ip": IP_SQL,
}  # fmt: skip
# asyncpg decodes an array of anonymous rows as tuples, each value typed as in its own query.
ONE_FIRM_SQL = "SELECT " + ", ".join(
    f"ARRAY(SELECT ROW(q.*) FROM ({sql}) q) AS {kind}" for kind, sql in RECORDS.items()
)


class EvaluationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def latest_hashes(self, ids: Sequence[int], year: int) -> pd.DataFrame:
        """The latest decision's rule and input hashes per (firm, program) for ``year``."""
        db = await driver_connection(self.session)
        # One row per program with arrays: far fewer records to decode than one per decision.
        rows = await db.fetch(
            "SELECT program, array_agg(firm_id), array_agg(ruleset_hash), array_agg(inputs_hash), array_agg(outcome) "
            "FROM evaluation_latest WHERE year = $2 AND firm_id = ANY($1::bigint[]) GROUP BY program",
            list(ids),
            year,
        )
        frames = [
            pd.DataFrame(
                {
                    "firm_id": firms,
                    "program": program,
                    "ruleset_hash": rules,
                    "inputs_hash": inputs,
                    "outcome": outcomes,
                }
            )
            for program, firms, rules, inputs, outcomes in rows
        ]
        columns = ["firm_id", "program", "ruleset_hash", "inputs_hash", "outcome"]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)

    async def store_rulesets(self, rows: Sequence[tuple[str, str, str, str]]) -> None:
        """(content_hash, program, version, document JSON): each content once, forever."""
        db = await driver_connection(self.session)
        await db.executemany(
            "INSERT INTO ruleset_version (content_hash, program, version, document, first_used_at) "
            "VALUES ($1, $2, $3, $4::jsonb, now()) ON CONFLICT (content_hash) DO NOTHING",
            list(rows),
        )

    async def store_snapshots(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """(snapshot_hash, firm_id, year, facts JSON) through a staging table: COPY, then insert new."""
        if not rows:
            return
        db = await driver_connection(self.session)
        await db.execute(
            "CREATE TEMP TABLE IF NOT EXISTS snapshot_stage (snapshot_hash text, firm_id bigint, year int, facts text) "
            "ON COMMIT DROP"
        )
        await db.execute("TRUNCATE snapshot_stage")
        await db.copy_records_to_table(
            "snapshot_stage", records=rows, columns=["snapshot_hash", "firm_id", "year", "facts"]
        )
        await db.execute(
            "INSERT INTO fact_snapshot (snapshot_hash, firm_id, year, facts, created_at) "
            "SELECT DISTINCT ON (snapshot_hash) snapshot_hash, firm_id, year, facts::jsonb, now() FROM snapshot_stage "
            "ON CONFLICT (snapshot_hash) DO NOTHING"
        )

    async def store_evaluations(
        self, columns: Sequence[str], rows: Sequence[tuple[Any, ...]], run_id: str
    ) -> None:
        """COPY the new decisions, then point ``evaluation_latest`` at them (same transaction)."""
        if not rows:
            return
        db = await driver_connection(self.session)
        first_id = await db.fetchval("SELECT COALESCE(max(id), 0) FROM evaluation")
        await db.copy_records_to_table("evaluation", records=rows, columns=list(columns))
        await db.execute(
            "INSERT INTO evaluation_latest (firm_id, program, year, evaluation_id, ruleset_hash, inputs_hash, outcome) "
            "SELECT firm_id, program, year, id, ruleset_hash, inputs_hash, outcome FROM evaluation "
            "WHERE id > $1 AND run_id = $2 "
            "ON CONFLICT (firm_id, program, year) DO UPDATE SET evaluation_id = EXCLUDED.evaluation_id, "
            "ruleset_hash = EXCLUDED.ruleset_hash, inputs_hash = EXCLUDED.inputs_hash, outcome = EXCLUDED.outcome",
            first_id,
            run_id,
        )

    async def refresh_score_distribution(
        self, programs: Sequence[str], year: int, changed: Collection[str]
    ) -> list[str]:
        """Rebuild ``score_distribution`` of the index ``programs`` for ``year`` where it may be out of date.

        Out of date: this run stored decisions of the program (``changed``), or a firm's identity
        (bureau, tech field …) was revised since the program's distribution was built. Each is
        rebuilt whole from the latest stored decisions, in the run's transaction. Returns them.
        """
        if not programs:
            return []
        db = await driver_connection(self.session)
        mark = await db.fetchval("SELECT coalesce(max(id), 0) FROM firm_revision")
        regrouped = await db.fetch(
            "SELECT program FROM score_distribution WHERE year = $1 AND program = ANY($2::text[]) "
            "GROUP BY program HAVING min(firm_revision_id) < $3",
            year,
            list(programs),
            mark,
        )
        stale = sorted({p for p in programs if p in changed} | {row[0] for row in regrouped})
        if stale:
            await db.execute("SELECT pg_advisory_xact_lock($1)", DISTRIBUTION_LOCK)  # one rebuild at a time
            await db.execute(
                "DELETE FROM score_distribution WHERE year = $1 AND program = ANY($2::text[])", year, stale
            )
            await db.execute(DISTRIBUTION_SQL, stale, year, SCORES_PER_ROW, mark)
        return stale


class StoredDecisionRow:
    def __init__(self, record: asyncpg.Record) -> None:
        self.program: str = record["program"]
        self.version: str = record["version"]
        self.outcome: str = record["outcome"]
        self.run_id: str = record["run_id"]
        self.created_at = record["created_at"]
        self.inputs_hash: str = record["inputs_hash"]
        self.ruleset_hash: str = record["ruleset_hash"]
        self.snapshot_hash: str = record["snapshot_hash"]


async def latest_for_firm(session: AsyncSession, firm_id: int, year: int) -> dict[str, StoredDecisionRow]:
    """The latest stored decision per program for one firm and year."""
    db = await driver_connection(session)
    rows = await db.fetch(
        "SELECT e.program, e.version, e.outcome, e.run_id, e.created_at, e.inputs_hash, e.ruleset_hash, "
        "e.snapshot_hash FROM evaluation_latest l JOIN evaluation e ON e.id = l.evaluation_id WHERE l.firm_id = $1 AND l.year = $2",
        firm_id,
        year,
    )
    return {row["program"]: StoredDecisionRow(row) for row in rows}


async def stored_facts(session: AsyncSession, rows: Iterable[StoredDecisionRow]) -> dict[str, dict[str, Any]]:
    """The fact snapshots the given stored decisions read, by snapshot hash (usually one per firm)."""
    wanted = sorted({row.snapshot_hash for row in rows})
    if not wanted:
        return {}
    db = await driver_connection(session)
    found = await db.fetch(
        "SELECT snapshot_hash, facts FROM fact_snapshot WHERE snapshot_hash = ANY($1)", wanted
    )
    return {row[0]: row[1] if isinstance(row[1], dict) else json.loads(row[1]) for row in found}


async def peer_standing(
    session: AsyncSession, program: str, year: int, bureau: str, tech_field: str | None, score: float
) -> tuple[int, int, int, int]:
    """(peers in the bureau, of them at or below ``score``, peers in the tech field, at or below).

    Peers are the firms whose latest stored decision of ``program`` and ``year`` has a score, as
    ``score_distribution`` holds them: per group, the row whose highest score is the first at or
    above ``score`` (one index probe) and a bisect in it; or, above every score, the group's count.
    """
    db = await driver_connection(session)
    rows = await db.fetch(STANDING_SQL, program, year, bureau, tech_field, score)
    found: dict[str, tuple[int, int]] = {}
    for row in sorted(rows, key=lambda r: r["scores"] is None):  # a group's covering row first, if any
        if row["peer_kind"] in found:
            continue
        if row["scores"] is None:  # the score is above every score of the group
            found[row["peer_kind"]] = (row["peers"], row["peers"])
        else:
            at = bisect.bisect_right(row["scores"], score)
            found[row["peer_kind"]] = (row["peers"], row["at_or_below"][at - 1] if at else row["below"])
    in_bureau, below_b = found.get(BUREAU, (0, 0))
    in_field, below_f = found.get(TECH_FIELD, (0, 0))
    return in_bureau, below_b, in_field, below_f


def _standing_part(kind: str, value: str) -> str:
    key = f"program = $1 AND year = $2 AND peer_kind = '{kind}' AND peer_value = {value}"
    return (
        f"(SELECT peer_kind, peers, below, scores, at_or_below FROM score_distribution WHERE {key} "
        "AND top_score >= $5 ORDER BY top_score LIMIT 1) UNION ALL "
        f"(SELECT peer_kind, peers, peers, NULL, NULL FROM score_distribution WHERE {key} "
        "ORDER BY top_score DESC LIMIT 1)"
    )


STANDING_SQL = f"{_standing_part(BUREAU, '$3')} UNION ALL {_standing_part(TECH_FIELD, '$4')}"
