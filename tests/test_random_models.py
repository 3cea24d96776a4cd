"""The referee and the vertices on random N-band models (the model family of V2, CONVENTIONS.md §10), away from any
honeycomb symmetry."""

import numpy as np
import pytest

from numeric.response.damping import Rates
from numeric.response.direct import lambda_matrix, response_functions, uniform_problem
from numeric.model.tight_binding import Displacement, vector_potential
from numeric.model.random_model import gap_midpoint, random_model

EXACT = 1e-12
RECIPROCITY = 2e-3        # relative, nk = 16 (the two routes differ by the grid error only)
rng = np.random.default_rng(7)


@pytest.mark.parametrize("nbands,seed", [(2, 3), (3, 0), (3, 1)])
def test_random_model_is_hermitian_gapped_and_reproducible(nbands, seed):
    m = random_model(nbands, seed)
    k = rng.uniform(-2, 2, size=(20, 2))
    H = m.hamiltonian(k)
    np.testing.assert_allclose(H, np.conj(np.swapaxes(H, -1, -2)), atol=EXACT)
    np.testing.assert_array_equal(random_model(nbands, seed).hamiltonian(k), H)
    gap_midpoint(m)


@pytest.mark.parametrize("peierls", ["equilibrium", "displaced"])
def test_continuity_identities_on_a_random_model(peierls):
    m = random_model(3, 1, peierls=peierls)
    k = rng.uniform(-2, 2, size=(6, 2))
    q, q0 = rng.uniform(-2, 2, size=(2, 2))
    U = rng.normal(size=(3, 2)) + 1j * rng.normal(size=(3, 2))
    J = [m.vertex([vector_potential(q0, c)], k) for c in range(2)]
    np.testing.assert_allclose(q0[0] * J[0] + q0[1] * J[1], m.hamiltonian(k) - m.hamiltonian(k - q0), atol=EXACT * 10)
    u = Displacement(tuple(q), U)
    Jm = [m.vertex([u, vector_potential(q0, c)], k) for c in range(2)]
    N = np.diag(1j * U @ q0) if peierls == "displaced" else np.zeros((3, 3))
    rhs = m.vertex([u], k) - m.vertex([u], k - q0) + m.hamiltonian(k) @ N - N @ m.hamiltonian(k - q - q0)
    np.testing.assert_allclose(q0[0] * Jm[0] + q0[1] * Jm[1], rhs, atol=EXACT * 10 * np.abs(rhs).max())


def test_reciprocity_on_a_three_band_model_without_time_reversal():
    """Both Hellmann–Feynman routes give one Λ in the Hermitian limit, for N = 3 and broken time reversal."""
    m = random_model(3, 1)
    r = lambda_matrix(uniform_problem(m, 16, Rates(1e-4, (0.0, 0.0, 0.0)), mu=gap_midpoint(m)), 0.05, [0.3, -0.2])
    assert np.abs(r.current_route - r.force_route).max() < RECIPROCITY * np.abs(r.Lambda).max()


def test_three_band_thetas_are_gauge_invariant(random_gauge):
    m = random_model(3, 0)
    pb = uniform_problem(m, 6, Rates(0.03, (0.01, 0.02, 0.015)), mu=gap_midpoint(m))
    ref = response_functions(pb, 0.05, [0.3, -0.2], [1e-3, 0.0])
    random_gauge()
    other = response_functions(pb, 0.05, [0.3, -0.2], [1e-3, 0.0])
    for name in ref:
        np.testing.assert_allclose(other[name].val, ref[name].val, atol=1e-10 * np.abs(ref[name].val).max())
