"""Fixtures shared by test files."""

from types import SimpleNamespace

import pytest


@pytest.fixture(scope="session")
def printed(tmp_path_factory):
    """Everything derive/ prints, derived once per test session (SymPy, ~35 s): ``generated``, a fresh generated/ as
    ``python -m derive`` writes it (the drift test compares it with the committed one), and ``kernels``, the kernels only
    tests evaluate (theta_n{N}.py, theta_dq0_n{N}.py; derive/generate.py ``test_kernel_files``), never committed."""
    from derive.__main__ import write
    from derive.generate import build_files, test_kernel_files

    root = tmp_path_factory.mktemp("printed")
    write(root / "generated", build_files())
    write(root / "kernels", test_kernel_files())
    return SimpleNamespace(generated=root / "generated", kernels=root / "kernels")
