"""The admission workflow through the API: evaluations → candidates → reviews → 公示 → objections →
公告入库 → 复评, with exact admission numbers, transitions and audit rows."""

from __future__ import annotations

import httpx
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.evaluations import service as evaluation_service
from backend.models import AuditLog, TierTransition
from tests.backend.tiers.support import (
    YEAR,
    eligible,
    new_batch,
    notice_window,
    ok,
    post,
    status_ids,
    today,
)
from tests.factories.evaluations import seedling_firm
from tests.factories.firms import OPERATOR, make_firm
from tests.factories.tiers import make_decision
from tests.factories.users import make_user
from vocabulary.states import Role

SITE_NOTE = "2026年6月3日实地核查研发场地与人员，情况属实"


async def test_from_evaluations_to_admission_and_the_next_years_review(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    # Real seedling decisions for four firms, one of them short of revenue; stated ones for the rest.
    a = await seedling_firm(session, "jinghai")
    b = await seedling_firm(session, "heping")
    c = await seedling_firm(session, "jinghai")
    d = await seedling_firm(session, "jinghai")
    await seedling_firm(session, "jinghai", revenue_yuan=76_500)  # ineligible: never a candidate
    await evaluation_service.evaluate_year(session, OPERATOR, year=YEAR, programs=["seedling"])
    unknown = await make_firm(session, "jinghai")
    await make_decision(session, unknown, "seedling", YEAR, "unknown")
    leader = await eligible(session, "heping", tier="leader")
    city = await make_user(session, Role.city)
    jinghai = await make_user(session, Role.bureau, bureau_code="jinghai")
    heping = await make_user(session, Role.bureau, bureau_code="heping")

    batch = await new_batch(client, city)
    assert (batch["seq"], batch["label"], batch["state"]) == (1, f"{YEAR}年第1批", "open")
    nominated = await ok(await post(client, city, f"/batches/{batch['id']}/nominate"))
    assert nominated["created"] == {"seedling": 4, "gazelle": 0, "leader_candidate": 0, "leader": 1}
    again = await ok(await post(client, city, f"/batches/{batch['id']}/nominate"))
    assert again["created"] == {"seedling": 0, "gazelle": 0, "leader_candidate": 0, "leader": 0}
    ids = dict(zip("abcd", await status_ids(session, a, b, c, d), strict=True))
    (leader_id,) = await status_ids(session, leader, tier="leader")

    approved = await ok(
        await post(
            client, jinghai, "/district-review", {"status_ids": [ids["a"], ids["c"]], "decision": "approve"}
        )
    )
    assert [s["state"] for s in approved] == ["district_approved", "district_approved"]
    await ok(
        await post(
            client, heping, "/district-review", {"status_ids": [ids["b"], leader_id], "decision": "approve"}
        )
    )
    await ok(
        await post(
            client,
            city,
            "/city-review",
            {"status_ids": [ids["a"], ids["b"], ids["c"]], "decision": "approve"},
        )
    )
    site = {"status_ids": [leader_id], "decision": "approve", "site_check": SITE_NOTE}
    await ok(await post(client, city, "/city-review", site))

    notice = await ok(await post(client, city, f"/batches/{batch['id']}/notice", notice_window()))
    assert notice["batch"]["state"] == "public_notice"
    assert sorted(s["id"] for s in notice["in_notice"]) == sorted([ids["a"], ids["b"], ids["c"], leader_id])
    assert [(s["id"], s["state"], s["batch_id"]) for s in notice["moved_out"]] == [
        (ids["d"], "candidate", None)
    ]

    objection = await ok(
        await post(client, jinghai, f"/statuses/{ids['c']}/objections",
                   {"submitted_by": "张某（身份证签名）", "content": "该企业知识产权存在权属争议"}), 201,
    )  # fmt: skip
    dismissed = await ok(
        await post(
            client,
            city,
            f"/statuses/{ids['b']}/objections",
            {"submitted_by": "匿名", "content": "营业收入存疑"},
        ),
        201,
    )
    resolution = "经核实，知识产权权属争议属实，取消入库资格"
    upheld = await ok(
        await post(
            client,
            city,
            f"/objections/{objection['id']}/resolve",
            {"outcome": "upheld", "resolution": resolution},
        )
    )
    assert (upheld["outcome"], upheld["resolution"]) == ("upheld", resolution)
    await ok(
        await post(
            client,
            city,
            f"/objections/{dismissed['id']}/resolve",
            {"outcome": "dismissed", "resolution": "核实无误"},
        )
    )

    admitted = await ok(await post(client, city, f"/batches/{batch['id']}/admit"))
    assert admitted["batch"]["state"] == "admitted"
    assert admitted["batch"]["announced_on"] == today().isoformat()
    # Numbered per tier, in bureau-code order (heping before jinghai), then credit code.
    assert [(s["id"], s["admission_no"], s["valid_from"]) for s in admitted["admitted"]] == [
        (ids["b"], f"TJ-CY-{YEAR}-01-0001", today().isoformat()),
        (ids["a"], f"TJ-CY-{YEAR}-01-0002", today().isoformat()),
        (leader_id, f"TJ-LJ-{YEAR}-01-0001", today().isoformat()),
    ]

    members = await ok(await client.get(f"/api/tiers/batches/{batch['id']}/members", headers=city.headers))
    assert members["total"] == 4  # d left the batch at its 公示
    rows = {m["status_id"]: m for m in members["items"]}
    assert (rows[ids["c"]]["state"], rows[ids["c"]]["admission_no"]) == ("rejected", None)
    assert [o["outcome"] for o in rows[ids["c"]]["objections"]] == ["upheld"]
    assert [o["outcome"] for o in rows[ids["b"]]["objections"]] == ["dismissed"]
    assert rows[ids["b"]] | {"objections": []} == {
        "status_id": ids["b"], "uscc": b.uscc, "name": b.name, "bureau_code": "heping", "bureau_name": rows[ids["b"]]["bureau_name"],
        "district_code": "120101", "tier": "seedling", "tier_label": "雏鹰企业", "state": "admitted", "state_label": "已入库",
        "year": YEAR, "admission_no": f"TJ-CY-{YEAR}-01-0001", "valid_from": today().isoformat(), "objections": [],
    }  # fmt: skip
    own = await ok(await client.get(f"/api/tiers/batches/{batch['id']}/members", headers=jinghai.headers))
    assert sorted(m["status_id"] for m in own["items"]) == sorted([ids["a"], ids["c"]])
    detail = await ok(await client.get(f"/api/tiers/batches/{batch['id']}", headers=city.headers))
    assert detail["counts"] == {"seedling": {"admitted": 2, "rejected": 1}, "leader": {"admitted": 1}}

    history = await ok(await client.get(f"/api/firms/{leader.uscc}/tiers", headers=city.headers))
    assert [(t["from_state"], t["to_state"]) for t in history[0]["transitions"]] == [
        (None, "candidate"), ("candidate", "district_approved"), ("district_approved", "city_approved"),
        ("city_approved", "public_notice"), ("public_notice", "admitted"),
    ]  # fmt: skip
    assert history[0]["transitions"][0]["reason"] == "评价结果为“符合”，列为候选"
    assert history[0]["transitions"][2]["reason"] == f"现场调查：{SITE_NOTE}"
    assert history[0]["transitions"][2]["actor"] == city.user.username
    rejected = await ok(await client.get(f"/api/firms/{c.uscc}/tiers", headers=city.headers))
    assert rejected[0]["transitions"][-1] | {"at": None} == {
        "from_state": "public_notice", "to_state": "rejected", "actor": city.user.username, "reason": resolution, "at": None,
    }  # fmt: skip
    audited = await session.exec(
        select(AuditLog.action).where(AuditLog.entity == "tier_status", AuditLog.entity_id == str(leader_id))
    )
    assert audited.all() == [
        "tier.candidate",
        "tier.district_approved",
        "tier.city_approved",
        "tier.public_notice",
        "tier.admitted",
    ]

    # 复评 the next year: one kept, one revoked with its failed criterion, one without a decision untouched.
    await make_decision(session, a, "seedling", YEAR + 1, "eligible")
    failed = {"seedling": "fail", "legal_person": "pass", "revenue": "fail", "innovation": "pass"}
    await make_decision(session, b, "seedling", YEAR + 1, "ineligible", failed)
    review = await ok(await post(client, city, "/reviews", {"year": YEAR + 1}))
    assert [(i["status_id"], i["note"]) for i in review["kept"]] == [(ids["a"], f"{YEAR + 1}年复评通过")]
    assert [(i["status_id"], i["note"]) for i in review["revoked"]] == [
        (ids["b"], f"{YEAR + 1}年复评未通过：上一年营业收入不低于10万元（revenue）")
    ]
    assert [(i["status_id"], i["note"]) for i in review["incomplete"]] == [(leader_id, "资料不全，待补充")]
    second = await ok(await post(client, city, "/reviews", {"year": YEAR + 1}))
    assert (second["kept"], second["revoked"], second["already_reviewed"]) == ([], [], 1)
    assert [i["status_id"] for i in second["incomplete"]] == [leader_id]
    kept = await ok(await client.get(f"/api/firms/{a.uscc}/tiers", headers=city.headers))
    assert (kept[0]["state"], kept[0]["transitions"][-1]["from_state"], kept[0]["transitions"][-1]["to_state"]) == (
        "admitted", "admitted", "admitted",
    )  # fmt: skip
    revoked = await ok(await client.get(f"/api/firms/{b.uscc}/tiers", headers=heping.headers))
    assert (revoked[0]["state"], revoked[0]["admission_no"]) == ("revoked", f"TJ-CY-{YEAR}-01-0001")
    untouched = await session.exec(
        select(TierTransition).where(col(TierTransition.tier_status_id) == leader_id)
    )
    assert len(untouched.all()) == 5
