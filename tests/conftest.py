"""Fixtures shared by several test modules."""

import os
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
    """Everything derive/ prints, derived once per test session (SymPy, ~35 s): ``generated``, a fresh generated/ as
    ``python -m derive`` writes it (the drift test compares it with the committed one), and ``kernels``, the kernels only
    tests evaluate (theta_n{N}.py, theta_dq0_n{N}.py; derive/generate.py ``test_kernel_files``), never committed."""
    from derive.__main__ import write
    from derive.generate import build_files, test_kernel_files

    root = tmp_path_factory.mktemp("printed")
    files = build_files()
    write(root / "generated", files)
    write(root / "kernels", test_kernel_files())
    return SimpleNamespace(generated=root / "generated", kernels=root / "kernels", files=files)



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
