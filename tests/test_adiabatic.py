"""V7 (CONVENTIONS.md §10): the referee's λ in the adiabatic limit against the magnetic-supercell Born–Oppenheimer
moment, at Γ and, with displacements modulated at K (numeric/verify/supercell.py ``born_oppenheimer_moment``), at K.

The supercell (numeric/verify/supercell.py) puts n flux quanta through an L×L torus with Peierls phases, computes the molecular
Berry curvature of the filled bands for uniform sublattice displacements, and λ_BO = ½ ∂Ω_xy/∂B by a fit over n: no
perturbation theory in A, so it checks the referee's q₀ expansion and the combination of θ's (CONVENTIONS.md §8).

The values and their convergence with L are in CONVENTIONS.md §8 (``python tests/benchmarks/bench_supercell.py``
prints the table). The test uses L = 24, whose fit error (2.3e-4 relative against L = 48) sets BO_FIT.
"""

import numpy as np
import pytest

from numeric.response.damping import Rates
from numeric.response.contraction import LEVI_CIVITA_2D
from numeric.response.direct import lambda_matrix, lambda_tensor, uniform_problem
from numeric.model.honeycomb import honeycomb_model
from numeric.response.moment import tensor_mode_moment
from numeric.units import AMU_IN_NATURAL_MASS
from numeric.response.fast import lambda_generated_rates
from numeric.verify.supercell import born_oppenheimer_lambda, born_oppenheimer_moment

BO_FIT = 5e-4            # relative; L = 24 field-range error measured above (2.3e-4)
RECIPROCITY = 1e-4       # relative difference of the two routes in the Hermitian limit (nk = 24)
ADIABATIC = dict(omega=0.002, rates=Rates(1e-5, (0.0, 0.0)))


@pytest.fixture(scope="module")
def gauge_covariant_model():
    return honeycomb_model(tprime=0.3)


@pytest.fixture(scope="module")
def referee_at_gamma(gauge_covariant_model):
    pb = uniform_problem(gauge_covariant_model, 48, ADIABATIC["rates"])
    return lambda_matrix(pb, ADIABATIC["omega"], np.zeros(2))


def test_V7_referee_equals_born_oppenheimer_at_gamma(gauge_covariant_model, referee_at_gamma):
    bo = born_oppenheimer_lambda(gauge_covariant_model, ((24, 0), (24, 1), (24, 2), (24, 3)), nkappa=1)
    ref = referee_at_gamma.Lambda
    assert np.abs(ref.imag).max() < 1e-6 * np.abs(ref).max()
    np.testing.assert_allclose(ref.real, bo.lam_odd, rtol=0, atol=BO_FIT * np.abs(bo.lam_odd).max(),
                               err_msg="q = Γ, adiabatic limit, t′ = 0.3 eV")


# Polarizations (component 2a + i): A-circular, B-circular, counter-rotating, and two generic mixtures.
POLARIZATIONS = np.array([[1, 1j, 0, 0], [0, 0, 1, 1j], [1, 1j, 1, -1j], [1, 0.3j, -0.5, 1j], [1, -1j, 0.2, 1j]]) / np.sqrt(2)


@pytest.fixture(scope="module")
def bo_at_K(gauge_covariant_model):
    K = gauge_covariant_model.lattice.point("K")
    return born_oppenheimer_moment(gauge_covariant_model, K, POLARIZATIONS, ((24, 0), (24, 1), (24, 2), (24, 3)),
                                   nkappa=1)


def test_modulated_supercell_at_gamma_is_the_uniform_one(gauge_covariant_model):
    """At q = Γ the modulated coordinates (Re c, Im c) reduce to the uniform displacements (Im c moves nothing): the
    ε part is λ_BO of born_oppenheimer_lambda, and nothing beyond it survives (moment = moment_zz = −Σ λ Im X)."""
    pairs = ((12, 0), (12, 1), (12, 2), (12, 3))
    bo = born_oppenheimer_lambda(gauge_covariant_model, pairs, nkappa=1)
    m = born_oppenheimer_moment(gauge_covariant_model, np.zeros(2), POLARIZATIONS, pairs, nkappa=1)
    scale = np.abs(bo.lam_odd).max()
    assert np.abs(m.lam_zz - bo.lam_odd).max() < 1e-12 * scale
    v = POLARIZATIONS.reshape(len(POLARIZATIONS), 2, 2)
    im_x = np.imag(v[:, :, None, 0] * np.conj(v)[:, None, :, 1] - v[:, :, None, 1] * np.conj(v)[:, None, :, 0])
    expected = -np.einsum("ab,pab->p", bo.lam_odd, im_x)
    assert np.abs(m.moment - expected).max() < 1e-12 * scale and np.abs(m.moment_zz - expected).max() < 1e-12 * scale


def test_V7_lambda_A_equals_born_oppenheimer_at_K(gauge_covariant_model, bo_at_K):
    """V7 away from Γ: λ^A at q = K in the adiabatic limit (generated, nk = 48) against the ε_ij part of the curvature
    of displacements modulated at K (L = 24), per sublattice pair, Λ^{AB} = 0 included (values: CONVENTIONS.md §8)."""
    K = gauge_covariant_model.lattice.point("K")
    pb = uniform_problem(gauge_covariant_model, 48, ADIABATIC["rates"])
    lam = lambda_generated_rates(pb, ADIABATIC["omega"], K, [pb.rates])[0]["adiabatic"]
    assert np.abs(lam.imag).max() < 1e-6 * np.abs(lam).max()
    np.testing.assert_allclose(lam.real, bo_at_K.lam_zz, rtol=0, atol=BO_FIT * np.abs(bo_at_K.lam_zz).max(),
                               err_msg="q = K, adiabatic limit, t′ = 0.3 eV")


def test_a_K_phonon_has_a_born_oppenheimer_moment_beyond_eq4(bo_at_K):
    """Finding (CONVENTIONS.md §8): at K the curvature of the modulated coordinates has parts Eq. (4)'s form
    Λ^{ab} (u^a × u̇^b)_z cannot hold (δ_ij within a sublattice, traceless A–B couplings); for the A-circular mode
    they nearly double the moment (19.166 against 9.5145); the referee's uncontracted tensor agrees (next test).
    Asserted so that a change is noticed."""
    full, zz = bo_at_K.moment, bo_at_K.moment_zz
    assert abs(zz[0] - 9.5145) < 1e-3 and abs(full[0] / zz[0] - 2.01) < 0.02, (full, zz)
    assert np.all(bo_at_K.error_estimate < 1e-3 * np.abs(full).max())


def test_the_whole_tensor_gives_the_born_oppenheimer_moment_at_K(gauge_covariant_model, bo_at_K):
    """The finding by a second route: the referee's tensor T^{ab}_{k₁k₂} before Eq. (4)'s ε_{k₁k₂} contraction
    (numeric.response.direct.lambda_tensor, nk = 48) gives, through tensor_mode_moment, the supercell's whole Born–Oppenheimer
    moment of every polarization at K (values: CONVENTIONS.md §8), and its ε contraction is Λ."""
    model = gauge_covariant_model
    K = model.lattice.point("K")
    pb = uniform_problem(model, 48, ADIABATIC["rates"])
    T = lambda_tensor(pb, ADIABATIC["omega"], K)
    unit = np.full(model.nsub, 1.0 / AMU_IN_NATURAL_MASS)                # unit masses, as the supercell's modes
    full = np.array([tensor_mode_moment(T, e, unit) for e in POLARIZATIONS])
    scale = np.abs(bo_at_K.moment).max()
    np.testing.assert_allclose(full, bo_at_K.moment, rtol=0, atol=BO_FIT * scale)
    zz = np.einsum("ij,aibj->ab", LEVI_CIVITA_2D, T)
    np.testing.assert_allclose(zz.real, bo_at_K.lam_zz, rtol=0, atol=BO_FIT * np.abs(bo_at_K.lam_zz).max())


def test_both_routes_agree_in_the_hermitian_limit(gauge_covariant_model, referee_at_gamma):
    """Reciprocity: the magnetization route ⟨∂H/∂A⟩ and the force route ⟨∂H/∂u⟩ give one λ without damping."""
    r = referee_at_gamma
    assert np.abs(r.current_route - r.force_route).max() < RECIPROCITY * np.abs(r.Lambda).max()
    K = gauge_covariant_model.lattice.point("K")
    rk = lambda_matrix(uniform_problem(gauge_covariant_model, 24, Rates(1e-4, (0.0, 0.0))), 0.19, K)
    assert np.abs(rk.current_route - rk.force_route).max() < RECIPROCITY * np.abs(rk.Lambda).max()


def test_printed_eq4_is_not_the_born_oppenheimer_moment(referee_at_gamma):
    """Eq. (4) read literally (¼ Σ θ¹+θ²+θ³) is ≈ 9.6 × λ_BO at Γ: recorded in CONVENTIONS.md §8, asserted so a
    change in the reading is noticed."""
    r = referee_at_gamma
    ratio = r.eq4_as_printed[0, 0].real / r.Lambda[0, 0].real
    assert 9.0 < ratio < 10.2, ratio


def test_displaced_peierls_path_breaks_reciprocity():
    """With Peierls phases on the displaced bonds the electronic dynamics is gauge covariant only with a co-moving term
    Σ_i n_i A(r'_i)·u̇_i absent from the paper's Eq. (2): the two routes then disagree even without damping
    (CONVENTIONS.md §2), which is why the package default is the equilibrium path."""
    model = honeycomb_model(peierls="displaced")
    r = lambda_matrix(uniform_problem(model, 24, Rates(1e-4, (0.0, 0.0))), 0.01, np.zeros(2))
    assert np.abs(r.current_route - r.force_route).max() > 0.1 * np.abs(r.Lambda).max()
