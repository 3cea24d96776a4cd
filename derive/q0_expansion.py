"""The q₀ → 0 derivative of θ^s (Eq. 4's ∂_{q₀ℓ}), by explicit first-order rules for matrix elements
(CONVENTIONS.md §4).

Along a direction ℓ put q₀ = δ ê_ℓ. A k-point k + a q + b q₀ becomes the base point p = k + a q moved by b δ ê_ℓ.
To first order in δ, with v = ∂_ℓ H in the band basis at p (CONVENTIONS.md §3) and the parallel-transport gauge
(⟨n|∂_ℓ n⟩ = 0, legitimate because every θ is a closed loop of states, hence gauge invariant):

- energies        ε_n(p + bδ) = ε_n + bδ v_nn;
- occupations     f_n(p + bδ) = f_n + bδ f'(ε_n) v_nn;
- states          |n, p + bδ⟩ = |n⟩ + bδ Σ_{l≠n} |l⟩ v_ln/(ε_n − ε_l);
- vertices        ⟨n, p_L + b_Lδ| V_T(p_L + b_Lδ; Q_T(δ)) |m, p_R + b_Rδ⟩
                    = V_nm + δ [ b_L Σ_{l≠n} v^L_nl V_lm/(ε^L_n − ε^L_l) + b_R Σ_{l≠m} V_nl v^R_lm/(ε^R_m − ε^R_l) + D_nm ],
                  D = ⟨n| b_L ∂_{kℓ}V_T + ∂_δ V_T|_{φ} |m⟩ the derivative of the orbital matrix (k-derivative of the Bloch
                  phase, numeric/model/tight_binding.py ``kderiv``, and the dependence of the bond coefficients φ on the fields' own
                  momenta, −q − q₀ for w and q₀ for A), projected on the base states: an input symbol.

Ω_S does not depend on q₀. ∂_δ θ at δ = 0 is then taken by ``sympy.diff``; no finite difference in q₀ is involved
(D's φ-part may be one, numeric/response/fast.py).
"""

from __future__ import annotations

import sympy as sp

from .density_matrix import OBSERVABLES, POPULATION_SPLIT, DensityMatrixTemplate, momentum, omega

delta = sp.Symbol("delta", real=True)


def velocity(tpl, base) -> sp.Matrix:
    """v^ℓ_nm = ⟨n, p|∂_ℓ H|m, p⟩ at the base point p = k + a q (symbols)."""
    return tpl.symbol_matrix("v", "v", "velocity", tuple(base), base)


def dfde(tpl, n, base) -> sp.Symbol:
    """f'(ε_n(p)), the derivative of the occupation with respect to energy (0 at T = 0 in an insulator)."""
    return tpl.band_symbol("fp", "f'", "dfde", n, base)


def dvertex(tpl, fields, shift) -> sp.Matrix:
    """D_nm of the rule above for the vertex of ``fields`` at k + shift (shift = (a, b) before setting q₀ = 0)."""
    T = tuple(fields)
    name = "".join(T)
    return tpl.symbol_matrix(f"dV_{name}", rf"D^{{{name}}}", "dvertex", (T, tuple(shift)), shift)


def base(shift) -> tuple:
    return (shift[0], 0)


def energy_rule(tpl, n, shift):
    b = shift[1]
    return tpl.energy(n, base(shift)) + delta * b * velocity(tpl, base(shift))[n, n]


def occupation_rule(tpl, n, shift):
    b = shift[1]
    return tpl.occupation(n, base(shift)) + delta * b * dfde(tpl, n, base(shift)) * velocity(tpl, base(shift))[n, n]


def _rotation(tpl, shift, ket: bool) -> sp.Matrix:
    """Off-diagonal b v_ij/(ε_j − ε_i) (``ket``) or b v_ij/(ε_i − ε_j) (bra) at the base point of ``shift``."""
    b = shift[1]
    N = tpl.nbands
    p = base(shift)
    v = velocity(tpl, p)
    e = [tpl.energy(n, p) for n in range(N)]
    return sp.Matrix(N, N, lambda i, j: 0 if i == j else b * v[i, j] / ((e[j] - e[i]) if ket else (e[i] - e[j])))


def state_rotation(tpl, shift) -> sp.Matrix:
    """R with |m, p + bδ⟩ = Σ_l |l⟩ (1 + δ R)_lm: R_lm = b v_lm/(ε_m − ε_l) for l ≠ m, 0 on the diagonal."""
    return _rotation(tpl, shift, ket=True)


def bra_rotation(tpl, shift) -> sp.Matrix:
    """L with ⟨n, p + bδ| = Σ_l (1 + δ L)_nl ⟨l|: L = R†, i.e. L_nl = b v_nl/(ε_n − ε_l) (v Hermitian, ε real)."""
    return _rotation(tpl, shift, ket=False)


def vertex_rule(tpl, fields, shift) -> sp.Matrix:
    """⟨n, k+s(δ)|V_T|m, k+s(δ)−Q_T(δ)⟩ to first order in δ (the rule above)."""
    T = tuple(fields)
    dT = momentum(T)
    right = (shift[0] - dT[0], shift[1] - dT[1])
    V0 = tpl.vertex(T, base(shift))
    return V0 + delta * (bra_rotation(tpl, shift) * V0 + V0 * state_rotation(tpl, right) + dvertex(tpl, T, shift))


def substitution(tpl, expr) -> dict:
    """{symbol at k + a q + b q₀: its first-order expansion in δ} for every symbol of ``expr``."""
    rules = {}
    free = expr.free_symbols
    for s in [s for s in tpl.symbol_info if s in free]:      # creation order, not set order: reproducible text
        kind, data, index = tpl.symbol_info[s]
        if kind == "energy":
            rules[s] = energy_rule(tpl, index[0], data)
        elif kind == "occupation":
            rules[s] = occupation_rule(tpl, index[0], data)
        elif kind == "vertex":
            T, shift = data
            rules[s] = vertex_rule(tpl, T, shift)[index]
    return rules


def theta_q0_derivative(tpl: DensityMatrixTemplate, name):
    """(θ, ∂_ω θ, ∂_{q₀ℓ} θ, ∂_{q₀ℓ}∂_ω θ) at q₀ = 0 for the observable ``name``."""
    th = tpl.theta(name)
    return _q0_tuple(th.xreplace(substitution(tpl, th)))


def _q0_tuple(expanded):
    """(value, ∂_ω, ∂_δ, ∂_δ∂_ω) at δ = 0 of an expression first-order in δ."""
    at0 = {delta: 0}
    value = expanded.xreplace(at0)
    return _with_omega(value, sp.diff(expanded, delta).xreplace(at0))


def _with_omega(value, d_q0):
    return value, sp.diff(value, omega), d_q0, sp.diff(d_q0, omega)


def split_q0_derivative(tpl: DensityMatrixTemplate, name) -> dict:
    """{piece: (θ, ∂_ω θ, ∂_{q₀ℓ} θ, ∂_{q₀ℓ}∂_ω θ)} of the split θ^s (CONVENTIONS.md §1.2) at q₀ = 0.

    Pieces: "adiabatic", "nonadiabatic" (:meth:`DensityMatrixTemplate.theta_split`), and the product rule for the
    non-adiabatic Σ_n ρ^NA_nn(k; q₀) O_nn(k; q₀): "skew_scattering" differentiates O (ρ^NA at q₀ = 0),
    "side_jump" differentiates ρ^NA (O at q₀ = 0). The rules above are in the parallel-transport gauge, as the referee.
    """
    out = {}
    for piece, th in tpl.theta_split(name).items():
        out[piece] = _q0_tuple(th.xreplace(substitution(tpl, th)))
    na, Od = tpl.population_factors(name)
    at0 = {delta: 0}
    na_d = [x.xreplace(substitution(tpl, x)) for x in na]
    O_d = [x.xreplace(substitution(tpl, x)) for x in Od]
    value = sum((a.xreplace(at0) * o.xreplace(at0) for a, o in zip(na_d, O_d)), sp.Integer(0))
    for piece, d_q0 in (
            ("skew_scattering", sum((a.xreplace(at0) * sp.diff(o, delta).xreplace(at0) for a, o in zip(na_d, O_d)),
                                    sp.Integer(0))),
            ("side_jump", sum((sp.diff(a, delta).xreplace(at0) * o.xreplace(at0) for a, o in zip(na_d, O_d)),
                              sp.Integer(0)))):
        out[piece] = _with_omega(value, d_q0)
    return out


def kernels_q0(nbands=2):
    """{kernel name: its expressions}: θ¹..³ and, for POPULATION_SPLIT, "<name>_<piece>" of :func:`split_q0_derivative`."""
    tpl = DensityMatrixTemplate(nbands)
    out = {name: theta_q0_derivative(tpl, name) for name in OBSERVABLES}
    for name in POPULATION_SPLIT:
        for piece, exprs in split_q0_derivative(tpl, name).items():
            out[f"{name}_{piece}"] = exprs
    return out, tpl
