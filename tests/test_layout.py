"""The direction of imports inside numeric/, read from the source with ``ast`` (every import, including those inside
functions, relative and absolute, and ``importlib.import_module`` of a literal name).

Layers, lowest first (numeric/__init__.py, CONVENTIONS.md §0): the leaves ``units``, ``validation``, ``output``;
``model``; ``response``; ``verify`` and ``apps`` (side by side: neither imports the other); ``api``; the package's ``__init__``
(which re-exports the API); ``cli``. A module imports its own layer and the layers below it. ``units`` and ``validation`` import
nothing of numeric; ``output`` only those two. Nothing imports SymPy, mpmath or ``derive``; only the fast path reads
the printed kernels in ``generated/``.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
TIERS = (("units", "validation", "output"), ("model",), ("response",), ("verify", "apps"), ("api",), ("__init__",),
         ("cli",))
TIER = {layer: i for i, names in enumerate(TIERS) for layer in names}
LEAF_IMPORTS = {"units": set(), "validation": set(), "output": {"units", "validation"}}
SYMBOLIC = {"sympy", "mpmath", "derive"}
SYMBOLIC_GATES = {      # file → why it may import SYMBOLIC (lazily, inside one function)
    "numeric/cli.py": "the `derive` subcommand hands over to python -m derive's main",
    "numeric/response/fast.py": "kernels for a band count generated/ does not hold are derived once on first use and "
                                "cached outside the package (derive/cache.py, CONVENTIONS.md §7.2)",
}
GENERATED_READERS = {   # file → why it may import generated/
    "numeric/response/fast.py": "the fast path: the printed kernels of Eq. (4)",
    "numeric/verify/dirac_check.py": "compares the printed Dirac-limit kernel with the fast path at K",
}


def module_name(rel: Path) -> tuple[str, bool]:
    """('numeric.response.direct', False) for numeric/response/direct.py; (…, True) for a package's __init__.py."""
    parts = rel.with_suffix("").parts
    return (".".join(parts[:-1]), True) if parts[-1] == "__init__" else (".".join(parts), False)


def imports(rel: Path, source: str):
    """(line, import as written, absolute module) for every import in ``source`` of the file ``rel``."""
    name, is_package = module_name(rel)
    package = name.split(".") if is_package else name.split(".")[:-1]
    for node in ast.walk(ast.parse(source, str(rel))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, ast.unparse(node), alias.name
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = base + (node.module.split(".") if node.module else [])
            for alias in node.names:
                yield node.lineno, ast.unparse(node), ".".join(module + [alias.name])
        elif isinstance(node, ast.Call) and node.args and (
                getattr(node.func, "attr", None) == "import_module" or getattr(node.func, "id", None) in
                {"import_module", "__import__"}):
            first = node.args[0]
            head = first.values[0] if isinstance(first, ast.JoinedStr) and first.values else first
            if isinstance(head, ast.Constant) and isinstance(head.value, str):
                yield node.lineno, ast.unparse(node), head.value


def layer(module: str) -> str:
    """The layer of a module of numeric: its sub-package or top-level module; the package itself is '__init__'."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in TIER else "__init__"


def violations(rel: Path, source: str) -> list[str]:
    """Every import of ``source`` (the file ``rel``) that breaks the direction of the layers, as 'file:line: …'."""
    rel = Path(rel)
    own = layer(module_name(rel)[0])
    out = []
    for line, text, target in imports(rel, source):
        top = target.split(".")[0]
        where = f"{rel.as_posix()}:{line}: `{text}`"
        if top in SYMBOLIC and rel.as_posix() not in SYMBOLIC_GATES:
            out.append(f"{where} imports {top} (numeric/ never imports SymPy, mpmath or derive)")
        elif top == "generated" and rel.as_posix() not in GENERATED_READERS:
            out.append(f"{where} imports generated/ (only {', '.join(GENERATED_READERS)} may)")
        elif top == "numeric":
            other = layer(target)
            if other == own:
                continue
            if own in LEAF_IMPORTS:
                if other not in LEAF_IMPORTS[own]:
                    out.append(f"{where}: the leaf {own} imports {other} (allowed: {sorted(LEAF_IMPORTS[own])})")
            elif TIER[other] > TIER[own]:
                out.append(f"{where}: {own} imports {other}, a layer above it")
            elif TIER[other] == TIER[own]:
                out.append(f"{where}: {own} imports {other}, which stands beside it")
    return out


def sources():
    return sorted(p.relative_to(ROOT) for p in (ROOT / "numeric").rglob("*.py"))


def test_every_file_belongs_to_a_known_layer():
    unknown = {p.as_posix() for p in sources() if layer(module_name(p)[0]) == "__init__"} - {"numeric/__init__.py"}
    assert not unknown, f"add these to TIERS in tests/test_layout.py (and numeric/__init__.py's map): {unknown}"


def test_imports_follow_the_layers():
    found = [v for p in sources() for v in violations(p, (ROOT / p).read_text(encoding="utf-8"))]
    assert not found, "imports against the direction of the layers:\n" + "\n".join(found)


@pytest.mark.parametrize("rel, source, expected", [
    ("numeric/model/bands.py", "def f():\n    from ..response.direct import lambda_matrix\n",
     "numeric/model/bands.py:2: `from ..response.direct import lambda_matrix`: model imports response"),
    ("numeric/verify/limits.py", "from numeric.apps import scan\n", "verify imports apps, which stands beside it"),
    ("numeric/apps/scan.py", "from .. import cli\n", "apps imports cli, a layer above it"),
    ("numeric/output/plots.py", "from ..model.bands import band_data\n", "the leaf output imports model"),
    ("numeric/units.py", "import numeric.validation\n", "the leaf units imports validation"),
    ("numeric/response/contraction.py", "import generated.eq4_n2\n", "imports generated/"),
    ("numeric/response/direct.py", "import importlib\nimportlib.import_module(f'generated.x{n}')\n",
     "numeric/response/direct.py:2: `importlib.import_module(f'generated.x{n}')` imports generated/"),
    ("numeric/apps/figure2.py", "def f():\n    import sympy as sp\n", "imports sympy"),
    ("numeric/model/zone.py", "from derive.codegen import x\n", "imports derive"),
])
def test_a_wrong_import_is_named_with_file_line_and_text(rel, source, expected):
    found = violations(Path(rel), source)
    assert len(found) == 1 and expected in found[0], found


@pytest.mark.parametrize("rel, source", [
    ("numeric/verify/limits.py", "from ..response.fast import lambda_generated_rates\nfrom ..model import bands\n"),
    ("numeric/output/files.py", "from ..validation import ParameterError\n"),
    ("numeric/cli.py", "from .apps.figure2 import figure2\nfrom . import api\n"),
    ("numeric/__init__.py", "from .api import moment\n"),
    ("numeric/response/fast.py", "importlib.import_module(f'generated.{prefix}_n{nb}')\n"),
])
def test_a_downward_import_is_accepted(rel, source):
    assert violations(Path(rel), source) == []
