"""CONVENTIONS.md states the model's defaults (§9), the ladder's tolerances (§10) and the Fig. 2 thresholds (§11) in
tables; the code holds the same numbers as constants. These tests read the tables and compare, so the two cannot drift.
"""

import ast
import dataclasses
import re
from pathlib import Path

import pytest

from numeric.apps import figure2
from numeric.model import phonons
from numeric.model.honeycomb import HoneycombParameters

ROOT = Path(__file__).parents[1]
CONVENTIONS = (ROOT / "CONVENTIONS.md").read_text(encoding="utf-8")
CELL_SEPARATOR = re.compile(r"(?<!\\)\|")       # a table cell may hold an escaped \| (a modulus)
NAME = re.compile(r"^`(\w+)`$")


def section(number: int) -> str:
    """The text of ``## §number`` up to the next top-level section."""
    match = re.search(rf"^## §{number} .*?(?=^## §|\Z)", CONVENTIONS, flags=re.M | re.S)
    assert match, f"CONVENTIONS.md has no section §{number}"
    return match.group(0)


def table_rows(text: str) -> list[list[str]]:
    """Cells of every Markdown table row in ``text`` (header and separator rows included)."""
    return [[c.strip() for c in CELL_SEPARATOR.split(line.strip())[1:-1]]
            for line in text.splitlines() if line.lstrip().startswith("|")]


def named_rows(text: str, name_column: int) -> dict[str, list[str]]:
    """Rows whose cell ``name_column`` is a backticked identifier, by that identifier."""
    rows = {}
    for cells in table_rows(text):
        match = NAME.match(cells[name_column]) if len(cells) > name_column else None
        if match:
            assert match.group(1) not in rows, f"{match.group(1)} is listed twice"
            rows[match.group(1)] = cells
    assert rows, "no table rows with a `name` found"
    return rows


def number(cell: str):
    """A table value: a float, or a tuple of floats for "a, b" (U+2212 minus signs read as '-')."""
    parts = [float(p) for p in cell.replace("−", "-").split(",")]
    return parts[0] if len(parts) == 1 else tuple(parts)


def as_number(value):
    return tuple(float(v) for v in value) if isinstance(value, tuple) else float(value)


def test_model_defaults_are_the_table_of_section_9():
    rows = named_rows(section(9), 0)
    defaults = {f.name: f.default for f in dataclasses.fields(HoneycombParameters)}
    assert set(rows) == set(defaults), "CONVENTIONS.md §9 must list every field of HoneycombParameters"
    for name, cells in rows.items():
        value = defaults[name]
        stated = cells[2] if isinstance(value, str) else number(cells[2])
        assert stated == value, f"HoneycombParameters.{name} = {value!r}, CONVENTIONS.md §9 says {cells[2]!r}"


def test_phonon_defaults_are_the_table_of_section_9():
    text = section(9)
    shells = {int(c[0]): (number(c[1]), number(c[2])) for c in table_rows(text) if c[0].isdigit()}
    assert [shells[n] for n in sorted(shells)] == list(phonons.SAITO_GRAPHENE_1E4_DYN_PER_CM)
    masses = re.search(r"Masses: ([\d.]+) u", text)
    assert masses and float(masses.group(1)) == phonons.CARBON_MASS_U


def test_figure2_thresholds_are_the_tables_of_section_11():
    rows = named_rows(section(11), 2)
    for name, cells in rows.items():
        value = getattr(figure2, name, None)
        assert value is not None, f"CONVENTIONS.md §11 names {name}, which numeric/apps/figure2.py does not define"
        assert number(cells[3]) == as_number(value), (
            f"numeric/apps/figure2.py {name} = {value!r}, CONVENTIONS.md §11 says {cells[3]!r}")


def test_figure2_damping_is_the_table_of_section_11():
    stated = {c[0]: tuple(number(x) for x in c[1:4]) for c in table_rows(section(11)) if re.fullmatch(r"[a-h]", c[0])}
    assert stated == figure2.PAPER_ETAS


def module_constant(path: Path, name: str):
    """The literal value of a module-level ``name = …`` in ``path`` (read, not imported)."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise LookupError(f"{path.relative_to(ROOT)} defines no module-level {name}")


LADDER = named_rows(section(10), 2)


@pytest.mark.parametrize("name", sorted(LADDER))
def test_ladder_tolerances_are_the_table_of_section_10(name):
    cells = LADDER[name]
    where = re.search(r"[\w/]+\.py", cells[4])
    assert where, f"CONVENTIONS.md §10: no module named for {name}"
    value = module_constant(ROOT / where.group(0), name)
    assert number(cells[3]) == as_number(value), (
        f"{where.group(0)} {name} = {value!r}, CONVENTIONS.md §10 says {cells[3]!r}")
