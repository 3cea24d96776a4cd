"""Kernels for band counts that generated/ does not hold, derived on first use and cached outside the package.

generated/ commits the kernels of N = 2 and 3 bands (``generate.KERNEL_BANDS``; ``python -m derive --check`` covers
them). Any other N is printed by the same functions (:func:`derive.generate.eq4_module` and its siblings) into
``<cache>/<fingerprint>/<prefix>_n<N>.py``; the fingerprint hashes derive/'s sources and the SymPy version, so a
changed derivation never reuses stale kernels. Measured (CONVENTIONS.md §7.2): eq4 for N = 2, 3, 4, 5 in 7.8, 29.8,
66–73, 86–222 s (machine load) and 52, 130, 267, 490 kB of text.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path

CACHE_ENV = "PHONON_MOMENT_CACHE"
"""Environment variable naming the cache folder (default: $XDG_CACHE_HOME/phonon-moment, else ~/.cache/phonon-moment)."""


def cache_root() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "phonon-moment"


def fingerprint() -> str:
    """12 hex digits of SHA-256 over derive/'s sources (sorted by name; this file, which prints nothing, left out) and
    the SymPy version."""
    import sympy

    h = hashlib.sha256(sympy.__version__.encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        if path.name != Path(__file__).name:
            h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:12]


def kernel_source(prefix: str, nbands: int) -> str:
    """The text of generated/<prefix>_n<nbands>.py for any N ≥ 2 (prefix "eq4", "theta_dq0" or "theta")."""
    from .generate import eq4_module, theta_module, theta_q0_module

    builders = {"eq4": eq4_module, "theta_dq0": theta_q0_module, "theta": theta_module}
    if prefix not in builders or int(nbands) < 2:
        raise ValueError(f"no kernels {prefix}_n{nbands}: prefix one of {sorted(builders)}, N ≥ 2")
    return builders[prefix](int(nbands))[0]


def ensure_kernel(prefix: str, nbands: int, root: Path | None = None) -> Path:
    """The cached file of ``prefix`` kernels for ``nbands`` bands, derived now if absent (written atomically)."""
    folder = (root or cache_root()) / fingerprint()
    path = folder / f"{prefix}_n{int(nbands)}.py"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        print(f"phonon-moment: deriving the {prefix} kernels for N = {nbands} bands once (minutes; cached in {folder})",
              file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        text = kernel_source(prefix, nbands)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
        print(f"phonon-moment: {path.name} derived in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    return path
