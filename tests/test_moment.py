"""Mode moments from Λ^{ab} (numeric/response/moment.py; CONVENTIONS.md §5, §6)."""

import numpy as np
import pytest

from numeric.response.damping import rates_from_paper
from numeric.response.direct import lambda_matrix, uniform_problem
from numeric.model.honeycomb import honeycomb_model
from numeric.response.moment import mode_moment, moment_matrix, split_moments, to_bohr_magnetons, to_nuclear_magnetons
from numeric.model.phonons import Phonons, angular_momentum, saito_graphene
from numeric.units import AMU_IN_NATURAL_MASS, MU_B_EV_PER_T, MU_N_EV_PER_T, TESLA_PER_NATURAL_FIELD

EXACT = 1e-12
rng = np.random.default_rng(7)
MASSES = (12.011, 12.011)


def test_sublattice_diagonal_lambda_gives_lambda_times_angular_momentum_over_mass():
    """Λ = λ·1 ⇒ m = λ l/M with l the Zhang–Niu angular momentum (ħ = 1): an independent closed form."""
    ph = Phonons(honeycomb_model().lattice, saito_graphene(masses=(12.0, 14.0)))
    _, V = ph.modes(ph.lattice.point("K"))
    lam = 0.37
    for nu in range(4):
        e = V[:, nu].reshape(2, 2)
        expected = sum(lam * 2 * np.imag(np.conj(e[a, 0]) * e[a, 1]) / (m * AMU_IN_NATURAL_MASS)
                       for a, m in enumerate((12.0, 14.0)))
        got = mode_moment(lam * np.eye(2), V[:, nu], (12.0, 14.0))
        assert abs(got - expected) < EXACT * max(abs(expected), 1e-6)
    # and the total angular momentum is the sublattice sum used above
    np.testing.assert_allclose(angular_momentum(V), [sum(2 * np.imag(np.conj(V[2 * a, n]) * V[2 * a + 1, n])
                                                         for a in range(2)) for n in range(4)], atol=EXACT)


def test_moment_matrix_diagonal_is_the_mode_moment():
    L = rng.normal(size=(2, 2)) + 1j * rng.normal(size=(2, 2))
    V = np.linalg.qr(rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4)))[0]
    M = moment_matrix(L, V, MASSES)
    np.testing.assert_allclose(np.diag(M), [mode_moment(L, V[:, n], MASSES) for n in range(4)], atol=EXACT)


@pytest.mark.parametrize("label,pair", [("G", [2, 3]), ("K", [1, 2])])
def test_circular_basis_is_the_field_split_basis_of_degenerate_pairs(label, pair):
    """At Γ and K the moment operator is diagonal in the circular basis the phonon solver returns (C3), so the
    degenerate-mode rule of CONVENTIONS.md §5 gives the moments of the Zeeman-split modes."""
    model = honeycomb_model(tprime=0.3)
    ph = Phonons(model.lattice, saito_graphene())
    q = model.lattice.point(label)
    E, V = ph.modes(q)
    L = lambda_matrix(uniform_problem(model, 9, rates_from_paper(0.04, 0.04, 0.04)), E[pair[0]], q).Lambda
    M = moment_matrix(L, V[:, pair], MASSES)
    assert abs(M[0, 1]) + abs(M[1, 0]) < 1e-9 * np.abs(M).max()
    np.testing.assert_allclose(np.sort(split_moments(L, V[:, pair], MASSES)), np.sort(np.diag(M).real), atol=1e-12)


def test_unit_conversions():
    m = 1e-3                                              # eV per ħ/(eÅ²)
    assert np.isclose(to_nuclear_magnetons(m) * MU_N_EV_PER_T * TESLA_PER_NATURAL_FIELD, m, rtol=EXACT)
    assert np.isclose(to_nuclear_magnetons(m) / to_bohr_magnetons(m), MU_B_EV_PER_T / MU_N_EV_PER_T, rtol=EXACT)
    assert np.isclose(MU_B_EV_PER_T / MU_N_EV_PER_T, 1836.15267, rtol=1e-8)    # proton/electron mass ratio


def test_ionic_moment_of_a_circular_ion_is_Z_mp_over_M():
    """A charge Ze of mass M on a circle with angular momentum ħ carries Z (m_p/M) μ_N; a linear mode carries none."""
    from numeric.response.moment import ionic_moment_muN

    mp_u = 1.007276466621                                  # proton mass in u (CODATA 2018)
    circ = np.array([1, 1j, 0, 0]) / np.sqrt(2)           # sublattice A counter-clockwise, B at rest
    assert ionic_moment_muN(circ, (12.011, 12.011), (6, 6)) == pytest.approx(6 * mp_u / 12.011, rel=1e-9)
    assert ionic_moment_muN(np.array([1, 0, 1, 0]) / np.sqrt(2), (12.0, 12.0), (6, 6)) == 0.0
    opposite = np.array([1, 1j, 1, -1j]) / 2              # the two sublattices circle oppositely: cancels (C2T case)
    assert abs(ionic_moment_muN(opposite, (12.0, 12.0), (6, 6))) < 1e-15


def test_tensor_moment_reduces_to_the_eq4_moment():
    """tensor_mode_moment of T = ½ Λ ε (what a q = Γ tensor is) equals mode_moment(Λ) for real symmetric Λ."""
    from numeric.response.contraction import LEVI_CIVITA_2D
    from numeric.response.moment import tensor_mode_moment

    rng = np.random.default_rng(4)
    lam = rng.normal(size=(2, 2))
    lam = lam + lam.T
    T = 0.5 * lam[:, None, :, None] * LEVI_CIVITA_2D[None, :, None, :]
    for _ in range(3):
        e = rng.normal(size=4) + 1j * rng.normal(size=4)
        masses = rng.uniform(1, 20, 2)
        ref = mode_moment(lam, e, masses)
        assert abs(tensor_mode_moment(T, e, masses) - ref.real) < 1e-12 * abs(ref) and abs(ref.imag) < 1e-12 * abs(ref)
