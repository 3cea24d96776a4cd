"""The teaching notebooks (jupytext percent format): each executes headless without error, against this checkout's
package, and uses only public names of the package (no ``_private`` attribute or import)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))
PACKAGES = ("numeric", "derive", "generated")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path, tmp_path, monkeypatch):
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    # the kernel is a new process: make it import this checkout, not whatever copy is installed
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    nb = jupytext.read(path)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors


def private_uses(source: str) -> list:
    """Names starting with one underscore that ``source`` imports from, or reaches as attributes of, the package."""
    tree = ast.parse(source)
    package_names = set(PACKAGES)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in PACKAGES:
            found += [f"{node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
            found += [node.module for part in node.module.split(".") if part.startswith("_")]
            package_names.update(a.asname or a.name for a in node.names)
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] in PACKAGES:
                    found += [a.name for part in a.name.split(".") if part.startswith("_")]
                    package_names.add((a.asname or a.name).split(".")[0])
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in package_names:
                found.append(node.attr)
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_uses_only_public_names(path):
    assert private_uses(path.read_text(encoding="utf-8")) == []


def test_private_name_check_can_fail():
    source = "import numeric\nfrom numeric.api import _eta\nnumeric.model._x\nfrom numeric.model import bands as b\nb._gaps\n"
    assert private_uses(source) == ["numeric.api._eta", "_x", "_gaps"]


def test_notebooks_command_writes_executed_copies_and_html(tmp_path, capsys):
    """`phonon-moment notebooks --out DIR --only 01` writes notebook 1 executed (.ipynb with outputs) and as HTML."""
    pytest.importorskip("nbconvert")
    nbformat = pytest.importorskip("nbformat")
    from numeric.cli import main

    out = tmp_path / "executed"
    assert main(["notebooks", "--out", str(out), "--only", "01_"]) == 0
    stem = NOTEBOOKS[0].stem
    assert sorted(p.name for p in out.iterdir()) == [f"{stem}.html", f"{stem}.ipynb"]
    nb = nbformat.read(out / f"{stem}.ipynb", as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert any(o.output_type == "display_data" and "image/png" in o.get("data", {}) for o in outputs)
    assert not [o for o in outputs if o.output_type == "error"]
    assert "What you will learn" in (out / f"{stem}.html").read_text(encoding="utf-8")
    assert stem in capsys.readouterr().out


def test_notebooks_command_names_the_notebooks_when_none_matches(tmp_path, capsys):
    from numeric.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["notebooks", "--out", str(tmp_path / "x"), "--only", "no-such-notebook"])
    assert exc.value.code == 2
    assert "01_model_and_vertices" in capsys.readouterr().err
