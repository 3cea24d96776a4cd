"""The independent referee: the paper's Eq. (5) solved numerically, order by order, and λ from Eq. (4).

Imports neither SymPy nor ``derive``/``generated`` (tests/test_direct.py runs it where those imports are refused).

Physics (CONVENTIONS.md §1). The electrons obey

    ρ̇ = −i(H_eff ρ − ρ H_eff†) + S,     H_eff = H₀ + V(t) − iΓ,                                   (Eq. 5, read)

with Γ = diag(γ_n) in the band basis of H₀ at each k (γ_n from :func:`numeric.response.damping.rates_from_paper`) and
S = {Γ, ρ₀} the source that keeps ρ₀ = diag f_n stationary; S is of zeroth order and drops out of every order ≥ 1.
V(t) holds three formal plane-wave fields (their product is what λ needs, Eq. 3):

    u  = u(ω, q)         e^{−iΩ_u t},  Ω_u = ω + iη_p,
    w  = u(−ω, −q − q₀)  e^{−iΩ_w t},  Ω_w = −ω + iη_p,
    A  = A(q₀)           static,       Ω_A = 0,

and every vertex of their products (F, v, ∂v/∂R, F^{ab}) from :mod:`numeric.model.tight_binding`. Writing ρ_S for the coefficient
of the product of the fields in S, with momentum Q_S and frequency Ω_S = Σ_{f∈S} Ω_f, Eq. (5) gives in the band basis

    ρ_S(k)_{nm} = Σ_{T ⊂ S, T ≠ ∅} [V_T, ρ_{S∖T}]_{nm} / (Ω_S − ε_n(k) + ε_m(k − Q_S) + i(γ_n + γ_m)),

[V_T, ρ_R](k) = V_T(k) ρ_R(k − Q_T) − ρ_R(k) V_T(k − Q_R), ρ_∅ = diag f_n(k). The ω-derivative of Eq. (4) is taken
exactly by carrying (value, ∂_ω value) pairs through this recursion; the q₀-derivative by central differences with
Richardson extrapolation. Brillouin-zone sums are per primitive cell, (1/N_k) Σ_k, spinless.

Response functions (Eq. 3), index order [k (A), c = (a, i) of u, c' = (b, j) of w]:

    θ¹ = Tr ρ_{uw} v_k(q₀),   θ² = Tr ρ_{wA} F^a_i(q),   θ³ = Tr ρ_w F^a_{i,k}(q + q₀).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from itertools import combinations

import numpy as np

from ..model.bands import diagonalize
from ..validation import ParameterError, finite, positive
from .contraction import contract_eq4, contract_field, routes
from ..model.occupation import fermi_dirac
from ..model.tight_binding import batched_fields, displacement_basis, potential_basis
from .damping import Rates
from .problem import MIN_NK, LambdaResult, Problem, uniform_problem  # noqa: F401  (the referee's public names)

FIELD_ORDER = ("u", "w", "A")
Q0_STEP = 2e-4           # 1/Å, largest finite-difference step of ∂_{q₀} (Richardson with step/2)
Q0_STEP_PER_ETA = 0.05   # the q₀ series converges within ~η_p/v (resonant denominators of width η_p shift by v·q₀):
                         # the step is at most this fraction of η_p/v_max
OPERATIONAL_ROUTES = ("Lambda", "current_route", "force_route")     # what operational_nonadiabatic returns


# ---------------------------------------------------------------------------------------------------
# (value, ∂_ω value) pairs
# ---------------------------------------------------------------------------------------------------
@dataclass
class Dual:
    """An array and its exact derivative with respect to the phonon frequency ω."""

    val: np.ndarray
    der: np.ndarray

    def __add__(self, other):
        return Dual(self.val + other.val, self.der + other.der)

    def __sub__(self, other):
        return Dual(self.val - other.val, self.der - other.der)

    def matmul(self, other):
        return Dual(_mm(self.val, other.val), _mm(self.der, other.val) + _mm(self.val, other.der))


def _mm(a, b):
    """Batched product of small matrices (faster than ``@`` for 2×2 and 3×3 blocks with many batch axes)."""
    out = a[..., :, 0, None] * b[..., None, 0, :]
    for j in range(1, a.shape[-1]):
        out = out + a[..., :, j, None] * b[..., None, j, :]
    return out


def _static(a) -> Dual:
    return Dual(a, np.zeros_like(a))


@dataclass(frozen=True)
class _Field:
    name: str
    q: np.ndarray
    omega: complex          # complex frequency Ω_f
    domega: float           # ∂Ω_f/∂ω
    basis: tuple            # one model field per component


# ---------------------------------------------------------------------------------------------------
# the order-by-order solution of Eq. (5)
# ---------------------------------------------------------------------------------------------------
@dataclass
class DensityMatrixSeries:
    """ρ_S for subsets S of the fields, on a k-grid shifted as needed (momentum bookkeeping in the docstring above).

    Orders are data: ``rho(("u", "w"), shift)`` is the coefficient of u·w, an array of shape
    (n_u, n_w, nk, nb, nb) (one leading axis per field, in FIELD_ORDER) wrapped in a :class:`Dual`.
    """

    model: object
    k: np.ndarray
    rates: Rates
    mu: float
    temperature: float
    fields: dict
    second_order_vertices: bool = True
    bloch: str = "I"
    _bands: dict = field(default_factory=dict)
    _rho: dict = field(default_factory=dict)
    _vert: dict = field(default_factory=dict)
    _phi: dict = field(default_factory=dict)

    # -- bookkeeping ------------------------------------------------------------------------------
    @staticmethod
    def _key(shift):
        return tuple(np.round(np.asarray(shift, float), 12))

    def momentum(self, S) -> np.ndarray:
        return sum((self.fields[f].q for f in S), np.zeros(2))

    def bands(self, shift):
        key = self._key(shift)
        if key not in self._bands:
            e, U = diagonalize(self.model.hamiltonian(self.k + np.asarray(shift), bloch=self.bloch))
            nb = e.shape[-1]
            gamma = np.asarray(self.rates.electron, float)
            if gamma.shape != (nb,):
                raise ParameterError(f"need one electronic damping per band ({nb}), got {len(gamma)}.")
            f = fermi_dirac(e, self.mu, self.temperature)
            self._bands[key] = (e, U, f, gamma)
        return self._bands[key]

    def _axes(self, S):
        return tuple(f for f in FIELD_ORDER if f in S)

    def _expand(self, arr, sub, full):
        """Insert singleton component axes so an array over the fields ``sub`` broadcasts over ``full``."""
        shape = []
        it = iter(arr.shape[: len(sub)])
        for f in full:
            shape.append(next(it) if f in sub else 1)
        return arr.reshape(tuple(shape) + arr.shape[len(sub):])

    def vertex(self, T, shift) -> np.ndarray:
        """⟨n, k+s| V_T |m, k+s−Q_T⟩ for every component combination, shape (comps..., nk, nb, nb)."""
        T = self._axes(T)
        key = (T, self._key(shift))
        if key not in self._vert:
            shift = np.asarray(shift, float)
            _, Ul, _, _ = self.bands(shift)
            _, Ur, _, _ = self.bands(shift - self.momentum(T))
            V = self.model.vertex_from_coefficients(self.bond_coefficients(T), self.momentum(T), self.k + shift,
                                                    bloch=self.bloch)
            self._vert[key] = _mm(_mm(np.conj(np.swapaxes(Ul, -1, -2)), V), Ur)
        return self._vert[key]

    def bond_coefficients(self, T):
        """φ of every component combination of the fields T, shape (comps..., nbonds); cached (k-independent)."""
        if T not in self._phi:
            self._phi[T] = self.model.bond_coefficients(batched_fields([self.fields[f].basis for f in T]))
        return self._phi[T]

    def _source_terms(self, S, shift):
        """(T, V_T(k), ρ_{S∖T}(k − Q_T), ρ_{S∖T}(k), V_T(k − Q_{S∖T})) for every T ⊂ S, T ≠ ∅, broadcast over S's components.

        The source of ρ_S is C = Σ_T [V_T(k) ρ_R(k − Q_T) − ρ_R(k) V_T(k − Q_R)], R = S∖T (module docstring).
        """
        shift = np.asarray(shift, float)
        for r in range(1, len(S) + 1):
            for T in combinations(S, r):
                if len(T) == 2 and set(T) == {"u", "w"} and not self.second_order_vertices:
                    continue
                R = tuple(x for x in S if x not in T)
                QT, QR = self.momentum(T), self.momentum(R)
                VT_l = _static(self._expand(self.vertex(T, shift), T, S))
                VT_r = _static(self._expand(self.vertex(T, shift - QR), T, S))
                rho_l = self.rho(R, shift - QT)
                rho_r = self.rho(R, shift)
                rho_l = Dual(self._expand(rho_l.val, R, S), self._expand(rho_l.der, R, S))
                rho_r = Dual(self._expand(rho_r.val, R, S), self._expand(rho_r.der, R, S))
                yield T, VT_l, rho_l, rho_r, VT_r

    def population_sources(self, S=("u", "w"), shift=(0.0, 0.0)):
        """The band-diagonal source C_nn of ρ_S resolved by the intermediate band m (CONVENTIONS.md §1.2).

        Returns ``(by_band, direct)``, Duals of shape (comps..., nk, nb [n], nb [m]) and (comps..., nk, nb [n]):

        - ``by_band[..., n, m]`` = Σ_{T, R ≠ ∅} V_T(k)_{nm} ρ_R(k − Q_T)_{mn} − ρ_R(k)_{nm} V_T(k − Q_R)_{mn}: the part of C_nn
          that passes through band m of the lower-order ρ_R (for ρ_uw: the first-order coherences ρ_u, ρ_w);
        - ``direct[..., n]`` = [V_S, ρ₀]_nn = V_S,nn (f_n(k − Q_S) − f_n(k)): the term without intermediate state.

        Σ_m by_band + direct = C_nn exactly (tested against ρ_S_nn · D_nn).
        """
        S = self._axes(S)
        shift = np.asarray(shift, float)
        by_band = direct = None

        def tr(a):
            return np.swapaxes(a, -1, -2)
        for T, VT_l, rho_l, rho_r, VT_r in self._source_terms(S, shift):
            if len(T) == len(S):                      # R = ∅: ρ₀ is diagonal, only m = n survives
                f_l, f_r = np.diagonal(rho_l.val, axis1=-2, axis2=-1), np.diagonal(rho_r.val, axis1=-2, axis2=-1)
                val = np.diagonal(VT_l.val, axis1=-2, axis2=-1) * f_l - f_r * np.diagonal(VT_r.val, axis1=-2, axis2=-1)
                term = _static(val)
                direct = term if direct is None else direct + term
                continue
            # elementwise: (V_l)_{nm} (ρ_l)_{mn} − (ρ_r)_{nm} (V_r)_{mn}
            val = VT_l.val * tr(rho_l.val) - rho_r.val * tr(VT_r.val)
            der = VT_l.val * tr(rho_l.der) - rho_r.der * tr(VT_r.val)
            term = Dual(val, der)
            by_band = term if by_band is None else by_band + term
        if direct is None:                             # second-order vertices switched off
            direct = _static(np.zeros(by_band.val.shape[:-1], dtype=complex))
        return by_band, direct

    def population_split(self, S=("u", "w"), shift=(0.0, 0.0)):
        """The populations ρ_S,nn split into adiabatic and non-adiabatic parts (exact at finite η, CONVENTIONS.md §1.2).

        With D_nn = Ω_S − ε_n(k) + ε_n(k − Q_S) + 2iγ_n and the source resolved by intermediate band m
        (:meth:`population_sources`):

            ρ^NA_nn = Σ_m C^{(m)}_nn [1/D_nn − 1/(D_nn + 2iγ_m)],
            ρ^A_nn  = Σ_m C^{(m)}_nn / (D_nn + 2iγ_m) + [V_S, ρ₀]_nn / D_nn,

        so ρ^A_nn + ρ^NA_nn = ρ_S,nn, and ρ^NA vanishes identically when every γ_m = 0. Both are built from the sources,
        not from ρ_S,nn (so their sum checks the decomposition). Returns ``(adiabatic, nonadiabatic)``, Duals of shape
        (comps..., nk, nb).
        """
        S = self._axes(S)
        shift = np.asarray(shift, float)
        e, _, _, gamma = self.bands(shift)
        e_r, _, _, _ = self.bands(shift - self.momentum(S))
        by_band, direct = self.population_sources(S, shift)
        omega = sum(self.fields[x].omega for x in S)
        domega = sum(self.fields[x].domega for x in S)
        D = (omega - (e - e_r) + 2j * gamma)[..., :, None]                   # (nk, n, 1)
        Dm = D + 2j * gamma[None, :]                                          # (nk, n, m)
        g_a, g_na = 1.0 / Dm, 1.0 / D - 1.0 / Dm
        dg_a, dg_na = -domega / Dm**2, domega * (-1.0 / D**2 + 1.0 / Dm**2)
        D0 = D[..., 0]
        na = Dual((by_band.val * g_na).sum(-1), (by_band.der * g_na + by_band.val * dg_na).sum(-1))
        ad = Dual((by_band.val * g_a).sum(-1) + direct.val / D0,
                  (by_band.der * g_a + by_band.val * dg_a).sum(-1) + direct.der / D0 - domega * direct.val / D0**2)
        return ad, na

    def rho(self, S, shift=(0.0, 0.0)) -> Dual:
        S = self._axes(S)
        key = (S, self._key(shift))
        if key in self._rho:
            return self._rho[key]
        shift = np.asarray(shift, float)
        e, U, f, gamma = self.bands(shift)
        if not S:
            out = _static(np.eye(e.shape[-1]) * f[..., None, :])
            self._rho[key] = out
            return out
        QS = self.momentum(S)
        e_r, _, _, _ = self.bands(shift - QS)
        C = None
        for _, VT_l, rho_l, rho_r, VT_r in self._source_terms(S, shift):
            term = VT_l.matmul(rho_l) - rho_r.matmul(VT_r)
            C = term if C is None else C + term
        omega = sum(self.fields[x].omega for x in S)
        domega = sum(self.fields[x].domega for x in S)
        D = omega - (e[..., :, None] - e_r[..., None, :]) + 1j * (gamma[:, None] + gamma[None, :])
        val = _safe_divide(C.val, D)
        der = _safe_divide(C.der, D) - domega * _safe_divide(C.val, D * D)
        out = Dual(val, der)
        self._rho[key] = out
        return out


def _safe_divide(num, den):
    """num/den where den ≠ 0; a zero denominator meets a zero numerator only (static, undamped, intraband at q₀ = 0)."""
    out = np.zeros(np.broadcast_shapes(num.shape, den.shape), dtype=complex)
    den = np.broadcast_to(den, out.shape)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _trace(rho: Dual, O: np.ndarray, weights) -> Dual:
    """(Σ_k w_k Σ_nm ρ_nm(k) O_mn(k)) for every component combination."""
    def tr(a):
        return np.einsum("...knm,...kmn,k->...", a, O, weights)
    return Dual(tr(rho.val), tr(rho.der))


# ---------------------------------------------------------------------------------------------------
# θ¹, θ², θ³ (Eq. 3) and Λ (Eq. 4)
# ---------------------------------------------------------------------------------------------------
def response_functions(problem: Problem, omega, q, q0, *, domega: float = 1.0, split: bool = False) -> dict:
    """θ¹, θ², θ³ of Eq. (3) at (ω, q, q₀), each a :class:`Dual` of shape (2, nc, nc) [k, (a,i), (b,j)].

    ``domega`` = ∂ω/∂ω_ref: pass −1 when ω is itself −ω_ref (the swapped term of Eq. 4), so derivatives
    refer to one ω throughout.

    ``split=True`` adds the population split of ρ_uw (CONVENTIONS.md §1.2; only θ¹ sees ρ_uw):
    ``theta1_adiabatic`` (coherences of ρ_uw plus ρ^A_nn) and ``theta1_nonadiabatic`` (ρ^NA_nn), whose sum is θ¹, and
    ``population`` = (ρ^NA_nn(k; q₀), J_nn(k; q₀)): the non-adiabatic populations (a Dual, (nu, nw, nk, nb)) and the
    intraband current ⟨n, k+q₀| v(q₀) |n, k⟩ ((2, nk, nb)), in the parallel-transport gauge of |n, k+q₀⟩
    (⟨n, k|n, k+q₀⟩ > 0), so that each factor's q₀-dependence is gauge covariant (used for skew scattering/side jump).
    """
    q = np.asarray(q, float)
    q0 = np.asarray(q0, float)
    nsub = problem.model.natoms                  # displacements: one pair of components per atom
    eta_p = problem.rates.phonon
    fields = {
        "u": _Field("u", q, omega + 1j * eta_p, domega, displacement_basis(q, nsub)),
        "w": _Field("w", -q - q0, -omega + 1j * eta_p, -domega, displacement_basis(-q - q0, nsub)),
        "A": _Field("A", q0, 0.0, 0.0, potential_basis(q0)),
    }
    series = DensityMatrixSeries(problem.model, problem.k, problem.rates, problem.mu, problem.temperature,
                                 fields, problem.second_order_vertices, problem.bloch)
    w = problem.weights
    # θ¹ = Tr ρ_uw v(q₀): observable at shift −Q_uw = q₀, components (A,) → result [u, w, A]
    rho_uw = series.rho(("u", "w"))
    J = series.vertex(("A",), q0)                                    # (2, nk, nb, nb)
    t1 = _trace(Dual(rho_uw.val[:, :, None], rho_uw.der[:, :, None]), J[None, None], w)   # (nu, nw, 2)
    # θ² = Tr ρ_wA F(q): observable at shift −Q_wA = q
    rho_wA = series.rho(("w", "A"))                                 # (nw, 2, ...)
    F = series.vertex(("u",), q)                                     # (nu, ...)
    t2 = _trace(Dual(rho_wA.val[None], rho_wA.der[None]), F[:, None, None], w)               # (nu, nw, 2)
    # θ³ = Tr ρ_w F_mix(q + q₀): observable at shift −Q_w = q + q₀
    rho_w = series.rho(("w",))
    Fmix = series.vertex(("u", "A"), q + q0)                         # (nu, 2, ...)
    t3 = _trace(Dual(rho_w.val[None, :, None], rho_w.der[None, :, None]), Fmix[:, None], w)  # (nu, nw, 2)
    to_k_first = lambda d: Dual(np.moveaxis(d.val, -1, 0), np.moveaxis(d.der, -1, 0))
    out = {"theta1": to_k_first(t1), "theta2": to_k_first(t2), "theta3": to_k_first(t3)}
    if split:
        pop_a, pop_na = series.population_split(("u", "w"))                 # (nu, nw, nk, nb)
        nb = pop_a.val.shape[-1]
        offdiag = 1.0 - np.eye(nb)
        coh = _trace(Dual(rho_uw.val[:, :, None] * offdiag, rho_uw.der[:, :, None] * offdiag), J[None, None], w)
        Jd = np.diagonal(J, axis1=-2, axis2=-1)                             # (2, nk, nb)
        out["theta1_adiabatic"] = to_k_first(coh + _population_trace(pop_a, Jd, w))
        out["theta1_nonadiabatic"] = to_k_first(_population_trace(pop_na, Jd, w))
        # parallel transport of |n, k+q₀⟩ (shift −Q_uw = q₀) along q₀: ⟨n, k|n, k+q₀⟩ real and positive
        _, U0, _, _ = series.bands(np.zeros(2))
        _, Uq, _, _ = series.bands(-series.momentum(("u", "w")))
        overlap = np.einsum("kan,kan->kn", np.conj(U0), Uq)
        if np.abs(overlap).min() < 0.5:
            raise ParameterError("q0 too large for the parallel-transport gauge (|<n,k|n,k+q0>| < 0.5); reduce the step.")
        phase = overlap / np.abs(overlap)
        out["population"] = (Dual(pop_na.val * np.conj(phase), pop_na.der * np.conj(phase)), Jd * phase)
    return out


def _population_trace(pop: Dual, Jd, weights) -> Dual:
    """Σ_k w_k Σ_n ρ_nn(k) J_nn(k) for populations (nu, nw, nk, nb) and intraband current (2, nk, nb) → (nu, nw, 2)."""
    def tr(a):
        return np.einsum("uvkn,akn,k->uva", a, Jd, weights)
    return Dual(tr(pop.val), tr(pop.der))


def _theta_sum(problem, omega, q, q0, terms, zero=None):
    """∂_ω [θ_{k,c,c'}(ω,q,q₀) + θ_{k,c',c}(−ω,−q,q₀)] for each of ``terms`` (Eq. 4 before the ε contractions).

    With ``zero`` = the ``population`` entries of (plus, minus) at q₀ = 0, also ``skew_scattering`` (populations at q₀ = 0,
    observable at q₀) and ``side_jump`` (populations at q₀, observable at q₀ = 0): the two halves of the product rule
    for the q₀-derivative of the non-adiabatic θ¹ (CONVENTIONS.md §1.2).
    """
    split = zero is not None or any(n.startswith("theta1_") for n in terms)
    plus = response_functions(problem, omega, q, q0, split=split)
    minus = response_functions(problem, -omega, -np.asarray(q, float), q0, domega=-1.0, split=split)
    out = {n: plus[n].der + np.swapaxes(minus[n].der, 1, 2) for n in terms}
    if zero is not None:
        w = problem.weights

        def both(pick):
            t = [np.moveaxis(_population_trace(*pick(r, z), w).der, -1, 0)
                 for r, z in ((plus["population"], zero[0]), (minus["population"], zero[1]))]
            return t[0] + np.swapaxes(t[1], 1, 2)
        out["skew_scattering"] = both(lambda r, z: (z[0], r[1]))
        out["side_jump"] = both(lambda r, z: (r[0], z[1]))
    return out


def default_step(problem: Problem) -> float:
    """The q₀ step: Q0_STEP, reduced to Q0_STEP_PER_ETA·η_p/v_max when electrons are damped.

    With electronic damping the second-order populations (denominator 2i(η_p + γ_n) − v·q₀) carry numerators ∝ γ, so the
    q₀ series converges only within ~η_p/v (v_max: largest |∂H/∂k| element); without it those numerators vanish for an
    insulator and the larger step keeps rounding small.
    """
    if max(problem.rates.electron, default=0.0) == 0.0:
        return Q0_STEP
    v_max = float(np.abs(problem.model.velocity(problem.k)).max())
    return min(Q0_STEP, Q0_STEP_PER_ETA * problem.rates.phonon / max(v_max, 1e-12))


def _q0_derivative(problem, omega, q, h, terms, pops):
    """∂_{q₀l} of ∂_ω Θ by a central difference at ±h, per term, stacked as (l, k, c, c')."""
    rows = []
    for l in range(2):
        e = np.zeros(2)
        e[l] = h
        plus = _theta_sum(problem, omega, q, e, terms, pops)
        minus = _theta_sum(problem, omega, q, -e, terms, pops)
        rows.append({n: (plus[n] - minus[n]) / (2 * h) for n in plus})
    return {n: np.stack([r[n] for r in rows]) for n in rows[0]}


def lambda_tensor(problem: Problem, omega: float, q, *, step: float | None = None) -> np.ndarray:
    """The tensor T^{ab}_{k₁k₂}(ω, q) whose ε_{k₁k₂} contraction is Λ^{ab}_zz: Λ's combination of routes (CONVENTIONS.md
    §8) of ¼ ε_{zℓk} ∂_{q₀ℓ}∂_ω Θ_{k,(a,k₁),(b,k₂)} (``numeric.response.contraction.contract_field``), shape (nsub, 2, nsub, 2).

    Eq. (4) keeps Σ ε_{k₁k₂} T^{ab}_{k₁k₂} = Λ^{ab}; the rest of T (δ_{k₁k₂} and traceless parts, zero at q = Γ by C3v,
    not at K) also enters the moment of a mode at q ≠ 0 (``numeric.response.moment.tensor_mode_moment``; CONVENTIONS.md §8: it
    equals the magnetic supercell's Born–Oppenheimer moment at K). ∂_{q₀} as in :func:`lambda_matrix`.
    """
    omega = float(finite("omega", omega, fix="pass the phonon energy in eV"))
    q = np.asarray(finite("q", q, fix="pass q in 1/Å"), float)
    step = default_step(problem) if step is None else positive("q0 step", step)
    terms = ("theta1", "theta2", "theta3")
    coarse = _q0_derivative(problem, omega, q, step, terms, None)
    fine = _q0_derivative(problem, omega, q, step / 2, terms, None)
    nsub = problem.model.natoms                  # displacements: one pair of components per atom
    return routes({n: contract_field((4 * fine[n] - coarse[n]) / 3, nsub) for n in terms})["Lambda"]


def lambda_matrix(problem: Problem, omega: float, q, *, step: float | None = None, split: bool = True) -> LambdaResult:
    """Λ^{ab}_zz(ω, q) (sublattice generalization of Eq. 4, CONVENTIONS.md §5; combination of §4, §8) by the referee.

    ω in eV (the phonon energy ħω), q in 1/Å. ∂_ω is exact; ∂_{q₀} is a central difference at ±step and ±step/2
    combined by Richardson extrapolation (error O(step⁴)); ``step=None`` chooses :func:`default_step`.
    ``split`` (default) also returns the exact λ^A/λ^NA split and λ^NA's skew-scattering/side-jump parts
    (CONVENTIONS.md §1.2).
    """
    omega = float(finite("omega", omega, fix="pass the phonon energy in eV"))
    q = np.asarray(finite("q", q, fix="pass q in 1/Å"), float)
    step = default_step(problem) if step is None else positive("q0 step", step)
    nsub = problem.model.natoms                  # displacements: one pair of components per atom
    terms = ("theta1", "theta2", "theta3")
    zero = response_functions(problem, omega, q, np.zeros(2), split=split)
    pops = None
    if split:
        terms = terms + ("theta1_adiabatic", "theta1_nonadiabatic")
        zero_minus = response_functions(problem, -omega, -q, np.zeros(2), domega=-1.0, split=True)
        pops = (zero["population"], zero_minus["population"])

    coarse = _q0_derivative(problem, omega, q, step, terms, pops)
    fine = _q0_derivative(problem, omega, q, step / 2, terms, pops)
    contracted = {n: contract_eq4((4 * fine[n] - coarse[n]) / 3, nsub) for n in coarse}
    by_term = {n: contracted[n] for n in ("theta1", "theta2", "theta3")}
    plain = {n: contract_eq4(fine[n], nsub) for n in ("theta1", "theta2", "theta3")}
    r = routes(by_term)
    Lam, current, force, eq4 = r["Lambda"], r["current_route"], r["force_route"], r["eq4_as_printed"]
    err = float(np.abs(routes(plain)["Lambda"] - Lam).max())
    theta0 = {n: float(np.abs(zero[n].val).max()) for n in ("theta1", "theta2", "theta3")}
    if not split:
        return LambdaResult(Lam, current, force, eq4, by_term, err, theta0)
    adiabatic = routes(dict(by_term, theta1=contracted["theta1_adiabatic"]))["Lambda"]
    nonadiabatic = contracted["theta1_nonadiabatic"] / 8     # ½ × current-route share (1/16) D[Θ¹_NA]; contracted = ¼ D
    ss, sj = contracted["skew_scattering"] / 8, contracted["side_jump"] / 8
    split_err = float(np.abs(ss + sj - nonadiabatic).max())
    return LambdaResult(Lam, current, force, eq4, by_term, err, theta0, adiabatic, nonadiabatic, ss, sj, split_err)


def operational_nonadiabatic(problem: Problem, omega: float, q, *, step: float | None = None) -> dict:
    """The paper's operational split λ^NA_op = Λ(η_p, η_c, η_v) − Λ(η_p, 0, 0) (CONVENTIONS.md §1.2).

    Both Λ's at the same q₀ step (``default_step`` of the damped problem unless given). Returns
    {"Lambda", "current_route", "force_route"}: the difference of each, (nsub, nsub) complex (see :class:`LambdaResult`).
    """
    step = default_step(problem) if step is None else step
    bare = replace(problem, rates=Rates(problem.rates.phonon, tuple(0.0 for _ in problem.rates.electron)))
    damped, undamped = (lambda_matrix(p, omega, q, step=step, split=False) for p in (problem, bare))
    return {name: getattr(damped, name) - getattr(undamped, name) for name in OPERATIONAL_ROUTES}

