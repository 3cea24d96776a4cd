"""The paper's Eq. (10): the skew-scattering term at phonon momentum q = K, derived from the lattice model.

Nothing about λ is typed here. The steps (CONVENTIONS.md §1, §1.1, §1.2, §1.4, §2, §4; V9 of §10):

1. **The model, symbolically, from the same real-space description.** The bonds, sublattice positions, on-site
   energies and the valley K are read as data from :func:`numeric.model.honeycomb.honeycomb_model` (defaults, t′ = 0);
   the bond amplitude is the model's law t(ℓ) = t₀ e^{−β(ℓ/ℓ₀ − 1)} with the Peierls factor
   exp(−i ∫_{r_j}^{r_i} A·dr) on the equilibrium bond (numeric/model/tight_binding.py). A vertex is the coefficient of the field
   amplitudes, ⟨α, k|V|β, k − Q⟩ = Σ_bonds φ(d) e^{−ik·d} (convention I, §4).
2. **Valley expansion.** H(K_v + p) to first order in p is a massive Dirac Hamiltonian; v_f is read off
   (|h_AB|² = v_f² p², derived, :func:`dirac_velocity`). The phonon vertex of momentum ±K joining K′ + p and K + p
   is taken at p = 0 (∝ β t/a₀), the current v = ∂H/∂k and the Peierls q₀-derivative D at the valley; all
   corrections are O(p a₀) = O(Δ/t).
3. **The derived kernel.** The N = 2 skew-scattering expression printed into generated/theta_dq0_n2.py
   (derive/q0_expansion.py ``split_q0_derivative(..)["skew_scattering"]``, the ∂_{q₀ℓ}∂_ω element) is taken
   as is, for an insulator at T = 0 (f_v = 1, f_c = 0). At a k-point K_v + p one of its neighbours k ∓ q lies in
   the other valley (the resonant pairing, energies ±ε₀(p) at leading order), the other near Γ (energies ~3|t|):
   vertices touching the Γ point are set to zero, an O((Δ/t)³) omission.
4. **Small η at fixed ratios.** η_p → sη_p, γ_n → sγ_n, s → 0, monomial by monomial in the band-basis symbols
   (each monomial's limit is finite: its 1/s from the static population meets the O(s) imaginary part of the
   first-order coherence pair). γ_n = η_n/2 (CONVENTIONS.md §1.1) turns the result into the paper's
   δ^{n3}_{n1} = η_{n3}/(2η_p + η_{n1}).
5. **Eq. (4)'s contraction** as in numeric/response/contraction.py and numeric/response/fast.py: the skew part of Λ^{ab} is
   (1/32) ε_{ℓk} ε_{k₁k₂} [K_{ℓk,(a k₁),(b k₂)}(ω, q) − K_{ℓk,(b k₂),(a k₁)}(−ω, −q)], the minus sign from ∂_ω of
   the swapped term; the kernel is multilinear in the vertices, so each monomial is contracted component by component.

The result, per valley τ of the k-point and summed, is returned by :func:`derive_k_point` with the pieces that name
it: the conduction-band orbital moment m_c(p) (CONVENTIONS.md §3, from the same Dirac matrices), the two cubic
ω-poles 1/(2ε₀ ∓ ω)³ and the δ each carries (read off by SymPy, not assumed), and the coupling g = β²v_f²/(2a₀⁴).
derive/generate_dirac.py prints it (generated/dirac_k.py, FORMULAS.md); tests/test_dirac.py compares it with the
lattice (V9, error O(Δ/t)) and with the printed Eq. (10). ``python -m derive.dirac`` prints it with its run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import product

import numpy as np
import sympy as sp

from .density_matrix import MOMENTUM, DensityMatrixTemplate, eta_p, omega

# symbols of the K-point form (e = ħ = 1; energies in eV and lengths in Å in the generated code)
a0 = sp.Symbol("a0", positive=True)             # bond length
t = sp.Symbol("t", real=True, nonzero=True)     # nearest-neighbour hopping t₀ at a₀
Delta = sp.Symbol("Delta", positive=True)       # staggered potential ±Δ (gap 2Δ)
beta = sp.Symbol("beta", real=True)             # −∂ln t/∂ln a₀
eps0 = sp.Symbol("epsilon0", positive=True)     # conduction energy ε₀(p) = √(Δ² + v_f² p²)
v_f = sp.Symbol("v_f", positive=True)           # Fermi velocity (its value in t, a₀ is derived)
P = sp.Symbol("p", positive=True)               # |p|, momentum from the valley
z, zb = sp.symbols("z zbar")                    # p_x + i p_y and its conjugate (z zbar = p²)
_norm = sp.Symbol("N", positive=True)           # 1/√(2ε₀(ε₀ + Δ)), the eigenvector normalization
delta_vc = sp.Symbol("delta_vc", nonnegative=True)   # δ^v_c = η_v/(2η_p + η_c)
delta_cv = sp.Symbol("delta_cv", nonnegative=True)   # δ^c_v = η_c/(2η_p + η_v)
_s = sp.Symbol("s", positive=True)              # the small-η scale
_lam = sp.Symbol("lambda_p", positive=True)     # order counter of p

VALLEYS = ("K", "Kp")                           # τ = +1, −1: the k-point's valley
VALENCE, CONDUCTION = 0, 1                      # band order of the kernels (ascending energy)


# -- 1. the model from numeric/ (data) --------------------------------------------------------------
@dataclass(frozen=True)
class Bond:
    """A directed bond j → i: sublattices ``to`` ← ``frm``, bond vector d (exact, in units of a₀), t₀/t, β/β."""

    to: int
    frm: int
    d: tuple
    t_ratio: sp.Expr
    beta_ratio: sp.Expr


def _exact(x, ref):
    """A float of the model data as an exact number (rational multiples of 1 and √3)."""
    return sp.nsimplify(float(x) / ref, [sp.sqrt(3)], tolerance=1e-10)


@lru_cache(maxsize=None)
def honeycomb_data():
    """(bonds, on-site energies/Δ, K·a₀) read as data from numeric.model.honeycomb's default model (exact numbers)."""
    from numeric.model.honeycomb import HoneycombParameters, honeycomb_model

    par = HoneycombParameters()
    model = honeycomb_model(par)
    pos, vec = model.lattice.positions, model.lattice.vectors
    bonds = []
    for h in model.hoppings:
        if abs(h.length - par.a0) > 1e-9:
            raise ValueError("the K-point form is derived for nearest-neighbour hopping only (t′ = 0)")
        d = pos[h.to] - (np.asarray(h.R, float) @ vec + pos[h.frm])
        bonds.append(Bond(h.to, h.frm, tuple(_exact(x, par.a0) for x in d),
                          _exact(np.real(h.t0), par.t), _exact(h.beta, par.beta)))
    onsite = tuple(_exact(x, par.delta) for x in model.onsite)
    K = tuple(_exact(x * par.a0, np.pi) * sp.pi for x in model.lattice.point("K"))
    return tuple(bonds), onsite, K


def hopping(length, bond: Bond):
    """t(ℓ) = t₀ e^{−β(ℓ/ℓ₀ − 1)}, ℓ₀ = a₀ (numeric/model/tight_binding.py, CONVENTIONS.md §2)."""
    return bond.t_ratio * t * sp.exp(-bond.beta_ratio * beta * (length / a0 - 1))


def _dvec(bond):
    return sp.Matrix([c * a0 for c in bond.d])


def phonon_coefficient(bond: Bond, sub: int, axis: int, Q):
    """φ(d): coefficient of the displacement amplitude U (sublattice ``sub``, axis) at momentum Q in the bond term.

    u at r_i = d is U e^{iQ·d}, at r_j = 0 it is U (numeric/model/tight_binding.py); the derivative of t(|d + u_i − u_j|) is taken here.
    """
    x = sp.Symbol("x_amp")
    d = _dvec(bond)
    u = sp.zeros(2, 1)
    u[axis] = x * ((sp.conjugate(_phase(Q, d)) if bond.to == sub else 0) - (1 if bond.frm == sub else 0))
    D = d + u
    return sp.diff(hopping(sp.sqrt((D.T * D)[0]), bond), x).subs(x, 0)


def current_coefficient(bond: Bond, axis: int, q0):
    """φ(d) of the vector potential A = ê_axis e^{iq₀·r} to first order in q₀ (equilibrium Peierls path, CONVENTIONS.md §2).

    The bond term carries exp(−i ∫_0^1 A(s d)·d ds) (r_j = 0); the plane wave is expanded to first order in q₀.
    """
    x, s = sp.Symbol("x_amp"), sp.Symbol("s_path")
    d = _dvec(bond)
    flux = x * d[axis] * sp.integrate(1 + sp.I * s * (q0.T * d)[0], (s, 0, 1))
    return sp.diff(hopping(a0, bond) * sp.exp(-sp.I * flux), x).subs(x, 0)


def _phase(k, d):
    """e^{−ik·d}, with cos/sin so that exact valley phases evaluate."""
    x = (k.T * d)[0]
    return sp.cos(x) - sp.I * sp.sin(x)


def bloch(coefficient, k, *, onsite=False, kderiv=None):
    """⟨α, k|V|β, k − Q⟩ = Σ_bonds φ(d) e^{−ik·d} (convention I), optionally ∂_{k_ℓ} of it and the on-site terms."""
    bonds, ons, _ = honeycomb_data()
    M = sp.zeros(2, 2)
    for b in bonds:
        d = _dvec(b)
        term = coefficient(b) * _phase(k, d)
        if kderiv is not None:
            term = term * (-sp.I * d[kderiv])
        M[b.to, b.frm] += term
    if onsite:
        M += sp.diag(*[o * Delta for o in ons])
    return M


def _first_order(expr):
    """Value and first order of an expression in the counter λ_p (p → λ_p p)."""
    return sp.expand(expr.subs(_lam, 0) + _lam * sp.diff(expr, _lam).subs(_lam, 0)).subs(_lam, 1)


# -- 2. valley expansion ------------------------------------------------------------------------------
def valley_point(label):
    """K or K′ = −K as a column, in 1/a₀ (numeric.model.lattice's points)."""
    _, _, K = honeycomb_data()
    Kv = sp.Matrix(K) / a0
    return Kv if label == "K" else -Kv


def p_vector():
    """p = ((z + z̄)/2, (z − z̄)/2i), z = p_x + i p_y: any direction of p."""
    return sp.Matrix([(z + zb) / 2, (z - zb) / (2 * sp.I)])


def conj(expr):
    """Complex conjugate when every symbol but z, z̄ is real (z ↔ z̄, i → −i)."""
    return expr.xreplace({z: zb, zb: z, sp.I: -sp.I})


def dagger(M):
    return M.T.applyfunc(conj)


def hamiltonian(k):
    """H(k) of the model (bare hopping, on-site ±Δ)."""
    return bloch(lambda b: hopping(a0, b), k, onsite=True)


def dirac_hamiltonian(K0):
    """H(K0 + p) to first order in p; K0 must be a Dirac point (off-diagonal zero at p = 0)."""
    H = hamiltonian(K0 + _lam * p_vector()).applyfunc(_first_order)
    if sp.simplify(H.subs({z: 0, zb: 0})[0, 1]) != 0:
        raise ValueError(f"{list(K0)} is not a Dirac point")
    if H[0, 0] != Delta or H[1, 1] != -Delta:
        raise ValueError("expected +Δ on sublattice 0 and −Δ on sublattice 1")
    return H


def is_dirac_point(K0) -> bool:
    h = hamiltonian(K0)[0, 1]
    return sp.simplify(sp.expand_complex(h)) == 0


@lru_cache(maxsize=None)
def dirac_velocity():
    """v_f from |h_AB(K + p)|² = v_f² p² (derived; it is 3|t|a₀/2 for the honeycomb bonds)."""
    h = dirac_hamiltonian(valley_point("K"))[0, 1]
    h2 = sp.expand(h * conj(h))
    vf2 = sp.simplify(h2 / (z * zb))
    if vf2.has(z) or vf2.has(zb):
        raise ValueError(f"the valley dispersion is not isotropic at first order: {h2}")
    for label in VALLEYS:
        hv = dirac_hamiltonian(valley_point(label))[0, 1]
        if sp.simplify(sp.expand(hv * conj(hv)) - vf2 * z * zb) != 0:
            raise ValueError("the two valleys have different velocities")
    return sp.sqrt(vf2)


def eigenvectors(H):
    """Columns (valence, conduction) of the massive Dirac H = [[Δ, h], [h*, −Δ]] with energies ∓ε₀, normalized.

    |c⟩ ∝ (Δ + ε₀, h*), |v⟩ ∝ (−h, Δ + ε₀), norm² = 2ε₀(ε₀ + Δ) once |h|² = ε₀² − Δ² (:func:`_eigenvectors_at`
    checks H U = U diag(−ε₀, ε₀) and U†U = 1 with that relation).
    """
    h, hc = H[0, 1], H[1, 0]
    return sp.Matrix([[-h, Delta + eps0], [Delta + eps0, hc]]) * _norm


# -- 3.–5. the kernel at the valley pairing -----------------------------------------------------------
@lru_cache(maxsize=None)
def skew_kernel():
    """(template, the ∂_{q₀ℓ}∂_ω element of θ¹'s skew-scattering piece): the expression the generator prints."""
    from .q0_expansion import split_q0_derivative

    tpl = DensityMatrixTemplate(2)
    return tpl, split_q0_derivative(tpl, "theta1")["skew_scattering"][3]


def _laurent(term):
    """(c₋₁, c₀): the s⁻¹ and s⁰ coefficients of a product of powers of polynomials in s."""
    order, regular = 0, []
    for f in sp.Mul.make_args(term):
        base, n = f.as_base_exp()
        if not base.has(_s):
            regular.append((f, 0, 0))
            continue
        b0 = base.subs(_s, 0)
        if b0 == 0:            # a polynomial in s (expand may have multiplied factors out): strip its lowest power
            low = min(m[0] for m in sp.Poly(base, _s).monoms())
            order += n * low
            base = sp.expand(base / _s**low)
            b0 = base.subs(_s, 0)
        regular.append((b0**n, n, sp.diff(base, _s).subs(_s, 0) / b0))
    R0 = sp.Mul(*[r for r, _, _ in regular])
    if order == 0:
        return sp.Integer(0), R0
    if order == -1:       # R(s) = R0 (1 + s Σ n f'/f + …)
        return R0, R0 * sum((n * lg for _, n, lg in regular if n), sp.Integer(0))
    if order > 0:
        return sp.Integer(0), sp.Integer(0)
    return _laurent_higher(term, -order)


def _laurent_higher(term, pole):
    """(c₋₁, c₀) of a term with a pole of order ``pole`` ≥ 2 in s; the coefficients of s⁻ᵖᵒˡᵉ … s⁻² are returned in
    c₋₁'s place only if nonzero terms remain there (each must cancel within its monomial: :func:`_small_eta_limit`)."""
    series = [sp.Integer(1)] + [sp.Integer(0)] * pole          # Taylor coefficients of s^pole × term, up to s^pole
    for f in sp.Mul.make_args(term):
        base, n = f.as_base_exp()
        if not base.has(_s):
            series = [c * f for c in series]
            continue
        coeffs = sp.Poly(base, _s).all_coeffs()[::-1]           # ascending powers
        low = next(i for i, c in enumerate(coeffs) if c != 0)
        b = coeffs[low:] + [sp.Integer(0)] * (pole + 1)
        h = [sp.Integer(0)] + [b[i] / b[0] for i in range(1, pole + 1)]       # base = s^low b₀ (1 + h)
        power = [sp.Integer(1)] + [sp.Integer(0)] * pole                      # (1 + h)^n, truncated
        hk = [sp.Integer(1)] + [sp.Integer(0)] * pole
        for k in range(1, pole + 1):
            hk = [sum((hk[i] * h[j - i] for i in range(j + 1)), sp.Integer(0)) for j in range(pole + 1)]
            power = [power[j] + sp.binomial(n, k) * hk[j] for j in range(pole + 1)]
        power = [b[0]**n * c for c in power]
        series = [sum((series[i] * power[j - i] for i in range(j + 1)), sp.Integer(0)) for j in range(pole + 1)]
    poles = sum(series[:pole - 1], sp.Integer(0))                # s^-pole … s^-2: must cancel
    return series[pole - 1] + poles, series[pole]


def _small_eta_limit(expr, tpl, groups):
    """Limit s → 0 of expr(η_p → sη_p, γ_n → sγ_n), monomial by monomial in the symbols ``groups``.

    Each expanded term is a Laurent series in s starting at s⁻¹ (the static population's 1/(2i(η_p + γ_n)));
    the s⁻¹ parts cancel within each monomial (checked at a random point), the s⁰ parts are the limit.
    """
    scale = {eta_p: _s * eta_p, tpl.gamma(0): _s * tpl.gamma(0), tpl.gamma(1): _s * tpl.gamma(1)}
    rng = np.random.default_rng(3)
    out = sp.Integer(0)
    coeffs = {}
    for term in sp.Add.make_args(sp.expand(expr)):
        c, mono = term.as_independent(*groups, as_Add=False)
        coeffs.setdefault(mono, []).append(c)
    for mono, cs in coeffs.items():
        pole, finite = sp.Integer(0), sp.Integer(0)
        for c in cs:
            cm1, c0 = _laurent(c.xreplace(scale))
            pole += cm1
            finite += c0
        free = sorted(pole.free_symbols, key=str)
        if free:
            val = complex(pole.subs({x: 0.3 + rng.random() for x in free}))
            if abs(val) > 1e-9:
                raise RuntimeError(f"the small-η limit of the coefficient of {mono} diverges")
        out += finite * mono
    return out


def _light(expr):
    """Expand with z̄ = p²/z (p, N kept as symbols: the cheap reduction used inside the contraction)."""
    return sp.expand(sp.expand(expr).xreplace({zb: P**2 / z}))


def _heavy(expr):
    """p² = (ε₀² − Δ²)/v_f², N² = 1/(2ε₀(ε₀ + Δ)) on an expression from :func:`_light`."""
    return expr.xreplace({P: sp.sqrt(eps0**2 - Delta**2) / dirac_velocity(),
                          _norm: 1 / sp.sqrt(2 * eps0 * (eps0 + Delta))})


def reduce_p(expr):
    """Use z z̄ = p² = (ε₀² − Δ²)/v_f² (v_f derived, :func:`dirac_velocity`) and N² = 1/(2ε₀(ε₀ + Δ)).

    Returns a polynomial in z, z̄ (only powers of one of them survive) with factored coefficients.
    """
    e = sp.expand(sp.expand(expr).xreplace({zb: P**2 / z}))
    e = e.xreplace({P: sp.sqrt(eps0**2 - Delta**2) / dirac_velocity(), _norm: 1 / sp.sqrt(2 * eps0 * (eps0 + Delta))})
    e = sp.expand(e)
    return sp.collect(e, [z], sp.factor)


@lru_cache(maxsize=None)
def _phonon_matrix(point, Q, c):
    """Orbital matrix of the unit displacement c = 2·sublattice + axis at momentum Q, k = point (leading order)."""
    return sp.ImmutableMatrix(bloch(lambda b: phonon_coefficient(b, c // 2, c % 2, sp.Matrix(Q)), sp.Matrix(point)))


@lru_cache(maxsize=None)
def _current_matrices(point):
    """(v_ℓ, V_A,j, D_ℓj) at k = point: ∂_ℓH, the Peierls vertex at q₀ = 0 and its q₀-rule derivative
    D_ℓj = ∂_{k_ℓ}V_A,j + ∂_{q₀ℓ}V_A,j|_φ (derive/q0_expansion.py ``dvertex`` with b = 1)."""
    k = sp.Matrix(point)
    q0s = sp.Matrix(sp.symbols("q0x q0y"))
    at0 = {q0s[0]: 0, q0s[1]: 0}
    vel = [bloch(lambda b: hopping(a0, b), k, kderiv=j) for j in range(2)]
    VA = [bloch(lambda b, j=j: current_coefficient(b, j, q0s), k).subs(at0) for j in range(2)]
    D = [[(bloch(lambda b, j=j: current_coefficient(b, j, q0s), k, kderiv=l)
           + bloch(lambda b, j=j, l=l: sp.diff(current_coefficient(b, j, q0s), q0s[l]), k)).subs(at0)
          for j in range(2)] for l in range(2)]
    return vel, VA, D


@lru_cache(maxsize=None)
def _eigenvectors_at(point):
    """Eigenvector columns of the Dirac Hamiltonian at the Dirac point ``point`` + p, checked."""
    H = dirac_hamiltonian(sp.Matrix(point))
    U = eigenvectors(H)
    for residual in (H * U - U * sp.diag(-eps0, eps0), dagger(U) * U - sp.eye(2)):
        if any(sp.cancel(_heavy(_light(e))) != 0 for e in residual):
            raise RuntimeError(f"not the eigenvectors of H at {point}")
    return U


def _valley_points(valley, sign):
    """(near, key, U) for k = K_v + a·q, a = −1, 0, 1, q = sign·K: whether each lies at a Dirac point, its exact
    coordinates, and the Dirac eigenvectors there; exactly one of k ± q must lie in the other valley."""
    Kv, q = valley_point(valley), sign * valley_point("K")
    point = {a: Kv + a * q for a in (-1, 0, 1)}
    near = {a: is_dirac_point(point[a]) for a in point}
    if not near[0] or near[-1] == near[1]:
        raise ValueError("exactly one of k ± q must lie in the other valley")
    key = {a: tuple(point[a]) for a in point}
    return near, key, {a: _eigenvectors_at(key[a]) for a in point if near[a]}


def _band_value(kind, data, n, near):
    """Insulator at T = 0: f = 1 (valence), 0; f′ = 0; ε = ∓ε₀ at a valley, a symbol far from it; None for other kinds."""
    if kind == "occupation":
        return 1 if n == VALENCE else 0
    if kind == "dfde":
        return 0
    if kind == "energy":
        return (-eps0 if n == VALENCE else eps0) if near[data[0]] else sp.Symbol(f"E{n}_far_{data[0]}")
    return None


def valley_kernel(valley, sign):
    """The skew kernel at k = K_v + p for the phonon momentum q = sign·K, insulator, small η, leading order in Δ/t.

    Returns (terms, components): terms {monomial in band-basis symbols: its small-η coefficient} and, for each
    symbol of the monomials, its values per field component: a list over c = 2·sublattice + axis for V_u, V_w,
    over ℓ for v, over j for V_A and [ℓ][j] for D_A (functions of ε₀, Δ, t, a₀, β and z = p_x + i p_y).
    """
    tpl, K = skew_kernel()
    near, key, U = _valley_points(valley, sign)
    q = sign * valley_point("K")

    subs = {}
    for s_, (kind, data, index) in tpl.symbol_info.items():
        if s_ not in K.free_symbols:
            continue
        band = _band_value(kind, data, index[0], near)
        if band is not None:
            subs[s_] = band
        elif kind == "vertex" and data[0] != ("A",):
            (field,), (a, _) = data
            b = a - 1 if field == "u" else a + 1
            if not (near[a] and near[b]):
                subs[s_] = 0            # one end near Γ: energy denominators ~3|t|, dropped at leading order
    K2 = K.xreplace(subs)

    vel, VA, D = _current_matrices(key[0])
    Ud = dagger(U[0])
    comps = {}
    for s_, (kind, data, index) in tpl.symbol_info.items():
        if s_ not in K2.free_symbols:
            continue
        n, m = index if len(index) == 2 else (index[0], index[0])
        if kind == "velocity":
            comps[s_] = [_light((Ud * vel[j] * U[0])[n, m]) for j in range(2)]
        elif kind == "vertex" and data[0] == ("A",):
            comps[s_] = [_light((Ud * VA[j] * U[0])[n, m]) for j in range(2)]
        elif kind == "dvertex":
            comps[s_] = [[_light((Ud * D[l][j] * U[0])[n, m]) for j in range(2)] for l in range(2)]
        elif kind == "vertex":
            (field,), (a, _) = data
            b = a - 1 if field == "u" else a + 1
            Q = tuple(q if field == "u" else -q)
            comps[s_] = [_light((dagger(U[a]) * _phonon_matrix(key[a], Q, c) * U[b])[n, m]) for c in range(4)]
    groups = [s_ for s_ in K2.free_symbols if s_ in comps]
    K3 = _small_eta_limit(K2, tpl, groups)
    terms = {}
    for term in sp.Add.make_args(sp.expand(K3)):
        c, mono = term.as_independent(*groups, as_Add=False)
        terms[mono] = terms.get(mono, 0) + c
    return terms, comps


LEVI_CIVITA = ((0, 1), (-1, 0))


def _contract(terms, comps, tpl, swap):
    """Σ_{ℓj k₁k₂} ε_{ℓj} ε_{k₁k₂} of the kernel for the sublattice pair (a, b): a 2×2 Matrix (Eq. 4's contraction).

    ``swap``: the swapped term of Eq. (4), where u carries (b, k₂) and w carries (a, k₁).
    """
    out = sp.zeros(2, 2)
    for mono, coef in terms.items():
        coef = sp.factor(coef)
        by_kind = {}
        for f in sp.Mul.make_args(mono):
            base, e = f.as_base_exp()
            if e != 1:
                raise RuntimeError(f"unexpected power in {mono}")
            kind, data, _ = tpl.symbol_info[base]
            by_kind[(kind, data[0]) if kind == "vertex" else kind] = comps[base]
        if "dvertex" in by_kind:
            lj = sum((LEVI_CIVITA[l][j] * by_kind["dvertex"][l][j] for l in range(2) for j in range(2)), 0)
        else:
            v, A = by_kind["velocity"], by_kind[("vertex", ("A",))]
            lj = sum((LEVI_CIVITA[l][j] * v[l] * A[j] for l in range(2) for j in range(2)), 0)
        Vu, Vw = by_kind[("vertex", ("u",))], by_kind[("vertex", ("w",))]
        lj = _light(lj)
        for a, b in product(range(2), repeat=2):
            uw = sum((LEVI_CIVITA[k1][k2] * (Vu[2 * b + k2] * Vw[2 * a + k1] if swap else Vu[2 * a + k1] * Vw[2 * b + k2])
                      for k1 in range(2) for k2 in range(2)), 0)
            out[a, b] += coef * sp.factor(_heavy(_light(lj * _light(uw))))
    return out


@lru_cache(maxsize=None)
def valley_lambda(valley):
    """Λ^{ab}_SS of the k-point K_v + p (v = "K" or "Kp"), both terms of Eq. (4), small η, leading order in Δ/t.

    (1/32) ε_{ℓk} ε_{k₁k₂} [K_{ℓk,(a k₁),(b k₂)}(ω, K) − K_{ℓk,(b k₂),(a k₁)}(−ω, −K)] (numeric/response/fast.py
    ``lambda_generated``: ¼ from contract_eq4, ⅛ from the current route's half). A 2×2 Matrix in ω, ε₀, Δ, t, a₀,
    β, η_p, γ_n.
    """
    tpl, _ = skew_kernel()
    plus = _contract(*valley_kernel(valley, 1), tpl, swap=False)
    minus = _contract(*valley_kernel(valley, -1), tpl, swap=True).xreplace({omega: -omega})
    return ((plus - minus) / 32).applyfunc(lambda e: sp.factor(sp.together(e)))


def orbital_moment_c(valley):
    """m_c(p) = −Im(v^x_cv v^y_vc)/(ε_c − ε_v) at K_v + p (CONVENTIONS.md §3), from the same Dirac matrices."""
    k = tuple(valley_point(valley))
    vel, _, _ = _current_matrices(k)
    U = _eigenvectors_at(k)
    vx, vy = (dagger(U) * vel[0] * U), (dagger(U) * vel[1] * U)
    X = vx[CONDUCTION, VALENCE] * vy[VALENCE, CONDUCTION]
    return sp.factor(reduce_p((X - conj(X)) / (2 * sp.I)) * (-1) / (2 * eps0))


def rates_to_deltas(gamma_v, gamma_c):
    """δ^c_v, δ^v_c in the rates γ_n (δ^m_n = γ_m/(η_p + γ_n), CONVENTIONS.md §1.2; = η_m/(2η_p + η_n) for γ = η/2)."""
    return gamma_c / (eta_p + gamma_v), gamma_v / (eta_p + gamma_c)


@dataclass(frozen=True)
class KPointForm:
    """The derived K-point skew-scattering term (see :func:`derive_k_point`)."""

    v_f: sp.Expr                 # derived Fermi velocity
    per_valley: dict             # valley → 2×2 Λ^{ab}_SS (as derived, in the rates γ_n)
    m_c: dict                    # valley → conduction-band orbital moment m_c(p)
    poles: dict                  # valley → {"minus": (δ name, coefficient), "plus": (...)}: Λ^AA = Σ c_± δ_±/(2ε₀ ∓ ω)³
    coupling: sp.Expr            # g with Λ^AA_τ = |m_c| g [δ_−/(2ε₀ − ω)³ + δ_+/(2ε₀ + ω)³]
    valley_sum: sp.Expr          # Λ^AA summed over the two valleys, in v_f, δ's
    seconds: float               # wall time of the derivation (not printed into generated/)


def derive_k_point() -> KPointForm:
    """Derive the K-point form of the skew-scattering term (paper Eq. 10) from the lattice model.

    Per k-point K_v + p (v = K, K′) the derived Λ^{ab}_SS is diagonal with Λ^{BB} = −Λ^{AA}, and

        Λ^{AA}_v = c_−/(2ε₀ − ω)³ + c_+/(2ε₀ + ω)³,

    each c_± proportional to one δ (found here, not assumed); the valley sum carries (δ^v_c + δ^c_v).
    """
    import time

    start = time.perf_counter()
    vf = dirac_velocity()
    tpl, _ = skew_kernel()
    gv, gc = tpl.gamma(VALENCE), tpl.gamma(CONDUCTION)
    d_cv, d_vc = rates_to_deltas(gv, gc)
    per_valley, m_c, poles, couplings = {}, {}, {}, set()
    w = omega
    for v in VALLEYS:
        L = valley_lambda(v)
        if L[0, 1] != 0 or L[1, 0] != 0 or sp.cancel(L[0, 0] + L[1, 1]) != 0:
            raise RuntimeError(f"valley {v}: Λ is not diag(λ, −λ): {L}")
        R = L[0, 0]
        c_minus = sp.factor(sp.cancel(R * (2 * eps0 - w) ** 3).subs(w, 2 * eps0))
        c_plus = sp.factor(sp.cancel(R * (2 * eps0 + w) ** 3).subs(w, -2 * eps0))
        if sp.cancel(R - c_minus / (2 * eps0 - w) ** 3 - c_plus / (2 * eps0 + w) ** 3) != 0:
            raise RuntimeError(f"valley {v}: Λ^AA is not a sum of two cubic poles")
        mc = orbital_moment_c(v)
        m_c[v] = mc
        entry = {}
        for side, c in (("minus", c_minus), ("plus", c_plus)):
            for name, dl in (("delta_cv", d_cv), ("delta_vc", d_vc)):
                ratio = sp.factor(sp.cancel(c / dl))
                if not ratio.has(eta_p, gv, gc):
                    entry[side] = (name, ratio)
                    couplings.add(sp.factor(ratio / sp.Abs(mc)))
                    break
            else:
                raise RuntimeError(f"valley {v}: the {side} pole is not proportional to one δ")
        poles[v] = entry
        per_valley[v] = L
    if len(couplings) != 1:
        raise RuntimeError(f"the valleys do not share one coupling: {couplings}")
    g = couplings.pop()
    t_of_vf = 2 * v_f / (3 * a0)            # |t| from v_f = 3|t|a₀/2 (derived above)
    if sp.simplify(vf - 3 * a0 * sp.Abs(t) / 2) != 0:
        raise RuntimeError(f"unexpected v_f = {vf}")
    if any(sp.simplify(e.subs(t, -t) - e) != 0 for e in (g, *(p[1] for pv in poles.values() for p in pv.values()))):
        raise RuntimeError("odd powers of t: v_f alone cannot express the result")
    g_vf = sp.factor(g.subs(sp.Abs(t), t_of_vf).subs(t, t_of_vf))
    dl = {"delta_cv": delta_cv, "delta_vc": delta_vc}
    total = sum((dl[poles[v][side][0]] * poles[v][side][1] / (2 * eps0 + (w if side == "plus" else -w)) ** 3
                 for v in VALLEYS for side in ("minus", "plus")), sp.Integer(0))
    total = sp.factor(total.subs(t, t_of_vf))
    return KPointForm(vf, per_valley, m_c, poles, g_vf, total, time.perf_counter() - start)


if __name__ == "__main__":     # pragma: no cover
    form = derive_k_point()
    for f in ("v_f", "m_c", "poles", "coupling", "valley_sum", "seconds"):
        print(f, getattr(form, f))


# -- the adiabatic part λ^A at q = K (CONVENTIONS.md §1.4) --------------------------------------------------------------
ADIABATIC_TERMS = (("theta1", "adiabatic", 1), ("theta2", None, 1), ("theta3", None, 2))
"""(observable, split piece or None, weight): λ^A = (1/32) D[Θ¹_A + Θ² + 2Θ³] (CONVENTIONS.md §1.2, §4)."""


@lru_cache(maxsize=None)
def adiabatic_kernel():
    """(template, Σ weight × ∂_{q₀ℓ}∂_ω element) of θ¹'s adiabatic piece, θ² and θ³: the kernels the generator prints."""
    from .q0_expansion import split_q0_derivative, theta_q0_derivative

    tpl = DensityMatrixTemplate(2)
    total = sp.Integer(0)
    for name, piece, weight in ADIABATIC_TERMS:
        exprs = split_q0_derivative(tpl, name)[piece] if piece else theta_q0_derivative(tpl, name)
        total += weight * exprs[3]
    return tpl, total


def _ends(fields, shift):
    """(left, right) k-point indices a of the vertex ⟨k + a_L q|V_T|k + a_R q⟩."""
    return shift[0], shift[0] - sum(MOMENTUM[f][0] for f in fields)


def field_coefficient(bond: Bond, fields, comps, Q, q0s):
    """φ(d) of the product of unit field amplitudes ``fields`` with components ``comps`` (c = 2·sublattice + axis for u
    and w, the axis j for A): u at momentum Q["u"], w at Q["w"], A at q₀ (first order in q₀, equilibrium Peierls path).

    The bond term is t(|d + u_i − u_j|) exp(−i ∫ A·dr) (numeric/model/tight_binding.py, CONVENTIONS.md §2), r_j = 0.
    """
    x = {f: sp.Symbol(f"x_{f}") for f in fields}
    d = _dvec(bond)
    u = sp.zeros(2, 1)
    for f in fields:
        if f == "A":
            continue
        c = comps[f]
        plane = sp.cos((Q[f].T * d)[0]) + sp.I * sp.sin((Q[f].T * d)[0])      # e^{iQ·d} at r_i = d
        u[c % 2] += x[f] * ((plane if bond.to == c // 2 else 0) - (1 if bond.frm == c // 2 else 0))
    D = d + u
    term = hopping(sp.sqrt((D.T * D)[0]), bond)
    if "A" in fields:
        s = sp.Symbol("s_path")
        flux = x["A"] * d[comps["A"]] * sp.integrate(1 + sp.I * s * (q0s.T * d)[0], (s, 0, 1))
        term = term * sp.exp(-sp.I * flux)
    for f in fields:
        term = sp.diff(term, x[f])
    return term.subs({xx: 0 for xx in x.values()})


def _component_keys(fields):
    """Every assignment of components to the fields: u, w over c = 0…3, A over j = 0, 1."""
    ranges = [range(2) if f == "A" else range(4) for f in fields]
    return [dict(zip(fields, cs)) for cs in product(*ranges)]


@lru_cache(maxsize=None)
def _orbital_vertex(fields, point, sign, dq0):
    """{components: orbital matrix} of V_T at k = ``point`` (a valley, p = 0) for the phonon q = sign·K: the vertex,
    or with ``dq0`` = (ℓ, b) its q₀-rule derivative D = b ∂_{kℓ}V_T + ∂_{q₀ℓ}V_T|_φ (derive/q0_expansion.py)."""
    q0s = sp.Matrix(sp.symbols("q0x q0y", real=True))
    q = sign * valley_point("K")
    Q = {"u": q, "w": -q - q0s}
    at0 = {q0s[0]: 0, q0s[1]: 0}
    k = sp.Matrix(point)
    out = {}
    for comps in _component_keys(fields):
        key = tuple(sorted(comps.items()))
        coef = lambda b, comps=comps: field_coefficient(b, fields, comps, Q, q0s)
        if dq0 is None:
            M = bloch(coef, k).subs(at0)
        else:
            l, bb = dq0
            M = bb * bloch(coef, k, kderiv=l).subs(at0) if bb else sp.zeros(2, 2)
            if "w" in fields or "A" in fields:
                M = M + bloch(lambda b, comps=comps: sp.diff(field_coefficient(b, fields, comps, Q, q0s), q0s[l]),
                              k).subs(at0)
        out[key] = sp.ImmutableMatrix(M.applyfunc(sp.nsimplify))
    return out


def valley_kernel_general(kernel, tpl, valley, sign):
    """A ∂_{q₀ℓ}∂_ω kernel at k = K_v + p for q = sign·K (insulator, T = 0, γ_n = 0, η_p → 0, leading order in Δ/t).

    Returns (terms {monomial: coefficient}, values {symbol: function of the index dict → its band-basis value}). As in
    :func:`valley_kernel`, one of k ± q lies in the other valley; vertices carrying a phonon that touch the point near Γ
    are dropped (energy denominators ~3|t|).
    """
    near, key, U = _valley_points(valley, sign)
    subs = {}
    values = {}
    for s_, (kind, data, index) in tpl.symbol_info.items():
        if s_ not in kernel.free_symbols:
            continue
        band = _band_value(kind, data, index[0], near)
        if band is not None:
            subs[s_] = band
        elif kind == "velocity":
            if not near[data[0]]:
                subs[s_] = 0
                continue
            a, (n, m) = data[0], index
            vel, _, _ = _current_matrices(key[a])
            Ua = U[a]
            values[s_] = (lambda Ua, n, m, vel: lambda idx: _light((dagger(Ua) * vel[idx["l"]] * Ua)[n, m]))(
                Ua, n, m, vel)
        elif kind in ("vertex", "dvertex"):
            fields, shift = data
            left, right = _ends(fields, shift)
            if not (near[left] and near[right]):
                subs[s_] = 0
                continue
            n, m = index
            if kind == "vertex":
                mats = _orbital_vertex(fields, key[left], sign, None)
                values[s_] = (lambda mats, UL, UR, fields, n, m: lambda idx: _light(
                    (dagger(UL) * mats[tuple(sorted((f, idx[f]) for f in fields))] * UR)[n, m]))(
                    mats, U[left], U[right], fields, n, m)
            else:
                mats = {l: _orbital_vertex(fields, key[left], sign, (l, shift[1])) for l in range(2)}
                values[s_] = (lambda mats, UL, UR, fields, n, m: lambda idx: _light(
                    (dagger(UL) * mats[idx["l"]][tuple(sorted((f, idx[f]) for f in fields))] * UR)[n, m]))(
                    mats, U[left], U[right], fields, n, m)
    K2 = kernel.xreplace(subs).xreplace({tpl.gamma(0): 0, tpl.gamma(1): 0})   # f′ = 0 first: f′/(2γ) → 0
    if K2.has(sp.nan, sp.zoo):
        raise RuntimeError("the Hermitian limit γ_n = 0 is singular")
    groups = [s_ for s_ in K2.free_symbols if s_ in values]
    K3 = _small_eta_limit(K2, tpl, groups)
    terms = {}
    for term in sp.Add.make_args(sp.expand(K3)):
        c, mono = term.as_independent(*groups, as_Add=False)
        terms[mono] = terms.get(mono, 0) + c
    return terms, values


def _contract_general(terms, values, tpl, swap):
    """Σ ε_{ℓj} ε_{k₁k₂} of the kernel for each sublattice pair (a, b) (Eq. 4's contraction); ``swap``: u carries
    (b, k₂) and w carries (a, k₁)."""
    out = [[sp.Integer(0)] * 2 for _ in range(2)]
    cache = {}

    def value(symbol, idx):
        key = (symbol, tuple(sorted(idx.items())))
        if key not in cache:
            cache[key] = values[symbol](idx)
        return cache[key]

    for mono, coef in terms.items():
        factors = []
        for f in sp.Mul.make_args(mono):
            base, e = f.as_base_exp()
            if e != 1:
                raise RuntimeError(f"unexpected power in {mono}")
            factors.append(base)
        for a, b in product(range(2), repeat=2):
            acc = sp.Integer(0)
            for (l, j), (k1, k2) in product(((0, 1), (1, 0)), repeat=2):
                cu, cw = (2 * b + k2, 2 * a + k1) if swap else (2 * a + k1, 2 * b + k2)
                idx = {"l": l, "A": j, "u": cu, "w": cw}
                acc += LEVI_CIVITA[l][j] * LEVI_CIVITA[k1][k2] * sp.Mul(*[value(f, idx) for f in factors])
            out[a][b] += coef * _light(acc)
    return sp.Matrix(2, 2, lambda a, b: out[a][b])


_order = sp.Symbol("lambda_s", positive=True)     # scale of ε₀, Δ, ω, p at fixed t: the Dirac limit is λ_s → 0


def leading_order(expr):
    """(leading term, its power of λ_s) of ``expr`` under ε₀, Δ, ω, z → λ_s (ε₀, Δ, ω, z) at fixed t, a₀, β: the
    Dirac limit Δ/t → 0. The valley expansion is complete at the leading order only (CONVENTIONS.md §1.4)."""
    scaled = sp.together(expr.xreplace({eps0: _order * eps0, Delta: _order * Delta, omega: _order * omega,
                                        z: _order * z}))
    num, den = sp.fraction(scaled)
    lows = []
    for part in (num, den):
        poly = sp.Poly(sp.expand(part), _order)
        low = min(m[0] for m in poly.monoms())
        lows.append((low, poly.coeff_monomial(_order**low)))
    if lows[0][1] == 0:
        return sp.Integer(0), None
    return sp.factor(lows[0][1] / lows[1][1]), lows[0][0] - lows[1][0]


@lru_cache(maxsize=None)
def adiabatic_valley_lambda(valley):
    """Leading order in Δ/t of :func:`adiabatic_valley_full`: diag(λ_A, −λ_A), checked (the off-diagonal and the
    traceful parts are of higher order in Δ/t)."""
    full = adiabatic_valley_full(valley)
    lead = [[leading_order(full[a, b]) for b in range(2)] for a in range(2)]
    order = lead[0][0][1]
    if lead[1][1][1] != order or sp.cancel(lead[0][0][0] + lead[1][1][0]) != 0:
        raise RuntimeError(f"valley {valley}: the leading λ^A is not diag(λ, −λ)")
    for a, b in ((0, 1), (1, 0)):
        if lead[a][b][1] is not None and lead[a][b][1] <= order:
            raise RuntimeError(f"valley {valley}: Λ^{a}{b} is not of higher order")
    return sp.Matrix([[lead[0][0][0], 0], [0, -lead[0][0][0]]]), order


@lru_cache(maxsize=None)
def adiabatic_valley_full(valley):
    """λ^A's Λ^{ab} of the k-point K_v + p, both terms of Eq. (4), γ_n = 0, η_p → 0, leading order in Δ/t:
    (1/32) ε_{ℓk} ε_{k₁k₂} [K_{ℓk,(a k₁),(b k₂)}(ω, K) − K_{ℓk,(b k₂),(a k₁)}(−ω, −K)], K = Θ¹_A + Θ² + 2Θ³'s kernel."""
    tpl, kernel = adiabatic_kernel()
    plus = _contract_general(*valley_kernel_general(kernel, tpl, valley, 1), tpl, swap=False)
    minus = _contract_general(*valley_kernel_general(kernel, tpl, valley, -1), tpl, swap=True).xreplace({omega: -omega})
    return ((plus - minus) / 32).applyfunc(lambda e: sp.factor(sp.cancel(_heavy(e))))


x_ratio = sp.Symbol("x", positive=True)          # ω/Δ of the zone-integrated form (x < 2: below the gap)


def cell_area():
    """Area of the primitive cell in units of a₀², read as data from numeric.model.honeycomb's default model (exact)."""
    from numeric.model.honeycomb import HoneycombParameters, honeycomb_model

    par = HoneycombParameters()
    return _exact(honeycomb_model(par).lattice.cell_area, par.a0**2)


@dataclass(frozen=True)
class AdiabaticForm:
    """The derived K-point form of the adiabatic part λ^A (see :func:`derive_adiabatic_k_point`)."""

    per_valley: dict             # valley → 2×2 Λ^{ab}_A per k-point K_v + p, leading order in Δ/t
    order: int                   # power of the Dirac scale (Δ, ε₀, ω, p ∝ λ_s) of the per-k-point form
    zone: sp.Expr                # λ^A_AA = (1/N_k) Σ_k over both valleys, a function of x = ω/Δ, Δ, t, β
    exponent: int                # power of Δ in ``zone`` at fixed x: λ^A ∝ Δ^exponent
    seconds: float               # wall time of the derivation (not printed into generated/)


def derive_adiabatic_k_point() -> AdiabaticForm:
    """Derive the Dirac-limit form of λ^A at q = K (γ_n = 0, η_p → 0, insulator at T = 0) from the lattice model.

    Per k-point K_v + p: Λ^{ab}_A = diag(λ_A, −λ_A) at leading order in Δ/t (:func:`adiabatic_valley_lambda`); summed
    over the zone with the per-cell measure (1/N_k) Σ_k = A_cell/(2π)² ∫ d²p and d²p = 2π ε₀ dε₀/v_f² (isotropic),
    λ^A = A_cell/(2π v_f²) ∫_Δ^∞ ε₀ (λ_K + λ_K′) dε₀, a function of ω/Δ times Δ^exponent.
    """
    import time

    start = time.perf_counter()
    per_valley, orders = {}, set()
    for v in VALLEYS:
        per_valley[v], order = adiabatic_valley_lambda(v)
        orders.add(order)
    if len(orders) != 1:
        raise RuntimeError(f"the valleys have different orders: {orders}")
    y = sp.Symbol("y", positive=True)                            # ε₀/Δ
    density = sum((per_valley[v][0, 0] for v in VALLEYS), sp.Integer(0)) * eps0
    density = sp.cancel(density.xreplace({eps0: y * Delta, omega: x_ratio * Delta}) * Delta)   # dε₀ = Δ dy
    integral = sp.integrate(sp.apart(density, y), (y, 1, sp.oo))
    vf = dirac_velocity()
    zone = sp.factor(sp.simplify(cell_area() * a0**2 / (2 * sp.pi * vf**2) * integral).subs(sp.Abs(t)**2, t**2))
    exponent = sp.Poly(sp.fraction(zone)[0], Delta).degree() - sp.Poly(sp.fraction(zone)[1], Delta).degree()
    if zone.has(eps0, omega, a0):
        raise RuntimeError(f"unexpected zone-integrated form {zone}")
    return AdiabaticForm(per_valley, orders.pop(), zone, exponent, time.perf_counter() - start)
