"""The whole moment of a mode (CONVENTIONS.md §5, §8): the tensor T^{ab}_{k₁k₂} before Eq. (4)'s ε_{k₁k₂} contraction,
on the fast path (numeric/response/fast.py ``lambda_tensor_generated``), against the referee's tensor, the magnetic
supercell at K and Eq. (4)'s moment at Γ; and the in-field phonon problem widened to it (numeric/response/angular.py).
"""

import numpy as np
import pytest

from numeric.api import graphene_phonons, moment
from numeric.model.honeycomb import honeycomb_model
from numeric.response.angular import gyroscopic_matrix, modes_in_field
from numeric.response.damping import Rates, rates_from_paper
from numeric.response.direct import lambda_tensor, uniform_problem
from numeric.response.fast import lambda_generated_rates, lambda_projected_rates, lambda_tensor_generated
from numeric.response.moment import (mass_weighted, mode_moments, tensor_mode_moments, to_nuclear_magnetons,
                                     whole_from_projection)
from numeric.units import AMU_IN_NATURAL_MASS, MU_N_EV_PER_T
from numeric.verify.supercell import born_oppenheimer_moment

TENSOR = 1e-8            # generated = referee, per component relative to its own size (observed ≤ 5e-10)
EXACT = 1e-12            # identities that hold to rounding
BO_FIT = 5e-4            # relative to the largest moment, as V7 (tests/test_adiabatic.py: the L = 24 fit's error)
ZEEMAN = 1e-5            # relative: the in-field problem's shift against −m B at B = 0.1 T (second order ~1e-6)

ADIABATIC = dict(omega=0.002, rates=Rates(1e-5, (0.0, 0.0)))
DAMPED = (0.04, 0.02, 0.03)                                     # the paper's η_p, η_c, η_v (eV): a generic set
GENERIC_Q = np.array([0.31, 0.17])                               # 1/Å
# A-circular, B-circular (component 2a + i), as tests/test_adiabatic.py: the supercell then reuses its curvature.
POLARIZATIONS = np.array([[1, 1j, 0, 0], [0, 0, 1, 1j], [1, 1j, 1, -1j], [1, 0.3j, -0.5, 1j], [1, -1j, 0.2, 1j]]) / np.sqrt(2)


@pytest.fixture(scope="module")
def model():
    return honeycomb_model(tprime=0.3)


@pytest.mark.parametrize("tprime", [0.0, 0.3])
def test_generated_tensor_equals_the_referee(tprime):
    """Every component of T (the Λ combination of routes) at a generic q with damping, nk = 12: the eq4 kernels on
    the k₁ = k₂ pairs too are the referee's lambda_tensor; the tensor's ε contraction is lambda_generated_rates' Λ
    and its split, to rounding."""
    m = honeycomb_model(tprime=tprime)
    rates = rates_from_paper(*DAMPED, m.nsub)
    pb = uniform_problem(m, 12, rates)
    ref = lambda_tensor(pb, 0.19, GENERIC_Q)
    gen = lambda_tensor_generated(pb, 0.19, GENERIC_Q, [rates])[0]
    T = gen["tensor"]["Lambda"]
    np.testing.assert_allclose(T, ref, rtol=TENSOR, atol=TENSOR * np.abs(ref).max() * 1e-3,
                               err_msg=f"q = {GENERIC_Q}, t′ = {tprime}, eta = {DAMPED}")
    plain = lambda_generated_rates(pb, 0.19, GENERIC_Q, [rates])[0]
    for key in ("Lambda", "adiabatic", "nonadiabatic", "current_route", "force_route"):
        assert np.abs(gen[key] - plain[key]).max() < EXACT * np.abs(plain["Lambda"]).max(), key
    split = gen["tensor"]["adiabatic"] + gen["tensor"]["nonadiabatic"]
    assert np.abs(split - T).max() < EXACT * np.abs(T).max()
    assert np.abs(T[:, 0, :, 0]).max() > 0.1 * np.abs(T).max()           # the k₁ = k₂ parts are not small here


@pytest.mark.parametrize("resonances", [False, True])
def test_the_projected_route_is_the_tensor_on_the_mode(model, resonances):
    """The scans' route (the mode's polarization folded into the vertices, one pair) gives the tensor's moment of that
    mode and its split to rounding, and the same Λ, for two damping sets at once, with and without the resonance
    treatment (top branch, generic q, nk = 12)."""
    phonons = graphene_phonons(model)
    energies, vectors = phonons.modes(GENERIC_Q)
    e, masses = vectors[:, 3], phonons.force_constants.masses
    sets = [rates_from_paper(*DAMPED, model.nsub), rates_from_paper(0.004, 0.02, 0.04, model.nsub)]
    pb = uniform_problem(model, 12, sets[0])
    args = (pb, energies[3], GENERIC_Q, sets)
    tensor = lambda_tensor_generated(*args, resonances=resonances)
    projected = lambda_projected_rates(*args, mass_weighted(e, masses), resonances=resonances)
    for t, p in zip(tensor, projected):
        for key in ("Lambda", "adiabatic", "nonadiabatic"):
            whole = tensor_mode_moments(t["tensor"][key], e, masses)
            assert abs(whole_from_projection(p["projected"][key]) - whole) < EXACT * 1e2 * abs(whole), key
            assert np.abs(p[key] - t[key]).max() < EXACT * np.abs(t["Lambda"]).max(), key


def test_the_whole_moment_is_the_supercell_moment_at_K(model):
    """At K in the adiabatic limit (t′ = 0.3, nk = 48) the generated tensor gives the supercell's whole
    Born–Oppenheimer moment (L = 24, the arguments of tests/test_adiabatic.py) of both circular modes and the three
    other polarizations (CONVENTIONS.md §8: 19.166 for the A-circular mode against Eq. 4's 9.5145)."""
    K = model.lattice.point("K")
    bo = born_oppenheimer_moment(model, K, POLARIZATIONS, ((24, 0), (24, 1), (24, 2), (24, 3)), nkappa=1)
    pb = uniform_problem(model, 48, ADIABATIC["rates"])
    T = lambda_tensor_generated(pb, ADIABATIC["omega"], K, [pb.rates])[0]["tensor"]["Lambda"]
    unit = np.full(model.nsub, 1.0 / AMU_IN_NATURAL_MASS)              # unit masses, as the supercell's modes
    m = np.array([tensor_mode_moments(T, e, unit) for e in POLARIZATIONS])
    scale = np.abs(bo.moment).max()
    assert np.abs(m.imag).max() < 1e-6 * scale                          # Hermitian limit: T anti-Hermitian
    np.testing.assert_allclose(m.real, bo.moment, rtol=0, atol=BO_FIT * scale, err_msg="q = K, adiabatic, t′ = 0.3")
    assert abs(m[0].real - 19.166) < 2e-3 and abs(m[1].real + 0.3583) < 2e-3, m[:2]


@pytest.mark.parametrize("eta", [DAMPED, (1e-5, 0.0, 0.0)])
def test_whole_equals_eq4_at_gamma(model, eta):
    """At Γ C3v leaves T^{ab} = ½ Λ^{ab} ε: the δ and traceless parts vanish, and the whole moment of the optical
    (circular) modes is Eq. (4)'s, its real and dissipative parts, at finite damping too (their sublattice amplitudes
    are relatively real, CONVENTIONS.md §5)."""
    phonons = graphene_phonons(model)
    energies, vectors = phonons.modes(np.zeros(2))
    rates = rates_from_paper(*eta, model.nsub)
    pb = uniform_problem(model, 24, rates)
    gen = lambda_tensor_generated(pb, energies[-1], np.zeros(2), [rates])[0]
    masses = phonons.force_constants.masses
    for key in ("Lambda", "adiabatic", "nonadiabatic"):
        T, L = gen["tensor"][key], gen[key]
        half = 0.5 * np.einsum("ab,ij->aibj", L, np.array([[0.0, 1.0], [-1.0, 0.0]]))
        assert np.abs(T - half).max() < 1e-9 * np.abs(gen["tensor"]["Lambda"]).max(), key
        for b in (2, 3):
            whole = tensor_mode_moments(T, vectors[:, b], masses)
            eq4 = mode_moments(L, vectors[:, b], masses)
            assert abs(whole - eq4) < 1e-9 * abs(mode_moments(gen["Lambda"], vectors[:, b], masses)), (key, b)


def test_the_in_field_problem_shifts_modes_by_the_whole_moment(model):
    """Consistency: the phonon problem in a field B with the gyroscopic matrix of the whole tensor (angular.py) shifts
    each non-degenerate mode at K by −m B, m its whole moment (damped, the reactive part), for B = 0.1 T; with the
    gyroscopic matrix of Λ alone, by Eq. (4)'s moment."""
    phonons = graphene_phonons(model)
    K = model.lattice.point("K")
    energies, vectors = phonons.modes(K)
    rates = rates_from_paper(*DAMPED, model.nsub)
    pb = uniform_problem(model, 24, rates)
    b = 3                                                                # the top branch, non-degenerate at K
    gen = lambda_tensor_generated(pb, energies[b], K, [rates])[0]
    masses = phonons.force_constants.masses
    B = 0.1                                                              # tesla
    for G, m in ((gyroscopic_matrix(gen["tensor"]["Lambda"], masses, B),
                  tensor_mode_moments(gen["tensor"]["Lambda"], vectors[:, b], masses).real),
                 (gyroscopic_matrix(gen["Lambda"], masses, B), mode_moments(gen["Lambda"], vectors[:, b], masses).real)):
        w, _ = modes_in_field(energies, vectors, G)
        shift = w[b] - energies[b]                                       # eV
        expected = -to_nuclear_magnetons(m) * MU_N_EV_PER_T * B          # −m B, eV
        assert abs(shift - expected) < ZEEMAN * abs(expected), (shift, expected)


def test_api_reports_the_whole_moment(model):
    """``moment`` reports whole_muN beside total, with its exact split; at K it differs from Eq. (4)'s."""
    phonons = graphene_phonons(model)
    r = moment(model, phonons, "K", nk=24, eta=DAMPED, error_estimate=False)
    d = r.to_dict()
    keys = list(d)
    assert keys.index("whole_muN") > keys.index("warnings")              # old keys first, in their order
    assert abs(r.whole_adiabatic_muN + r.whole_nonadiabatic_muN - r.whole_muN) < EXACT * abs(r.whole_muN)
    assert abs(r.whole_muN - r.total) > 0.05 * abs(r.total)
