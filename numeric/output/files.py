"""Saving results: arrays as compressed NPZ with a JSON sidecar of parameters and provenance (CONVENTIONS.md §7).

Every file is written atomically (a temporary file in the same folder, then a rename), and a command's whole output
can be staged (:func:`staged_folder`), so an interrupted run never leaves a truncated or half-complete result that
looks finished.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
from importlib import metadata
from pathlib import Path

import numpy as np

from ..validation import ParameterError


def provenance() -> dict:
    """Package and NumPy versions and the git commit of the source tree (when it is a checkout)."""
    try:
        version = metadata.version("phonon-moment")
    except metadata.PackageNotFoundError:
        version = "unknown"
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).parent, timeout=5).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        head = None
    return {"package": "phonon-moment", "version": version, "numpy": np.__version__, "git": head}


def save(path, arrays: dict, parameters: dict) -> Path:
    """Write ``path.npz`` (arrays) and ``path.json`` (parameters, units and provenance); returns the NPZ path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    npz = path.with_suffix(".npz")
    with atomic(npz) as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)
    meta = {"parameters": parameters, "arrays": sorted(arrays), "provenance": provenance()}
    write_text(path.with_suffix(".json"), json.dumps(meta, indent=2, default=_jsonable) + "\n")
    return npz


def _file_mode() -> int:
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


_FILE_MODE = _file_mode()


@contextlib.contextmanager
def atomic(path):
    """Yield a temporary path in ``path``'s folder; on success it replaces ``path`` in one rename, on failure it is
    removed (readers see the old file or the whole new one, never a truncated one)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, _FILE_MODE)                  # mkstemp makes 0600; a result file gets the usual mode
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_text(path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    with atomic(path) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    return Path(path)


def output_folder(out, option: str = "--out") -> Path:
    """Create the folder ``out`` (with parents) and check that it is writable, before any long computation; a clear
    :class:`ParameterError` naming ``option`` otherwise."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ParameterError(f"{option} {out} is an existing file, not a folder: pass a folder (it is created if "
                             "missing).")
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise ParameterError(f"{option} {out}: cannot write there ({exc.strerror or exc}); pass a writable "
                             "folder.") from None
    return out


@contextlib.contextmanager
def staged_folder(out, option: str = "--out"):
    """Yield a hidden staging folder inside ``out``; when the block succeeds, move every file it holds into ``out``
    (each by one rename, replacing files of the same name) and remove it; when the block fails or is interrupted
    (Ctrl-C), remove it, leaving ``out`` as it was."""
    out = output_folder(out, option)
    stage = Path(tempfile.mkdtemp(dir=out, prefix=".partial-"))
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    for f in sorted(p for p in stage.rglob("*") if p.is_file()):
        target = out / f.relative_to(stage)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(f, target)
    shutil.rmtree(stage, ignore_errors=True)


def existing_outputs(out, stems) -> list:
    """The files in ``out`` whose names begin with one of ``stems`` (what a rerun will overwrite)."""
    out = Path(out)
    if not out.is_dir():
        return []
    return sorted(p.name for p in out.iterdir() if p.is_file() and p.name.startswith(tuple(stems)))


def _jsonable(x):
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, (np.floating, np.integer)):
        return x.item()
    if isinstance(x, complex):
        return [x.real, x.imag]
    raise TypeError(f"not JSON serializable: {type(x)}")
