"""Every shipped program is declared once in the vocabulary: its kind there, its title read from there."""

from __future__ import annotations

import yaml

from rules.ruleset import DATA_DIR, load_rulesets
from vocabulary.ladder import PROGRAMS, PROGRAMS_BY_CODE


def test_every_shipped_rule_set_names_a_declared_program_of_its_kind() -> None:
    registry = load_rulesets()
    shipped = {program: versions[0].document.kind for program, versions in registry.by_program.items()}
    assert {program: str(PROGRAMS_BY_CODE[program].kind) for program in shipped} == shipped
    assert set(shipped) == {program.code for program in PROGRAMS}


def test_shipped_rule_files_carry_no_title_of_their_own() -> None:
    """A title written in a rule file would be a second name for the program."""
    titled = [
        path.name for path in DATA_DIR.rglob("*.yaml") if "title" in yaml.safe_load(path.read_text("utf-8"))
    ]
    assert titled == []


def test_a_rule_set_reads_its_title_from_the_vocabulary() -> None:
    seedling = load_rulesets().versions("seedling")[-1]
    assert seedling.title == "天津市雏鹰企业"
