"""Fixtures shared by several test modules."""

import numpy as np
import pytest

import numeric.response.direct as direct


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
