"""Executed copies of the teaching notebooks (``notebooks/*.py``, jupytext percent format) as ``.ipynb`` and HTML, so a
reader can look at every output without running anything (``phonon-moment notebooks --out DIR``).

Needs the ``notebooks`` extra (jupytext, nbclient, nbconvert, ipykernel). The notebooks are text in the repository, not
part of the installed wheel, so this works from a checkout (``pip install -e ".[notebooks]"``).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from ..validation import ParameterError
from .files import staged_folder

REPOSITORY = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = REPOSITORY / "notebooks"
TIMEOUT = 600
"""Seconds one cell may run before the execution is abandoned."""


def notebook_paths(only: str | None = None) -> list:
    """The teaching notebooks, sorted; ``only`` keeps those whose file name contains it (e.g. "01" or "limits")."""
    paths = sorted(NOTEBOOK_DIR.glob("*.py"))
    if not paths:
        raise ParameterError(f"no notebooks found in {NOTEBOOK_DIR}: run from a checkout of the repository "
                             "(the notebooks are not part of the installed package).")
    if only:
        paths = [p for p in paths if only in p.name]
        if not paths:
            raise ParameterError(f"no notebook name contains {only!r}; the notebooks are "
                                 f"{', '.join(p.stem for p in sorted(NOTEBOOK_DIR.glob('*.py')))}.")
    return paths


def execute_notebooks(out, only: str | None = None, *, html: bool = True) -> list:
    """Execute each teaching notebook headless and write ``<name>.ipynb`` (with outputs) and ``<name>.html`` into
    the folder ``out``. The kernel imports the package from this checkout. All files appear together, or none does
    (a failing notebook leaves ``out`` as it was).

    Returns
    -------
    list of (name, seconds)
        Each notebook's stem and its execution wall time in s.
    """
    try:
        import jupytext
        import nbclient
        import nbformat
        from nbconvert import HTMLExporter
    except ImportError as exc:
        raise ParameterError(f"executing the notebooks needs the 'notebooks' extra ({exc.name} is missing): "
                             'pip install -e ".[notebooks]".') from None
    paths = notebook_paths(only)
    timings = []
    env_path = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(REPOSITORY)] + ([env_path] if env_path else []))
    try:
        with staged_folder(out) as stage:
            for path in paths:
                nb = jupytext.read(path)
                start = time.perf_counter()
                nbclient.NotebookClient(nb, timeout=TIMEOUT, kernel_name="python3",
                                        resources={"metadata": {"path": str(stage)}}).execute()
                timings.append((path.stem, time.perf_counter() - start))
                nbformat.write(nb, stage / f"{path.stem}.ipynb")
                if html:
                    body, _ = HTMLExporter().from_notebook_node(nb)
                    (stage / f"{path.stem}.html").write_text(body, encoding="utf-8")
    finally:
        if env_path is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = env_path
    return timings
