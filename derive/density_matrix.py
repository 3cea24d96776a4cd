"""The paper's Eq. (5), solved order by order with SymPy in the band basis (CONVENTIONS.md §1, §1.1, §4).

The equation of motion is typed in, read as in CONVENTIONS.md §1 (the printed Eq. (5) ρ̇ = −i(ρH − H†ρ) with
Σ = +iη has the opposite sign to von Neumann's equation; §8):

    ρ̇ = −i(H_eff ρ − ρ H_eff†) + S,      H_eff = H₀ + V(t) − iΓ,   Γ = diag(γ_n) (band basis at each k),   (Eq. 5, read)

S = {Γ, ρ₀} keeps ρ₀ = diag f_n(k) stationary and drops out of every order ≥ 1. Three formal plane-wave fields

    u = u(ω, q) e^{−iΩ_u t},  Ω_u = ω + iη_p;   w = u(−ω, −q−q₀) e^{−iΩ_w t},  Ω_w = −ω + iη_p;   A = A(q₀), Ω_A = 0

(η_p on both phonon components: adiabatic switching-on, §1) couple through the vertices V_T of products of fields
T ⊂ {u, w, A} (numeric/model/tight_binding.py, §2). The coefficient ρ_S of the product of the fields S (momentum Q_S, frequency
Ω_S = Σ_{f∈S} Ω_f) has band-basis elements ρ_S(k)_{nm} = ⟨n, k|ρ_S|m, k − Q_S⟩; in the frequency domain Eq. (5) reads,
for the part of order S,

    −iΩ_S ρ_S = −i(E_L ρ_S − ρ_S E_R) − (Γ_L ρ_S + ρ_S Γ_R) − i Σ_{T ⊂ S, T ≠ ∅} [V_T, ρ_{S∖T}],

E_L = diag ε_n(k), E_R = diag ε_m(k − Q_S), [V_T, ρ_R](k) = V_T(k) ρ_R(k − Q_T) − ρ_R(k) V_T(k − Q_R).
SymPy solves this linear equation for each unknown element of ρ_S (:meth:`DensityMatrixTemplate.rho`); the
denominator is SymPy's, not typed here. The observables of Eq. (3) are typed as traces (:data:`OBSERVABLES`).

Everything is data: orders are keys ``rho[('u', 'w')]``; k-points are labelled by their shift from k, an integer
pair (a, b) meaning k + a·q + b·q₀; band-basis vertex matrix elements are distinct complex symbols
V^{T}_{nm}@shift = ⟨n, k+s| V_T |m, k+s−Q_T⟩.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

import sympy as sp

FIELD_ORDER = ("u", "w", "A")
#: momentum of each field in units of (q, q₀)
MOMENTUM = {"u": (1, 0), "w": (-1, -1), "A": (0, 1)}

omega = sp.Symbol("omega", real=True)
eta_p = sp.Symbol("eta_p", positive=True)
#: complex field frequencies (CONVENTIONS.md §1): η_p on both phonon components, none on the static A
FREQUENCY = {"u": omega + sp.I * eta_p, "w": -omega + sp.I * eta_p, "A": sp.Integer(0)}

#: Eq. (3): θ^s = Tr ρ_S O with O the vertex of the listed fields, taken at k − Q_S (so the trace closes at k)
OBSERVABLES = {
    "theta1": (("u", "w"), ("A",)),        # θ¹ = Tr ρ_{uw} v(q₀)
    "theta2": (("w", "A"), ("u",)),        # θ² = Tr ρ_{wA} F(q)
    "theta3": (("w",), ("u", "A")),        # θ³ = Tr ρ_w F_mix(q + q₀)
}

#: CONVENTIONS.md §1.2: the observables whose ρ_S has static populations (Ω_S = 2iη_p) that carry the paper's δ,
#: and the pieces of the exact finite-η split of those populations
POPULATION_SPLIT = ("theta1",)
SPLIT_PIECES = ("adiabatic", "nonadiabatic")


def canonical(fields) -> tuple:
    """Fields in FIELD_ORDER (a product of commuting amplitudes is a set)."""
    fields = tuple(fields)
    if len(set(fields)) != len(fields) or not set(fields) <= set(FIELD_ORDER):
        raise ValueError(f"fields must be distinct members of {FIELD_ORDER}, got {fields!r}")
    return tuple(f for f in FIELD_ORDER if f in fields)


def momentum(fields) -> tuple:
    a = sum(MOMENTUM[f][0] for f in fields)
    b = sum(MOMENTUM[f][1] for f in fields)
    return (a, b)


def add(s, t) -> tuple:
    return (s[0] + t[0], s[1] + t[1])


def sub(s, t) -> tuple:
    return (s[0] - t[0], s[1] - t[1])


ARRAY_PREFIX = {"energy": "e", "occupation": "f", "velocity": "v", "dfde": "fp", "vertex": "V", "dvertex": "dV"}
"""Prefix of the generated-code argument array of each kind of band-basis symbol (:meth:`DensityMatrixTemplate.array_name`)."""


def _point(shift, plus, minus, names) -> str:
    out = "k"
    for coef, name in zip(shift, names):
        if coef:
            out += (plus if coef > 0 else minus) + (str(abs(coef)) if abs(coef) != 1 else "") + name
    return out


def point_name(shift) -> str:
    """Python-safe label of k + a q + b q₀: (0,0) → 'k', (1,1) → 'kpqpq0', (-1,0) → 'kmq', (2,0) → 'kp2q'."""
    return _point(shift, "p", "m", ("q", "q0"))


def point_latex(shift) -> str:
    """LaTeX of k + a q + b q₀: (1,1) → 'k+q+q_0', (-1,0) → 'k-q'."""
    return _point(shift, "+", "-", ("q", "q_0"))


@dataclass
class DensityMatrixTemplate:
    """Band-basis symbols for an N-band model and the order-by-order solution ρ_S built from them.

    Parameters
    ----------
    nbands : int
        N, the number of bands (2 for the honeycomb model; any N ≥ 1 works).
    second_order_vertices : bool
        Include the vertices of two fields (F^{ab} = V_{uw}, F_mix = V_{uA}, V_{wA}); the referee does by default.
    """

    nbands: int = 2
    second_order_vertices: bool = True
    rho: dict = field(default_factory=dict)            # (S, shift) → sympy.Matrix
    equations: dict = field(default_factory=dict)      # (S, shift) → the typed matrix equation (lhs − rhs), unknowns X
    _symbols: dict = field(default_factory=dict)
    latex_names: dict = field(default_factory=dict)    # Symbol → LaTeX
    symbol_info: dict = field(default_factory=dict)    # Symbol → (kind, data, index)

    # -- symbols --------------------------------------------------------------------------------------
    def _symbol(self, name, latex, info, **assumptions):
        key = (name, tuple(sorted(assumptions.items())))
        s = self._symbols.get(key)
        if s is None:
            s = sp.Symbol(name, **assumptions)
            self._symbols[key] = s
            self.latex_names[s] = latex
            self.symbol_info[s] = info
        return s

    @staticmethod
    def array_name(kind, data) -> str:
        """Name of the generated-code argument array holding symbols of this kind (see derive/codegen.py)."""
        if kind == "gamma":
            return "gamma"
        if kind in ("vertex", "dvertex"):
            fields, shift = data
            return f"{ARRAY_PREFIX[kind]}_{''.join(fields)}_{point_name(shift)}"
        if kind in ARRAY_PREFIX:
            return f"{ARRAY_PREFIX[kind]}_{point_name(data)}"
        return f"{kind}_{data}"

    def band_symbol(self, name, latex, kind, n, shift) -> sp.Symbol:
        """The real symbol ``{name}{n}_<point>`` of band n at k + shift (LaTeX ``{latex}_{n}(<point>)``)."""
        shift = tuple(shift)
        return self._symbol(f"{name}{n}_{point_name(shift)}", rf"{latex}_{{{n}}}({point_latex(shift)})",
                            (kind, shift, (n,)), real=True)

    def symbol_matrix(self, name, latex, kind, data, shift) -> sp.Matrix:
        """nbands × nbands distinct complex symbols ``{name}_{n}{m}_<point>`` at k + shift (LaTeX ``{latex}_{nm}(<point>)``)."""
        shift = tuple(shift)
        return sp.Matrix(self.nbands, self.nbands, lambda n, m: self._symbol(
            f"{name}_{n}{m}_{point_name(shift)}", rf"{latex}_{{{n}{m}}}({point_latex(shift)})", (kind, data, (n, m))))

    def energy(self, n, shift) -> sp.Symbol:
        """ε_n(k + shift), real."""
        return self.band_symbol("e", r"\varepsilon", "energy", n, shift)

    def occupation(self, n, shift) -> sp.Symbol:
        """f_n(k + shift), real."""
        return self.band_symbol("f", "f", "occupation", n, shift)

    def gamma(self, n) -> sp.Symbol:
        """γ_n, the amplitude damping of band n (k-independent), real."""
        return self._symbol(f"gamma{n}", rf"\gamma_{{{n}}}", ("gamma", None, (n,)), real=True)

    def vertex(self, fields, shift) -> sp.Matrix:
        """⟨n, k+s| V_T |m, k+s−Q_T⟩ as a Matrix of distinct complex symbols."""
        T = canonical(fields)
        name = "".join(T)
        return self.symbol_matrix(f"V_{name}", rf"V^{{{name}}}", "vertex", (T, tuple(shift)), shift)

    def lower_rho_symbol(self, S, shift) -> sp.Matrix:
        """A symbolic stand-in for ρ_S at ``shift`` (ρ_∅ stays diag f_n); used to print the recursion readably."""
        S = canonical(S)
        if not S:
            return self.solve((), shift)
        name = "".join(S)
        return self.symbol_matrix(f"rho_{name}", rf"\rho^{{{name}}}", "rho", (S, tuple(shift)), shift)

    # -- Eq. (5) ----------------------------------------------------------------------------------------
    def equation(self, S, shift, lower=None):
        """The frequency-domain Eq. (5) of order S at k + shift, as (lhs − rhs, unknowns X).

        ``lower(R, shift)`` supplies the lower orders (default: the solved ones, recursively).
        """
        S = canonical(S)
        lower = lower or self.solve
        N = self.nbands
        X = sp.Matrix(N, N, lambda n, m: sp.Symbol(f"X_{n}{m}"))
        QS = momentum(S)
        EL = sp.diag(*[self.energy(n, shift) for n in range(N)])
        ER = sp.diag(*[self.energy(m, sub(shift, QS)) for m in range(N)])
        G = sp.diag(*[self.gamma(n) for n in range(N)])
        Omega = sum((FREQUENCY[f] for f in S), sp.Integer(0))
        C = sp.zeros(N, N)
        for r in range(1, len(S) + 1):
            for T in combinations(S, r):
                if len(T) == 2 and not self.second_order_vertices:
                    continue
                R = tuple(x for x in S if x not in T)
                QT, QR = momentum(T), momentum(R)
                C += self.vertex(T, shift) * lower(R, sub(shift, QT)) - lower(R, shift) * self.vertex(T, sub(shift, QR))
        lhs = -sp.I * Omega * X
        rhs = -sp.I * (EL * X - X * ER) - (G * X + X * G) - sp.I * C
        return lhs - rhs, X

    def solve(self, S, shift=(0, 0)) -> sp.Matrix:
        """ρ_S(k + shift) in the band basis, solved from :meth:`equation` element by element (memoized)."""
        S = canonical(S)
        key = (S, tuple(shift))
        if key in self.rho:
            return self.rho[key]
        N = self.nbands
        if not S:
            # zeroth order: the equilibrium occupations, stationary thanks to the source S = {Γ, ρ₀}
            out = sp.diag(*[self.occupation(n, shift) for n in range(N)])
        else:
            out = self.solve_with(S, shift, self.solve)
        self.rho[key] = out
        return out

    def solve_with(self, S, shift, lower) -> sp.Matrix:
        """ρ_S(k + shift) from Eq. (5) with the lower orders supplied by ``lower(R, shift)``."""
        S = canonical(S)
        shift = tuple(shift)
        N = self.nbands
        eq, X = self.equation(S, shift, lower)
        out = sp.zeros(N, N)
        for n in range(N):
            for m in range(N):
                # the equation is linear in X_nm alone (E and Γ are diagonal); solve with the source term as one
                # placeholder c, then insert it (keeps sympy.solve fast and the printed result factored)
                c = sp.Symbol("c")
                expr = eq[n, m]
                source = expr.subs(X[n, m], 0)
                sol = sp.solve(expr - source + c, X[n, m], dict=True)
                if len(sol) != 1:
                    raise RuntimeError(f"Eq. (5) for rho{S}[{n},{m}] has {len(sol)} solutions")
                num, den = sp.fraction(sol[0][X[n, m]])
                # present it as num/(Ω_S − ε_n + ε_m + i(…)): scale so that ε_n(k + shift) enters with −1
                scale = -sp.expand(den).coeff(self.energy(n, shift))
                out[n, m] = (num / scale).subs(c, source) / sp.expand(den / scale)
        self.equations[(S, shift)] = (eq, X)
        return out

    # -- the population split (CONVENTIONS.md §1.2) -----------------------------------------------------
    def population_sources(self, S, shift=(0, 0)):
        """The band-diagonal source of ρ_S resolved by intermediate band m: (by_band, direct).

        by_band[n, m] = Σ_{T, R = S∖T ≠ ∅} V_T(k)_{nm} ρ_R(k − Q_T)_{mn} − ρ_R(k)_{nm} V_T(k − Q_R)_{mn} (a Matrix),
        direct[n] = [V_S, ρ₀]_nn (a list), so that Σ_m by_band[n, m] + direct[n] is the source C_nn of :meth:`equation`.
        """
        S = canonical(S)
        shift = tuple(shift)
        N = self.nbands
        by_band = sp.zeros(N, N)
        direct = [sp.Integer(0)] * N
        for r in range(1, len(S) + 1):
            for T in combinations(S, r):
                if len(T) == 2 and not self.second_order_vertices:
                    continue
                R = tuple(x for x in S if x not in T)
                QT, QR = momentum(T), momentum(R)
                Vl, Vr = self.vertex(T, shift), self.vertex(T, sub(shift, QR))
                rl, rr = self.solve(R, sub(shift, QT)), self.solve(R, shift)
                for n in range(N):
                    if not R:
                        direct[n] += Vl[n, n] * rl[n, n] - rr[n, n] * Vr[n, n]
                        continue
                    for m in range(N):
                        by_band[n, m] += Vl[n, m] * rl[m, n] - rr[n, m] * Vr[m, n]
        return by_band, direct

    def population_split(self, S, shift=(0, 0)):
        """(adiabatic, nonadiabatic): lists over n of the two parts of ρ_S,nn (CONVENTIONS.md §1.2).

        D_nn is read off the typed equation (i × the coefficient of X_nn), not typed here; then
        ρ^NA_nn = Σ_m C^{(m)}_nn [1/D_nn − 1/(D_nn + 2iγ_m)] and ρ^A_nn = Σ_m C^{(m)}_nn/(D_nn + 2iγ_m) + [V_S, ρ₀]_nn/D_nn.
        """
        S = canonical(S)
        shift = tuple(shift)
        eq, X = self.equation(S, shift)
        by_band, direct = self.population_sources(S, shift)
        adiabatic, nonadiabatic = [], []
        for n in range(self.nbands):
            D = sp.expand(sp.I * sp.diff(eq[n, n], X[n, n]))
            na, ad = sp.Integer(0), direct[n] / D
            for m in range(self.nbands):
                Dm = D + 2 * sp.I * self.gamma(m)
                na += by_band[n, m] * (1 / D - 1 / Dm)
                ad += by_band[n, m] / Dm
            adiabatic.append(ad)
            nonadiabatic.append(na)
        return adiabatic, nonadiabatic

    def population_factors(self, name):
        """(ρ^NA_nn(k), O_nn(k − Q_S)) for n = 0..N−1: the two factors of the non-adiabatic part of θ^s."""
        S, O = OBSERVABLES[name]
        S, O = canonical(S), canonical(O)
        _, na = self.population_split(S, (0, 0))
        Om = self.vertex(O, sub((0, 0), momentum(S)))
        return na, [Om[n, n] for n in range(self.nbands)]

    def theta_split(self, name) -> dict:
        """{piece: θ^s_piece} for the pieces of SPLIT_PIECES; their sum is :meth:`theta`."""
        S, O = OBSERVABLES[name]
        S, O = canonical(S), canonical(O)
        rho = self.solve(S, (0, 0))
        Om = self.vertex(O, sub((0, 0), momentum(S)))
        ad, na = self.population_split(S, (0, 0))
        N = self.nbands
        coherences = sum((rho[n, m] * Om[m, n] for n in range(N) for m in range(N) if n != m), sp.Integer(0))
        return {"adiabatic": coherences + sum((ad[n] * Om[n, n] for n in range(N)), sp.Integer(0)),
                "nonadiabatic": sum((na[n] * Om[n, n] for n in range(N)), sp.Integer(0))}

    # -- Eq. (3) ----------------------------------------------------------------------------------------
    def theta(self, name) -> sp.Expr:
        """θ^s = Tr ρ_S(k) O(k − Q_S), the integrand of Eq. (3) at one k (the k-sum is numeric)."""
        S, O = OBSERVABLES[name]
        S, O = canonical(S), canonical(O)
        if momentum(S) != tuple(-x for x in momentum(O)):
            raise ValueError(f"{name}: the fields {S} and the observable {O} do not close in momentum")
        rho = self.solve(S, (0, 0))
        Om = self.vertex(O, sub((0, 0), momentum(S)))
        return sum((rho[n, m] * Om[m, n] for n in range(self.nbands) for m in range(self.nbands)), sp.Integer(0))

    def theta_and_domega(self, name):
        """(θ^s, ∂_ω θ^s): the ω-derivative of Eq. (4), taken by SymPy."""
        th = self.theta(name)
        return th, sp.diff(th, omega)


def kernels(nbands=2, second_order_vertices=True):
    """{name: (θ, ∂_ω θ)} for θ¹, θ², θ³ and the template that built them."""
    tpl = DensityMatrixTemplate(nbands, second_order_vertices)
    return {name: tpl.theta_and_domega(name) for name in OBSERVABLES}, tpl
