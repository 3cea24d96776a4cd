"""Saving results: arrays as compressed NPZ with a JSON sidecar of parameters and provenance (CONVENTIONS.md §7)."""

from __future__ import annotations

import json
import subprocess
from importlib import metadata
from pathlib import Path

import numpy as np


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
    np.savez_compressed(npz, **arrays)
    meta = {"parameters": parameters, "arrays": sorted(arrays), "provenance": provenance()}
    path.with_suffix(".json").write_text(json.dumps(meta, indent=2, default=_jsonable) + "\n")
    return npz


def _jsonable(x):
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, (np.floating, np.integer)):
        return x.item()
    if isinstance(x, complex):
        return [x.real, x.imag]
    raise TypeError(f"not JSON serializable: {type(x)}")
