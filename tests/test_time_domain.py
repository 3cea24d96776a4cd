"""Rung V1b: the referee's frequency-domain ρ_S against a time integration of the same equation of motion.

``numeric.response.direct`` solves Eq. (5) order by order *algebraically*: it assumes the steady state ρ_S e^{−iΩ_S t} and
divides by Ω_S − ε_n(k) + ε_m(k − Q_S) + i(γ_n + γ_m). This module checks that algebra (signs of Ω and of the
damping, the momentum shifts of [V_T, ρ_{S∖T}], the two-field vertices, the reading of η_p as adiabatic switching)
by integrating the equation of motion itself in time, with nothing from direct.py but the answer being compared.

Equation (e = ħ = 1, eV, time in ħ/eV), written in the *orbital* basis at each k:

    i dρ_S(k)/dt = H_eff(k) ρ_S(k) − ρ_S(k) H_eff(k − Q_S)†
                   + Σ_{T ⊂ S, T ≠ ∅} e^{−iΩ_T t} [V_T(k) ρ_{S∖T}(k − Q_T) − ρ_{S∖T}(k) V_T(k − Q_{S∖T})],

H_eff(k) = H₀(k) − iΓ(k), Γ(k) = U(k) diag(γ_n) U(k)† (Γ = diag γ_n in the band basis, as in direct.py), ρ_∅ = U f U†
constant, V_T = ``model.vertex`` of the fields in T with fixed random complex amplitudes (so ρ_S is one matrix; the
referee's component arrays are contracted with the same amplitudes). Fields: u (momentum q, Ω_u = ω + iη_p),
w (−q − q₀, Ω_w = −ω + iη_p), A (q₀, Ω_A = 0). Every (S, k-shift) pair the recursion touches is enumerated and the
whole hierarchy, linear in ρ with coefficients e^{−iΩ_T t}, is integrated in the lab frame with fixed-step RK4.

Switching on. The phonon fields grow as e^{η_p t}; they are integrated from t₀ = −T_p with ρ_S = 0 there, which
leaves a start-up transient of relative size e^{−η_p T_p} at t = 0 even with γ = 0 (the undamped case):
T_p = ln(1/TRANSIENT)/η_p. The static A field has no adiabatic ramp (Ω_A = 0 is what direct.py uses), so without
damping it has no steady state; it is switched on suddenly at −T_A with ρ_A = 0 and relaxes at γ_n + γ_m ≥ 2 min γ,
T_A − T_p ≥ ln(1/TRANSIENT)/(2 min γ), before the phonons come in. It therefore appears only in the damped case.
For −T_A < t < −T_p the ρ_A equations are autonomous and linear: their RK4 steps (2¹⁶ here) are taken as the RK4
affine map composed with itself by repeated squaring (the same steps, cheaply). At t = 0 the steady state ρ_S e^{−iΩ_S t}
is ρ_S itself, compared with ``DensityMatrixSeries.rho(S, shift).val`` (band basis → orbital: U_l ρ U_r†) for every
(S, shift) of the closed set.

Step. The driven solution oscillates slowly (|Re Ω_S| ≤ ω) but the homogeneous frequencies reach the interband
energy ~6 eV; RK4's error for the driven part scales as h⁴ (measured: 7e-10 at h = 0.02, 4e-11 at h = 0.01 relative),
so RK4_STEP = 0.01 ħ/eV. A smaller hopping (t = −1 eV, Δ = 0.5 eV) keeps the step affordable.

Also checked: direct.py's exact ∂_ω ρ_S (the ``.der`` of its Dual) against Richardson-extrapolated central differences
of ``.val`` in ω (steps 1e-4 and 5e-5 eV).
"""

import functools
from itertools import combinations

import numpy as np
import pytest

from numeric.model.bands import diagonalize
from numeric.response.damping import Rates
from numeric.response.direct import DensityMatrixSeries, _Field
from numeric.model.tight_binding import displacement_basis, potential_basis
from numeric.model.honeycomb import honeycomb_model
from numeric.model.tight_binding import Displacement, VectorPotential
from numeric.model.occupation import fermi_dirac

TIME_DOMAIN = 1e-8        # relative to max|ρ_S| (rung V1b, CONVENTIONS.md §10)
OMEGA_DERIVATIVE = 1e-7   # relative to max|∂_ω ρ_S|, Richardson-extrapolated central difference of .val
OMEGA_STEP = 1e-4         # eV, outer step of that difference (inner: OMEGA_STEP/2)
TRANSIENT = 1e-11         # start-up transient left at t = 0, relative
RK4_STEP = 0.01           # ħ/eV
NONTRIVIAL = 1e-3         # every compared ρ_S must be at least this large (guards against comparing zeros)

rng = np.random.default_rng(7)

MODEL = honeycomb_model(t=-1.0, delta=0.5)
NSUB = MODEL.nsub
K = rng.uniform(-1.5, 1.5, size=(3, 2))           # 1/Å
Q = rng.uniform(-0.4, 0.4, size=2)                # phonon momentum, 1/Å
Q0 = rng.uniform(-0.15, 0.15, size=2)             # A-field momentum, 1/Å
OMEGA = 0.2                                       # eV
AMPLITUDE = {
    "u": rng.normal(size=(NSUB, 2)) + 1j * rng.normal(size=(NSUB, 2)),
    "w": rng.normal(size=(NSUB, 2)) + 1j * rng.normal(size=(NSUB, 2)),
    "A": rng.normal(size=2) + 1j * rng.normal(size=2),
}
MOMENTUM = {"u": Q, "w": -Q - Q0, "A": Q0}
FIELD = {
    "u": Displacement(tuple(MOMENTUM["u"]), AMPLITUDE["u"]),
    "w": Displacement(tuple(MOMENTUM["w"]), AMPLITUDE["w"]),
    "A": VectorPotential(tuple(MOMENTUM["A"]), AMPLITUDE["A"]),
}

PHONON_ORDERS = (("u",), ("w",), ("u", "w"))
ALL_ORDERS = (("u",), ("w",), ("A",), ("u", "w"), ("w", "A"), ("u", "A"))
CASES = {
    "damped": dict(eta_p=0.1, gamma=(0.02, 0.03), orders=ALL_ORDERS),
    "undamped": dict(eta_p=0.05, gamma=(0.0, 0.0), orders=PHONON_ORDERS),
}


def frequencies(eta_p, omega=OMEGA):
    return {"u": omega + 1j * eta_p, "w": -omega + 1j * eta_p, "A": 0.0}


def momentum(S):
    return sum((MOMENTUM[f] for f in S), np.zeros(2))


def shift_key(s):
    return tuple(np.round(np.asarray(s, float), 12))


def nonempty_subsets(S):
    for r in range(1, len(S) + 1):
        yield from combinations(S, r)


def closed_pairs(orders):
    """Every (S, shift) with S ≠ ∅ that ρ_S(k + 0) for S in ``orders`` needs, each with its shift vector."""
    pairs, stack = {}, [(S, np.zeros(2)) for S in orders]
    while stack:
        S, s = stack.pop()
        if not S or (S, shift_key(s)) in pairs:
            continue
        pairs[(S, shift_key(s))] = s
        for T in nonempty_subsets(S):
            R = tuple(f for f in S if f not in T)
            stack += [(R, s - momentum(T)), (R, s)]
    return pairs


# ---------------------------------------------------------------------------------------------------
# the time-domain hierarchy
# ---------------------------------------------------------------------------------------------------
def orbital_band_operators(k, gamma):
    """H₀(k), Γ(k) = U diag(γ) U†, ρ₀(k) = U diag(f) U† in the orbital basis."""
    H = MODEL.hamiltonian(k)
    e, U = diagonalize(H)
    Ud = np.conj(np.swapaxes(U, -1, -2))
    Gamma = U @ (np.asarray(gamma, float)[:, None] * Ud)
    rho0 = U @ (fermi_dirac(e)[..., :, None] * Ud)
    return H, Gamma, rho0


def left(A):
    """X ↦ A X on row-major vec(X), batched over k: (nk, n², n²)."""
    n = A.shape[-1]
    return np.einsum("kab,cd->kacbd", A, np.eye(n)).reshape(len(A), n * n, n * n)


def right(B):
    """X ↦ X B on row-major vec(X), batched over k."""
    n = B.shape[-1]
    return np.einsum("ab,kdc->kacbd", np.eye(n), B).reshape(len(B), n * n, n * n)


def phase_group(T):
    """The phonon content of T fixes e^{−iΩ_T t} (Ω_A = 0)."""
    return tuple(f for f in T if f != "A")


GROUPS = ((), ("u",), ("w",), ("u", "w"))


def hierarchy(case):
    """dy/dt = Σ_g e^{−iΩ_g t} (M_g y + b_g) for y = all ρ_S(k + shift) of the closed set, orbital basis."""
    gamma = CASES[case]["gamma"]
    pairs = closed_pairs(CASES[case]["orders"])
    index = {p: i for i, p in enumerate(pairs)}
    nk = len(K)
    P, m = len(pairs), NSUB * NSUB
    M = np.zeros((len(GROUPS), P, nk, m, P, nk, m), dtype=complex)
    b = np.zeros((len(GROUPS), P, nk, m), dtype=complex)

    def add(g, row, col, blocks):
        for j in range(nk):
            M[g, row, j, :, col, j, :] += blocks[j]

    for (S, key), s in pairs.items():
        p = index[(S, key)]
        Hl, Gl, _ = orbital_band_operators(K + s, gamma)
        Hr, Gr, _ = orbital_band_operators(K + s - momentum(S), gamma)
        # i dρ/dt ∋ (H − iΓ)_l ρ − ρ (H + iΓ)_r
        add(0, p, p, left(Hl - 1j * Gl) - right(Hr + 1j * Gr))
        for T in nonempty_subsets(S):
            R = tuple(f for f in S if f not in T)
            g = GROUPS.index(phase_group(T))
            fields = [FIELD[f] for f in T]
            V_l = MODEL.vertex(fields, K + s)
            V_r = MODEL.vertex(fields, K + s - momentum(R))
            if R:
                add(g, p, index[(R, shift_key(s - momentum(T)))], left(V_l))
                add(g, p, index[(R, shift_key(s))], -right(V_r))
            else:
                rho_l = orbital_band_operators(K + s - momentum(T), gamma)[2]
                rho_r = orbital_band_operators(K + s, gamma)[2]
                b[g, p] += (V_l @ rho_l - rho_r @ V_r).reshape(nk, m)
    N = P * nk * m
    M = -1j * M.reshape(len(GROUPS) * N, N)        # dy/dt = −i × (right-hand side of i dρ/dt)
    b = -1j * b.reshape(len(GROUPS), N)
    return pairs, index, M, b


def rk4_affine_map(M, b, h):
    """One RK4 step of the autonomous dy/dt = M y + b as the affine map y ↦ R y + r."""
    hM = h * M
    eye = np.eye(len(M))
    R, P, term = eye.copy(), eye.copy(), eye.copy()
    for j in range(1, 5):
        term = term @ hM / j                       # (hM)^j / j!
        R = R + term
        if j < 4:
            P = P + term / (j + 1)                 # Σ_{j<4} (hM)^j / (j+1)!
    return R, h * (P @ b)


def switch_on_times(case):
    """(T_A, T_p): A is switched on at −T_A, the phonon fields are integrated from −T_p (see the module docstring)."""
    c = CASES[case]
    T_p = np.log(1 / TRANSIENT) / c["eta_p"]
    if not any("A" in S for S in c["orders"]):
        return None, T_p
    rate = 2 * min(c["gamma"])
    assert rate > 0, "a static field needs electronic damping to relax"
    return T_p + np.log(1 / TRANSIENT) / rate, T_p


@functools.lru_cache(maxsize=None)
def time_domain(case):
    """ρ_S(k + shift) at t = 0 for every pair of the closed set, (nk, nb, nb) orbital-basis arrays."""
    pairs, index, M, b = hierarchy(case)
    Om = frequencies(CASES[case]["eta_p"])
    omega_g = np.array([sum((Om[f] for f in G), 0.0) for G in GROUPS], dtype=complex)
    G, N = b.shape
    h = RK4_STEP
    T_A, T_p = switch_on_times(case)
    nsteps = int(np.ceil(T_p / h))
    y = np.zeros(N, dtype=complex)

    # −T_A < t < −T_p: only the static A field acts; ρ_A obeys an autonomous linear ODE, so 2^n RK4 steps are the
    # RK4 affine map composed with itself n times (the same arithmetic, reordered).
    static = np.zeros((len(pairs), len(K) * NSUB * NSUB), dtype=bool)
    static[[index[p] for p in pairs if not phase_group(p[0])]] = True
    static = static.ravel()
    if T_A is not None:
        blocks = M.reshape(G, N, N)
        assert not np.any(blocks[1:][:, static]) and not np.any(blocks[0][np.ix_(static, ~static)])
        R, r = rk4_affine_map(blocks[0][np.ix_(static, static)], b[0][static], h)
        ys = np.zeros(static.sum(), dtype=complex)
        doublings = int(np.ceil(np.log2((T_A - T_p) / h)))
        for _ in range(doublings):
            R, r = R @ R, R @ r + r                # (R, r) ∘ (R, r)
        y[static] = R @ ys + r
    else:
        assert not static.any()

    def rhs(c, y):
        return c @ ((M @ y).reshape(G, N) + b)

    # −T_p < t < 0: the full hierarchy with e^{−iΩ_T t}, fixed-step RK4 in the lab frame
    for i in range(nsteps, 0, -1):
        t = -i * h
        c0, c1, c2 = (np.exp(-1j * omega_g * (t + dt)) for dt in (0.0, h / 2, h))
        k1 = rhs(c0, y)
        k2 = rhs(c1, y + (h / 2) * k1)
        k3 = rhs(c1, y + (h / 2) * k2)
        k4 = rhs(c2, y + h * k3)
        y = y + (h / 6) * (k1 + 2 * k2 + 2 * k3 + k4)
    y = y.reshape(len(pairs), len(K), NSUB, NSUB)
    return {p: y[index[p]] for p in pairs}


# ---------------------------------------------------------------------------------------------------
# the referee, contracted with the same amplitudes and taken to the orbital basis
# ---------------------------------------------------------------------------------------------------
def referee(case, omega=OMEGA):
    eta_p, gamma = CASES[case]["eta_p"], CASES[case]["gamma"]
    Om = frequencies(eta_p, omega)
    fields = {
        "u": _Field("u", MOMENTUM["u"], Om["u"], 1.0, displacement_basis(MOMENTUM["u"], NSUB)),
        "w": _Field("w", MOMENTUM["w"], Om["w"], -1.0, displacement_basis(MOMENTUM["w"], NSUB)),
        "A": _Field("A", MOMENTUM["A"], 0.0, 0.0, potential_basis(MOMENTUM["A"])),
    }
    return DensityMatrixSeries(MODEL, K, Rates(eta_p, gamma), 0.0, 0.0, fields, True)


def to_orbital(band_array, S, s):
    """Contract the component axes (FIELD_ORDER, the order of S) with AMPLITUDE; rotate U_l ρ U_r†."""
    r = band_array
    for f in S:
        r = np.tensordot(AMPLITUDE[f].ravel(), r, axes=(0, 0))
    U_l = diagonalize(MODEL.hamiltonian(K + s))[1]
    U_r = diagonalize(MODEL.hamiltonian(K + s - momentum(S)))[1]
    return U_l @ r @ np.conj(np.swapaxes(U_r, -1, -2))


def relative_deviation(a, b):
    scale = np.abs(b).max()
    assert scale > NONTRIVIAL, f"reference too small to compare ({scale:.2e})"
    return np.abs(a - b).max() / scale


CASE_ORDERS = [(c, S) for c in CASES for S in CASES[c]["orders"]]


@pytest.mark.parametrize("case,S", CASE_ORDERS, ids=[f"{c}-{''.join(S)}" for c, S in CASE_ORDERS])
def test_time_domain_reproduces_frequency_domain(case, S):
    """ρ_S at t = 0 after adiabatic switching equals direct.py's ρ_S, at every shift the recursion touches."""
    rho_t = time_domain(case)
    series = referee(case)
    shifts = [(key, s) for (T, key), s in closed_pairs(CASES[case]["orders"]).items() if T == S]
    assert shifts
    for key, s in shifts:
        expected = to_orbital(series.rho(S, s).val, S, s)
        dev = relative_deviation(rho_t[(S, key)], expected)
        assert dev < TIME_DOMAIN, f"{case} S={S} shift={key}: relative deviation {dev:.2e}"


@pytest.mark.parametrize("case,S", CASE_ORDERS, ids=[f"{c}-{''.join(S)}" for c, S in CASE_ORDERS])
def test_omega_derivative_is_central_difference(case, S):
    """direct.py's exact ∂_ω ρ_S against central differences of ρ_S.val at ±δ and ±δ/2 (Richardson, O(δ⁴)).

    The plain ±δ difference is not enough: ρ_uA has near-resonant intraband denominators with Im ≈ η_p + 2γ, whose
    curvature makes its O(δ²) error 6e-7 at δ = 1e-4 (it falls as δ², 1.4e-7 at δ/2: truncation, not a bug).
    """
    center = referee(case)
    val = {x: referee(case, OMEGA + x) for x in (-OMEGA_STEP, -OMEGA_STEP / 2, OMEGA_STEP / 2, OMEGA_STEP)}
    for (T, key), s in closed_pairs(CASES[case]["orders"]).items():
        if T != S:
            continue
        exact = center.rho(S, s).der

        def central(d):
            return (val[d].rho(S, s).val - val[-d].rho(S, s).val) / (2 * d)

        fd = (4 * central(OMEGA_STEP / 2) - central(OMEGA_STEP)) / 3
        if phase_group(S):
            dev = relative_deviation(fd, exact)
        else:                                      # ρ_A does not depend on ω at all
            assert not np.any(exact)
            dev = np.abs(fd).max() / np.abs(center.rho(S, s).val).max()
        assert dev < OMEGA_DERIVATIVE, f"{case} S={S} shift={key}: ∂_ω deviation {dev:.2e}"


def test_closed_set_contains_the_shifted_first_orders():
    """The recursion's bookkeeping: ρ_uw needs ρ_u at k − Q_w and ρ_w at k − Q_u, besides the unshifted ones."""
    pairs = closed_pairs((("u", "w"),))
    expected = {(("u", "w"), shift_key((0, 0))), (("u",), shift_key((0, 0))), (("w",), shift_key((0, 0))),
                (("u",), shift_key(-momentum(("w",)))), (("w",), shift_key(-momentum(("u",))))}
    assert set(pairs) == expected
