"""Each Chinese label of a figure, tier, certificate, program, state or outcome is written in one source file.

That file is the vocabulary module declaring it. Everything else asks the vocabulary for it, so a
label changed there changes everywhere, and a second spelling of the same thing cannot creep in. Templates and tests are left aside; a page
gets its words from the vocabulary through the render globals and its context.
"""

from __future__ import annotations

import ast
from pathlib import Path

from vocabulary import figures, ladder, states, targets

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("vocabulary", "backend", "rules", "importers", "exports")
# Words that are data, not our labels: the IP register writes its records' legal status this way,
# and synthetic firm names are made of industry words.
DATA_VALUES = {
    ("importers/registers.py", "有效"),
    ("backend/demo/names.py", "电子信息"),  # a word of synthetic firm names (天津…电子信息有限公司)
}


def declared_labels() -> dict[str, str]:
    """Every label the vocabulary declares, with what it names."""
    found: dict[str, str] = {}
    for figure in (*figures.FILING_FIGURES, *figures.FIRM_ATTRIBUTES):
        found[figure.label] = f"figure {figure.name}"
        found |= {c.label: f"{figure.name}={c.code}" for c in figure.choices if c.label != "无"}
    for module in (ladder, states, targets):
        for name in dir(module):
            table = getattr(module, name)
            if name.endswith(("_LABELS", "_DOCUMENTS")) and name not in (
                "ROLE_LABELS",
                "PROGRAM_KIND_LABELS",
            ):
                found |= {label: f"{name}[{code}]" for code, label in table.items()}
    found |= {program.title: f"program {program.code}" for program in ladder.PROGRAMS}
    return found


def files_writing(labels: dict[str, str], root_dir: Path = ROOT) -> dict[str, set[str]]:
    """For each label written out as a string, the source files that write it."""
    files: dict[str, set[str]] = {}
    for root in SOURCES:
        for path in sorted((root_dir / root).rglob("*.py")):
            relative = path.relative_to(root_dir).as_posix()
            if "/migrations/" in relative:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                text = node.value if isinstance(node, ast.Constant) else None
                if isinstance(text, str) and text in labels and (relative, text) not in DATA_VALUES:
                    files.setdefault(text, set()).add(relative)
    return files


def written_twice(labels: dict[str, str], root_dir: Path = ROOT) -> dict[str, list[str]]:
    return {
        f"{label} ({labels[label]})": sorted(where)
        for label, where in files_writing(labels, root_dir).items()
        if len(where) > 1 or not all(place.startswith("vocabulary/") for place in where)
    }


def test_each_label_is_written_once_in_the_vocabulary() -> None:
    assert written_twice(declared_labels()) == {}


def test_the_scan_finds_a_label_written_out(tmp_path: Path) -> None:
    """The check itself: a page module spelling a figure's label would be found."""
    (tmp_path / "backend").mkdir()
    (tmp_path / "backend" / "page.py").write_text('HEADER = "营业收入"\n', encoding="utf-8")
    assert written_twice(declared_labels(), tmp_path) == {
        "营业收入 (figure revenue_yuan)": ["backend/page.py"]
    }
