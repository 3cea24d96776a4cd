"""Irreducible wedge and unfolding (numeric/model/zone.py): the relations used are checked on the referee at finite η."""

import numpy as np
import pytest

from numeric.model.brillouin import uniform_grid
from numeric.response.damping import rates_from_paper
from numeric.response.direct import lambda_matrix, uniform_problem
from numeric.model.honeycomb import honeycomb_model
from numeric.model.lattice import honeycomb
from numeric.response.moment import mode_moment
from numeric.model.phonons import Phonons, saito_graphene
from numeric.model.zone import GROUP, PARITY, irreducible_wedge

EXACT = 1e-12
SYMMETRY = 1e-8


@pytest.mark.parametrize("n", [1, 6, 12, 25])
def test_wedge_partitions_the_grid(n):
    L = honeycomb()
    w = irreducible_wedge(L, n)
    grid, _ = uniform_grid(L, n)
    np.testing.assert_array_equal(w.grid, grid)
    assert len(np.unique(w.representative)) == len(w.k)
    assert len(w.k) >= 1 and len(w.k) <= n * n and (n < 12 or len(w.k) < n * n / 4)


def test_unfold_reproduces_even_and_odd_functions():
    L = honeycomb()
    a1, a2 = L.vectors
    even = lambda k: np.cos(k @ a1) + np.cos(k @ a2) + np.cos(k @ (a1 - a2))
    odd = lambda k: np.sin(k @ a1) - np.sin(k @ a2) + np.sin(k @ (a2 - a1))      # C3 even, mirror odd
    w = irreducible_wedge(L, 18)
    np.testing.assert_allclose(w.unfold(even(w.k), pseudoscalar=False), even(w.grid), atol=EXACT)
    np.testing.assert_allclose(w.unfold(odd(w.k), pseudoscalar=True), odd(w.grid), atol=EXACT)
    assert np.abs(odd(w.grid)).max() > 1.0


def test_mode_moments_obey_the_unfolding_relations_at_finite_damping():
    """m(g q) = PARITY(g) m(q) on the referee with the paper's Fig. 2(f) damping: Λ at the top branch's ω, contracted
    with every branch's polarization (C3 images and one mirror image)."""
    model = honeycomb_model()
    ph = Phonons(model.lattice, saito_graphene())
    pb = uniform_problem(model, 12, rates_from_paper(0.02, 0.004, 0.02))
    q = np.array([0.41, 0.23])
    ref = None
    for g, sign in zip(GROUP[::2] + GROUP[3:4], np.r_[PARITY[::2], PARITY[3:4]]):
        gq = g @ q
        E, V = ph.modes(gq)
        r = lambda_matrix(pb, E[-1], gq)
        moments = np.array([mode_moment(r.Lambda, V[:, nu], ph.masses) for nu in range(4)])
        if ref is None:
            ref = moments
            assert np.abs(ref.real).max() > 0
        np.testing.assert_allclose(moments.real, sign * ref.real, atol=SYMMETRY * np.abs(ref).max())
