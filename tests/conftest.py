"""Fixtures shared by several test modules."""

import os
import time
from types import SimpleNamespace

import numpy as np
import pytest

# The fast path runs its NumPy form in the tests (the oracle, numeric/response/compiled.py): tests/test_compiled.py
# compares the compiled form with it kernel by kernel, so numba compiles there once, not in every test (and notebook
# kernel, which inherits the variable) that touches the fast path.
os.environ.setdefault("PHONON_MOMENT_KERNELS", "numpy")

import numeric.response.direct as direct  # noqa: E402


@pytest.fixture(scope="session")
def printed(tmp_path_factory):
    """Everything derive/ prints, derived once per test run (SymPy, ~35 s): ``generated``, a fresh generated/ as
    ``python -m derive`` writes it (the drift test compares it with the committed one), ``kernels``, the kernels only
    tests evaluate (theta_n{N}.py, theta_dq0_n{N}.py; derive/generate.py ``test_kernel_files``), never committed, and
    ``files``, generated/'s texts by name. Under pytest-xdist the first worker to ask derives and the others wait for it
    and read the files (the base temporary folder is shared by the workers of one run)."""
    from derive.__main__ import write
    from derive.generate import build_files, test_kernel_files

    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "printed"
    done = root / "done"
    try:
        os.makedirs(root)                             # exactly one process succeeds: it derives
    except FileExistsError:
        deadline = time.monotonic() + 1800
        while not done.exists():
            if time.monotonic() > deadline:
                raise TimeoutError(f"another test worker did not finish deriving into {root}") from None
            time.sleep(0.5)
    else:
        try:
            write(root / "generated", build_files())
            write(root / "kernels", test_kernel_files())
        except BaseException as exc:
            done.write_text(f"failed: {exc!r}\n")
            raise
        done.write_text("ok\n")
    if done.read_text() != "ok\n":
        raise RuntimeError(f"the derivation failed in another test worker: {done.read_text()}")
    generated = root / "generated"
    files = {str(f.relative_to(generated)): f.read_text(encoding="utf-8")
             for f in sorted(generated.rglob("*")) if f.is_file() and "__pycache__" not in f.parts}
    return SimpleNamespace(generated=generated, kernels=root / "kernels", files=files)


@pytest.fixture
def random_gauge(monkeypatch):
    """A function that, once called, gives every eigenvector the referee computes a random U(1) phase, independently in
    every diagonalization (seeded): gauge-invariant results must not notice."""
    rng = np.random.default_rng(7)
    plain = direct.diagonalize

    def rephased(H):
        e, U = plain(H)
        return e, U * np.exp(2j * np.pi * rng.random(U.shape[:-2] + (1, U.shape[-1])))

    return lambda: monkeypatch.setattr(direct, "diagonalize", rephased)
