"""Phonons in a field through Λ (numeric/response/angular.py): Zeeman splitting and field-induced angular momentum.

The first-order formulas (moment per phonon from numeric/response/moment.py, δl from perturbed polarizations) are checked
against the exact solution of the quadratic eigenproblem ω² e = D e + iωĜ e at small fields: this ties the sign and
normalization of m_ν (CONVENTIONS.md §5) to the equation of motion."""

import numpy as np
import pytest

from numeric.response.angular import field_induced_angular_momentum, gyroscopic_matrix, modes_in_field
from numeric.response.damping import rates_from_paper
from numeric.response.direct import lambda_matrix, uniform_problem
from numeric.model.honeycomb import honeycomb_model
from numeric.response.moment import mode_moment, natural_moment_to_ev_per_tesla
from numeric.model.phonons import Phonons, angular_momentum, saito_graphene

FIRST_ORDER = 1e-4        # relative: the second-order shift at B = 0.1 T


@pytest.fixture(scope="module")
def setup():
    model = honeycomb_model()
    ph = Phonons(model.lattice, saito_graphene())
    q = np.array([0.41, 0.23])
    E, V = ph.modes(q)
    L = lambda_matrix(uniform_problem(model, 12, rates_from_paper(0.02, 0.004, 0.02)), E[-1], q).Lambda
    return ph, E, V, L


def test_zeeman_shift_is_minus_moment_times_field(setup):
    ph, E, V, L = setup
    B = 0.1
    w, _ = modes_in_field(E, V, gyroscopic_matrix(L, ph.masses, B))
    m = natural_moment_to_ev_per_tesla(mode_moment(L, V[:, -1], ph.masses).real)
    assert abs((w[-1] - E[-1]) - (-m * B)) < FIRST_ORDER * abs(m * B)


def test_field_induced_angular_momentum_is_first_order_perturbation(setup):
    ph, E, V, L = setup
    B = 0.1
    G = gyroscopic_matrix(L, ph.masses, B)
    _, e = modes_in_field(E, V, G)
    exact = angular_momentum(e[:, -1:])[0] - angular_momentum(V[:, -1:])[0]
    first = field_induced_angular_momentum(E, V, G, 3)
    assert abs(exact - first) < FIRST_ORDER * abs(first) and abs(first) > 0


def test_gyroscopic_matrix_is_real_antisymmetric_and_linear_in_field(setup):
    ph, _, _, L = setup
    G1, G2 = gyroscopic_matrix(L, ph.masses, 1.0), gyroscopic_matrix(L, ph.masses, 2.0)
    np.testing.assert_allclose(G1, -G1.T, atol=1e-30)
    np.testing.assert_allclose(G2, 2 * G1, rtol=1e-14)
