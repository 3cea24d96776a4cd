"""The small-η limit of the non-adiabatic populations, labelled (CONVENTIONS.md §1.2, §1.3; paper Eqs. 7–8).

The exact finite-η split (derive/density_matrix.py ``population_split``) writes the non-adiabatic population of band n
of ρ_uw as a sum over the intermediate band m of the first-order coherences that feed it,

    ρ^NA_nn = Σ_m C^{(m)}_nn [1/D_nn − 1/(D_nn + 2iγ_m)],     D_nn = 2i(η_p + γ_n) at q₀ = 0.

Here SymPy takes η_p, γ → 0 at fixed ratios (η_p → sη_p, γ → sγ, s → 0) without ``limit``: the source vanishes at s = 0
(C^{(m)}(0) = 0 is checked), so the limit is C^{(m)}′(0) · 2iγ_m / (D₁(D₁ + 2iγ_m)) with D = sD₁. Writing it as
δ^m_n X^{(m)}_nn, the derivation gives

    δ^m_n = γ_m/(η_p + γ_n) = η_m/(2η_p + η_n)  (γ = η/2, CONVENTIONS.md §1.1),
    X^{(m)}_nn = C^{(m)}′(0) / (2i(η_p + γ_n + γ_m)),

and checks that X does not depend on the damping (it is the Hermitian static population fed through band m: the
paper's G₁ Ω^{m}_{nn}-type object, Eq. 8). The product rule of CONVENTIONS.md §1.2 then labels the two terms:

    λ^SS = (1/32) εε ∂_ω Σ_k [Θ-swap] Σ_{n,m} δ^m_n X^{(m)}_nn(k) ∂_{q₀}J_nn(k),   (the orbital moment: ε∂_{q₀}J_nn = −2i m_n)
    λ^SJ = (1/32) εε ∂_ω Σ_k [Θ-swap] Σ_{n,m} δ^m_n ∂_{q₀}X^{(m)}_nn(k) J_nn(k)     (J_nn = v_nn at q₀ = 0).

FORMULAS.md prints δ and X for N = 2 beside the paper's Eq. (7)–(8) (derive/generate.py).
"""

from __future__ import annotations

import sympy as sp

from .density_matrix import DensityMatrixTemplate, eta_p
from .q0_expansion import delta, substitution

s = sp.Symbol("s", positive=True)


def at_zero_q0(tpl, expr):
    """``expr`` with every q₀-shifted symbol put at q₀ = 0 (the zeroth order of derive/q0_expansion.py's rules)."""
    return expr.xreplace(substitution(tpl, expr)).xreplace({delta: 0})


def _grouped(expr):
    """Σ of terms with a common denominator factored together: VV(f − f)/(ε − ε ∓ ω)² per intermediate point."""
    groups = {}
    for t in sp.Add.make_args(sp.expand(expr)):
        t = sp.factor(t)
        groups.setdefault(sp.fraction(t)[1], []).append(t)
    return sp.Add(*[sp.factor(sp.Add(*g)) for _, g in sorted(groups.items(), key=lambda kv: sp.default_sort_key(kv[0]))])


def small_eta_populations(tpl: DensityMatrixTemplate) -> dict:
    """{(n, m): (δ^m_n, X^{(m)}_nn)} of ρ_uw's non-adiabatic populations at q₀ = 0 in the small-η limit.

    Raises if a step the derivation relies on fails: the source not vanishing at zero damping, X depending on the
    damping, or the limit of ρ^NA_nn differing from δ X.
    """
    S = ("u", "w")
    by_band, _ = tpl.population_sources(S)
    eq, X = tpl.equation(S, (0, 0))
    N = tpl.nbands
    gammas = [tpl.gamma(n) for n in range(N)]
    scale = {eta_p: s * eta_p, **{g: s * g for g in gammas}}
    out = {}
    for n in range(N):
        D = at_zero_q0(tpl, sp.expand(sp.I * sp.diff(eq[n, n], X[n, n])))
        D1 = sp.cancel(D.xreplace(scale) / s)
        if D1.has(s) or sp.expand(D1 - 2 * sp.I * (eta_p + gammas[n])) != 0:
            raise RuntimeError(f"D_{n}{n} at q0 = 0 is not 2i(η_p + γ_{n}): {D1}")
        for m in range(N):
            C = at_zero_q0(tpl, by_band[n, m]).xreplace(scale)
            if sp.simplify(C.subs(s, 0)) != 0:
                raise RuntimeError(f"the source C^({m})_{n}{n} does not vanish at zero damping")
            c1 = sp.diff(C, s).subs(s, 0)
            # c1 = 2i(η_p + γ_n + γ_m) X: read X off with that sum set to one, then check
            Xnm = _grouped(c1.subs(eta_p, 1 - gammas[n] - gammas[m]) / (2 * sp.I))
            if Xnm.has(eta_p) or any(Xnm.has(g) for g in gammas) or \
                    sp.cancel(c1 - 2 * sp.I * (eta_p + gammas[n] + gammas[m]) * Xnm) != 0:
                raise RuntimeError(f"X^({m})_{n}{n} depends on the damping: {Xnm}")
            limit = c1 * 2 * sp.I * gammas[m] / (D1 * (D1 + 2 * sp.I * gammas[m]))
            d = gammas[m] / (eta_p + gammas[n])
            if sp.cancel(limit - d * Xnm) != 0:
                raise RuntimeError(f"lim ρ^NA_{n}{n} (via band {m}) is not δ X")
            out[(n, m)] = (d, Xnm)
    return out
