"""θ²'s kernel as an explicit rational function of ω: its poles and the coefficient of each product of pole factors.

numeric/response/resonance.py needs, at each k, the Laurent coefficients of the Eq. (4) kernel ∂_{q₀ℓ}∂_ω θ² about each
intraband pole (CONVENTIONS.md §7.1). The derived expression depends on ω only through the energy denominators of
the coherences of Eq. (5) that carry the phonon frequency — first order in Ω_w = −ω + iη_p, raised to integer powers
by ∂_ω and by products of orders — so it is exactly

    K(ω) = Σ_m C_m Π_j (ω − ω_j)^{−e_{mj}},      ω_j = ε_{n_j}(k+q) − ε_{m_j}(k) + iη_p + i(γ_{n_j} + γ_{m_j}),

with ω-free coefficients C_m (arrays over k and components). :func:`pole_expansion` finds the denominators D_j
(SymPy's own, linear in ω), writes D_j^{−n} = (∂_ω D_j)^{−n} (ω − ω_j)^{−n}, and collects the products of pole
factors without expanding the coefficients (they are printed with CSE like every kernel). Then the Laurent
coefficients follow in closed form from the binomial series of the other factors (numeric/response/resonance.py ``_laurent``),
with one evaluation of the C_m per k-point instead of a kernel evaluation per contour node.
"""

from __future__ import annotations

from collections import defaultdict

import sympy as sp


def _pole_factors(expr, var):
    """The distinct bases D of negative integer powers in ``expr`` that depend on ``var``, each linear in it with a
    constant slope."""
    bases = {p.base for p in expr.atoms(sp.Pow) if p.exp.is_Integer and p.exp < 0 and p.base.has(var)}
    for b in bases:
        slope = sp.diff(b, var)
        if slope.has(var) or slope == 0 or slope.free_symbols:
            raise ValueError(f"denominator {b} is not linear in {var} with a constant slope")
    return bases


def _collect(expr, ds):
    """{exponents e (tuple over ds): coefficient} with expr = Σ coefficient Π d^e, expr polynomial in the symbols ds."""
    zero = (0,) * len(ds)
    if not expr.has(*ds):
        return {zero: expr}
    if expr in ds:
        return {tuple(int(d == expr) for d in ds): sp.S.One}
    if expr.is_Pow and expr.base in ds and expr.exp.is_Integer and expr.exp > 0:
        return {tuple(int(expr.exp) if d == expr.base else 0 for d in ds): sp.S.One}
    if expr.is_Add:
        out = defaultdict(lambda: sp.S.Zero)
        for arg in expr.args:
            for e, c in _collect(arg, ds).items():
                out[e] += c
        return dict(out)
    if expr.is_Mul:
        out = {zero: sp.S.One}
        for arg in expr.args:
            new = defaultdict(lambda: sp.S.Zero)
            for e1, c1 in out.items():
                for e2, c2 in _collect(arg, ds).items():
                    new[tuple(a + b for a, b in zip(e1, e2))] += c1 * c2
            out = dict(new)
        return out
    raise ValueError(f"{expr.func} of the pole factors: the expression is not a polynomial in them")


def pole_expansion(expr, var):
    """(poles [ω_j], {exponents (e_j): C}) with expr = Σ C Π_j (var − ω_j)^{−e_j} and every C free of var.

    Each denominator D_j = s_j (var − ω_j), s_j = ∂D_j/∂var a constant (±1 for the energy denominators of Eq. 5), so
    D_j^{−n} = s_j^{−n} (var − ω_j)^{−n}. Raises if var survives anywhere else.
    """
    bases = _pole_factors(expr, var)
    slopes = {b: sp.diff(b, var) for b in bases}
    where = {b: sp.expand(-b.subs(var, 0) / slopes[b]) for b in bases}       # D = s (var − ω_j); ±D share ω_j
    poles = sorted(set(where.values()), key=sp.default_sort_key)
    ds = sp.symbols(f"_d0:{len(poles)}")

    def factor(p):
        return slopes[p.base] ** p.exp * ds[poles.index(where[p.base])] ** (-p.exp)

    reduced = expr.replace(lambda e: e.is_Pow and e.exp.is_Integer and e.exp < 0 and e.base in where, factor)
    if reduced.has(var):
        raise ValueError(f"{var} appears outside the pole factors")
    terms = {e: c for e, c in sorted(_collect(reduced, ds).items()) if c != 0}
    return poles, terms


def pole_bands(tpl, pole):
    """(n, m) for a pole ω_j = ε_n(k+q) − ε_m(k) + …: the bands of its energies at k + q and at k."""
    bands = {}
    for s in pole.free_symbols:
        kind, data, index = tpl.symbol_info.get(s, (None, None, None))
        if kind == "energy":
            if data in bands:
                raise ValueError(f"pole {pole} has two energies at the point {data}")
            bands[data] = index[0]
    if set(bands) != {(1, 0), (0, 0)}:
        raise ValueError(f"pole {pole} is not ε_n(k+q) − ε_m(k) + const")
    return bands[(1, 0)], bands[(0, 0)]
