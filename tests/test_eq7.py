"""V2 (CONVENTIONS.md §10): the paper's Eq. (7)–(8), typed here from band data, against the derived λ^SS and λ^SJ
(CONVENTIONS.md §1.2).

Eq. (7) is typed in :mod:`numeric.verify.eq7` (:func:`eq7`) as a k-resolved NumPy integrand from band data (:mod:`numeric.model.bands`) and the
vertices of :mod:`numeric.model.tight_binding`; nothing is imported from ``derive/`` or ``generated/`` for it. The derived side is
the skew-scattering and side-jump outputs of ``theta1_split`` (``generated/eq4_n{2,3}.py``), evaluated as
``numeric/response/fast.py`` does, resolved by k and, for the side jump, by which q₀-dependent input ∂_{q₀} meets
(:class:`_Inputs` below zeroes inputs; the kernels are linear in the q₀-derivative inputs, so the pieces add up exactly).

Both sides are the sublattice matrix Λ^{ab}_zz (CONVENTIONS.md §4, §5): the displacement indices i₁ (of u(ω, q), on
sublattice a) and i₂ (of u(−ω, −q), sublattice b) are contracted with ε_{zi₁i₂}; the paper's "onsite" part is Λ^{aa}.
Small-η limit, where Eq. (7) applies: insulator, μ in the gap, T = 0, all η ~ 1e-4 eV at fixed, band-distinct ratios.

Readings of the printed slips (CONVENTIONS.md §1.1, §3). They are of two kinds. Readings 1 and 5 change the integrand's
structure, and each is tested: the literal alternative is a strict xfail below. Readings 2–4 (the factor i on Ω, the
sign of ε_{jj₁j₂} through which index pairs with A, the sign of m) each multiply one term by a constant (i, −1, −1), so
together they fix one overall constant per term, and that constant is absorbed in ``SS_FACTOR`` / ``SJ_FACTOR``: the
tests cannot tell these readings from a different factor. The constants −½ and −i/4 are counted from the derivation
under "Result" below; the evidence that Eq. (7)'s terms are the derived ones is that one constant per term holds for
every k-point and every element Λ^{ab} on every model and q tried, which a wrong structure would not give.

1. δ carries the intermediate band: δ^{n₃}_{n₁} → δ^{n₂}_{n₁} = η_{n₂}/(2η_p + η_{n₁}) in both terms (the band of the
   first-order coherence whose damping feeds the population of n₁; in the skew term n₃ has no other carrier, in the side
   jump n₃ is the Berry-connection band). Tested on a three-band model with three different η's; the literal δ^{n₃}_{n₁}
   fails there.
2. Skew term: n₂ is summed (Σ_{n₁n₂}); Ω^{n₂}_{n₁n₁} as printed is purely imaginary on Λ^{aa} (ε_{i₁i₂} times a product
   and its conjugate), and the skew term needs i Ω^{n₂}_{n₁n₁} (the reading "Ω → i × printed").
3. Side jump: A_{j₁} = ⟨n₃|i∂_{j₁}|n₁⟩ (the printed ∂_{j₂} is a slip: ε_{jj₁j₂} pairs j₁ with A and j₂ with v); T = Im
   Σ_{n₃≠n₁} Ω^{n₂}_{n₁n₃} A_{j₁,n₃n₁} with the *printed* Ω (equivalently −Re of the sum with i Ω); the n₃ of G₂ is that
   of T (summed jointly).
4. m^e: the gauge-invariant moment m_n of numeric/model/bands.py (energy ε − m B). The gauge-invariant part of the printed ½
   Im⟨∂n|×v|n⟩ is −m_n; with it the skew factor below changes sign.
5. Parity: "− (ω, q → −ω, −q)" is Eq. (4)'s swapped-index term: the displacement indices (i₁, a) ↔ (i₂, b) are exchanged
   along with (ω, q) → (−ω, −q), and ε_{i₁i₂} turns the printed minus into a plus, Λ^{ab} ∋ −½ [X^{ab}(ω, q) +
   X^{ba}(−ω, −q)]. This makes Eq. (7) even, as Eq. (4) is (CONVENTIONS.md §5). Read literally (minus, no swap) the
   ratio derived/Eq. 7 depends on q (xfail below): that was the q-dependent factor seen before this test.

Result (CONVENTIONS.md normalization: Λ = ½(current + force route), λ^NA = half the current route's share):

- Skew scattering: derived λ^SS = −½ × Eq. 7's first term, k-point by k-point, full Λ^{ab}, on the honeycomb (t′ = 0,
  0.3) and random 2- and 3-band models at every q tried (observed agreement ~1e-8: the finite-η corrections at η = 1e-4
  eV). No extra terms: the vertices' q₀-dependence drops out (with the equilibrium Peierls path ∂_{q₀}J's vertex part is
  symmetric in ℓk). Where −½ comes from: λ^SS = (1/32) ε ε ∂_{q₀}∂_ω[θ(ω, q) + θ_swap(−ω, −q)]; the swapped term equals
  the first at q₀ = 0 (× 2), ε_{ℓk}∂_{q₀ℓ}J^k_nn = ⟨∂n|×v|n⟩ = −2i m_n, and ∂_ω of the static population −P Δf/(Δε − ω)²
  gives −2 Ω G₁ (P = ε_{i₁i₂} V^u V^w = Δε² × printed Ω): (1/32)(2)(−2i)(−2) Σ δ m Ω_printed G₁ = ¼ Σ δ m (i Ω_printed)
  G₁. So Eq. 7's skew term, with the printed sign of m^e, is the current (magnetization) route's share 2λ^SS exactly.
- Side jump: the part where ∂_{q₀} meets the states |n, k+q₀⟩ (the interband Berry connection) equals −(i/4) × Eq. 7's
  second term with T read as the complex Σ_{n₃} Ω A (printed Ω), k-point by k-point; its real part is ¼ × Eq. 7 as
  printed (T = Im). Same count: (1/32)(2)(2i) Σ δ ε v Ω_printed A G₂. The printed form has the same −½ in front of both
  terms, but the derivation gives the side jump half the skew term's weight: ⟨∂n|×v|n⟩ = −2i m_n carries a 2 that
  ∂_{q₀}|n, k+q₀⟩ = −i Σ_p A_pn |p⟩ does not. The imaginary part of that piece (−¼ × Eq. 7 with Re in place of Im) is
  dissipative (Im Λ) and absent from Eq. (7).
- Side jump, terms Eq. (7) lacks (sizes recorded in :data:`EXTRA_TERMS`): (a) the vertices' own q₀-dependence (the
  phonon u(−ω, −q − q₀)'s bond coefficients and the Bloch-phase k-derivative of vertices at shifted points), 0.7–1.4 ×
  |λ^SJ| and dominant on the random models; (b) intermediate states and energies at k + q + q₀, 0.8–16 % of |λ^SJ| away
  from q = K, zero at q = K on the honeycomb model. The band-velocity part (∂_{q₀} of ε_n(k+q₀)) is exactly zero (ε_{ℓk}
  v^ℓ_nn v^k_nn = 0).
- The split λ^SS/λ^SJ (not Λ, not λ^NA) depends on the Bloch convention; Eq. (7)'s terms are the convention-I split.
- Eq. (7)'s own side jump does not vanish with particle–hole symmetry (t′ = 0, η_c = η_v), contrary to the paper's
  remark.
"""

from functools import lru_cache

import numpy as np
import pytest

import numeric.response.fast as fast
from numeric.model.brillouin import uniform_grid
from numeric.response.contraction import contract_eq4
from numeric.response.damping import Rates
from numeric.response.direct import Problem, lambda_matrix
from numeric.response.fast import lambda_generated
from numeric.model.honeycomb import honeycomb_model
from numeric.model.random_model import gap_midpoint, random_model
from numeric.verify.eq7 import eq7

SMALL_ETA = 1e-6          # relative to each element's max over k: Eq. (7) is the small-η limit; at η ~ 1e-4 eV the derived
                          # differs by ≤ 1.5e-8 (per Λ^{ab}; at K the honeycomb's Λ^{AB} skew term is 7e-3 of its Λ^{AA})
ROUNDING = 1e-10          # relative: additivity of the input-resolved pieces, zero pieces, helper vs numeric.response.fast
REFEREE = 1e-4            # relative: referee vs generated at η ~ 1e-4 eV (the q₀ step shrinks with η_p; observed ≤ 4e-6)
EXTRA_FLOOR = 1e-3        # an "extra term" must exceed this fraction of max|λ^SJ| to count as present
RECORDED = 0.02           # relative tolerance on the recorded sizes of the extra terms (deterministic, analytic kernels)
NK = 12
OMEGA = 0.17              # eV, below every gap of the models used
ETA_SCALE = 1e-4          # eV
ETA_P = 1.0 * ETA_SCALE
ETA_BANDS = (0.5 * ETA_SCALE, 2.0 * ETA_SCALE, 1.2 * ETA_SCALE)   # paper's η_n per band (ascending), all different
SS_FACTOR = -0.5          # derived λ^SS / Eq. 7 skew term; absorbs the constants of readings 2 and 4
SJ_FACTOR = -0.25j        # derived Berry-connection part of λ^SJ / Eq. 7 side-jump term with complex T; absorbs reading 3's

K_HONEYCOMB = tuple(honeycomb_model().lattice.point("K"))
CASES = [
    ("honeycomb", K_HONEYCOMB),
    ("honeycomb", (0.31, 0.17)),
    ("honeycomb_tprime", K_HONEYCOMB),
    ("honeycomb_tprime", (0.9, -0.3)),
    ("random2", (0.7, 0.2)),
    ("random2", (-0.31, 0.45)),
    ("random3", (0.7, 0.2)),
    ("random3", (-0.31, 0.45)),
]


@lru_cache(maxsize=None)
def setup(name):
    """(model, problem) on the NK×NK grid with μ mid-gap and band-distinct damping γ_n = η_n/2 (CONVENTIONS.md §1.1)."""
    model = {"honeycomb": lambda: honeycomb_model(),
             "honeycomb_tprime": lambda: honeycomb_model(tprime=0.3),
             "random2": lambda: random_model(2, 3),
             "random3": lambda: random_model(3, 0)}[name]()
    nb = model.hamiltonian(np.zeros((1, 2))).shape[-1]
    mu = gap_midpoint(model)
    k, w = uniform_grid(model.lattice, NK)
    rates = Rates(ETA_P, tuple(0.5 * e for e in ETA_BANDS[:nb]))
    return model, Problem(model, k, w, rates, mu, 0.0)


# --------------------------------------------------------------------------------------------------------------
# The derived side, k-resolved and resolved by q₀-dependent input
# --------------------------------------------------------------------------------------------------------------
class _Inputs(fast._Inputs):
    """numeric.response.fast's kernel inputs with selected q₀-derivative inputs zeroed (class attributes set by :func:`derived`).

    ``zero_dvertex``: "zero" drops every vertex q₀-derivative dV_T (the fields' own momenta, Bloch-phase k-derivatives);
    ``mode_v_k``, ``mode_v_kpq``: the band-basis velocities at k and k + q that carry ∂_{q₀} of states and energies at
    k + q₀ and k + q + q₀; "diag" keeps only ∂ε_n (band velocities), "offdiag" only the interband (Berry-connection) part.
    """

    zero_dvertex = "keep"
    mode_v_k = "keep"
    mode_v_kpq = "keep"

    def argument(self, kind, data):
        value = super().argument(kind, data)
        if kind == "dvertex" and self.zero_dvertex == "zero":
            return np.zeros_like(value)
        if kind == "velocity":
            mode = self.mode_v_k if tuple(data) == (0, 0) else self.mode_v_kpq
            eye = np.eye(value.shape[-1], dtype=bool)
            if mode == "zero":
                return np.zeros_like(value)
            if mode == "diag":
                return np.where(eye, value, 0.0)
            if mode == "offdiag":
                return np.where(eye, 0.0, value)
        return value


def derived(problem, omega, q, name, **zeroed):
    """The generated kernel ``name`` (theta1_skew_scattering / theta1_side_jump) as λ per k, (nk, nsub, nsub).

    The same bookkeeping as numeric.response.fast.lambda_generated (Θ = θ(ω, q) + θ_swap(−ω, −q), Λ-part = contract_eq4/8),
    without the k-sum; ``zeroed`` sets the attributes of :class:`_Inputs`.
    """
    inputs = type("Zeroed", (_Inputs,), zeroed)
    q = np.asarray(q, float)
    nsub = problem.model.nsub
    w = np.asarray(problem.weights, float)
    parts = []
    for om, qq, dom in ((omega, q, 1.0), (-omega, -q, -1.0)):
        inp = inputs(problem, qq, np.zeros(2))
        inp.omega = om
        gen = fast._kernels("eq4", inp.nb)                   # ∂_{q₀ℓ}∂_ω θ of the three pieces of θ¹'s split
        full = (2, inp.nk) + tuple(inp.ncomp[f] for f in fast.FIELD_ORDER)
        args = [inp.argument(kind, data) for _, kind, data in gen.ARGUMENTS["theta1_split"]]
        dqw = gen.theta1_split(*args)[fast.JOINT["theta1_split"].index(name)]
        parts.append(np.einsum("lkuwa,k->klauw", np.broadcast_to(dqw, full), w) * dom)
    return np.stack([contract_eq4(p + np.swapaxes(m, 2, 3), nsub) / 8 for p, m in zip(*parts)])


# Input-resolved pieces of λ^SJ, by which q₀-dependence ∂_{q₀} meets: the states |n, k+q₀⟩ (the paper's A), the energies
# ε_n(k+q₀), the intermediate states and energies at k+q+q₀, and the rest, the vertices' own q₀-dependence.
SIDE_JUMP_PIECES = {
    "berry_connection": dict(zero_dvertex="zero", mode_v_k="offdiag", mode_v_kpq="zero"),
    "band_velocity": dict(zero_dvertex="zero", mode_v_k="diag", mode_v_kpq="zero"),
    "intermediate_kpq": dict(zero_dvertex="zero", mode_v_k="zero"),
    "vertices": None,
}


@lru_cache(maxsize=None)
def _derived_case(name, q, kernel, zeroed):
    return derived(setup(name)[1], OMEGA, q, kernel, **dict(zeroed))


def case(name, q, kernel, **zeroed):
    """:func:`derived` for a case of this module at ω = OMEGA, cached (several tests share the expensive N = 3 kernels)."""
    return _derived_case(name, tuple(q), kernel, tuple(sorted(zeroed.items())))


def side_jump_pieces(name, q):
    total = case(name, q, "theta1_side_jump")
    pieces = {n: case(name, q, "theta1_side_jump", **z) for n, z in SIDE_JUMP_PIECES.items() if z}
    pieces["vertices"] = total - case(name, q, "theta1_side_jump", zero_dvertex="zero")
    return total, pieces


def typed(name, q, **readings):
    model, pb = setup(name)
    eta = tuple(2 * g for g in pb.rates.electron)
    out = eq7(model, pb.k, OMEGA, np.asarray(q, float), pb.rates.phonon, eta, pb.mu, **readings)
    return {n: v * np.asarray(pb.weights)[:, None, None] for n, v in out.items()}        # ∫dk → (1/N_k) Σ_k


def rel(a, b):
    return float(np.abs(a - b).max() / np.abs(b).max())


def assert_each_element(derived_k, typed_k, factor, what):
    """derived = factor × typed at every k, for each element Λ^{ab} against its own size (max over k)."""
    nsub = typed_k.shape[-1]
    for a in range(nsub):
        for b in range(nsub):
            e = typed_k[:, a, b]
            assert np.abs(e).max() > 0, f"{what}: Λ^{a}{b} vanishes"
            np.testing.assert_allclose(derived_k[:, a, b], factor * e, rtol=0, atol=SMALL_ETA * np.abs(e).max(),
                                       err_msg=f"{what}, Λ^{a}{b}")


# --------------------------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------------------------
def test_helper_is_numeric_fast_and_the_referee():
    """The k-resolved helper sums to numeric.response.fast.lambda_generated's λ^SS, λ^SJ, and those equal the referee's."""
    for name, q in (("honeycomb_tprime", (0.9, -0.3)), ("random3", (0.7, 0.2))):
        model, pb = setup(name)
        g = lambda_generated(pb, OMEGA, np.asarray(q))
        ss = case(name, q, "theta1_skew_scattering").sum(0)
        sj = case(name, q, "theta1_side_jump").sum(0)
        assert rel(ss, g["skew_scattering"]) < ROUNDING, name
        assert rel(sj, g["side_jump"]) < ROUNDING, name
        small = Problem(model, *uniform_grid(model.lattice, 6), pb.rates, pb.mu, 0.0)
        r, g = lambda_matrix(small, OMEGA, np.asarray(q)), lambda_generated(small, OMEGA, np.asarray(q))
        assert rel(g["skew_scattering"], r.skew_scattering) < REFEREE, name
        assert rel(g["side_jump"], r.side_jump) < REFEREE, name


@pytest.mark.parametrize("name, q", CASES)
def test_skew_scattering_is_eq7(name, q):
    """Derived λ^SS = −½ × Eq. 7's skew term, per k and for the full Λ^{ab}; the vertices' q₀-dependence adds nothing."""
    d = case(name, q, "theta1_skew_scattering")
    e = typed(name, q)["skew"]
    assert np.abs(d.sum(0)).max() > 0
    assert_each_element(d, e, SS_FACTOR, f"{name}, q={q}")
    no_dv = case(name, q, "theta1_skew_scattering", zero_dvertex="zero")
    assert rel(no_dv, d) < ROUNDING


@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="Eq. 7's '− (ω, q → −ω, −q)' read literally (no index swap) is odd in ω while "
                   "the derivation (and Eq. 4) is even: derived/Eq. 7 then depends on q (CONVENTIONS.md §5)")
def test_skew_scattering_with_the_literal_parity():
    ratios = []
    for q in (K_HONEYCOMB, (0.31, 0.17), (0.9, -0.3)):
        d = case("honeycomb_tprime", q, "theta1_skew_scattering").sum(0)
        e = typed("honeycomb_tprime", q, parity="printed")["skew"].sum(0)
        ratios.append(d[0, 0] / e[0, 0])
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-3)


@pytest.mark.parametrize("name, q", CASES)
def test_side_jump_berry_connection_part_is_eq7(name, q):
    """∂_{q₀} on the states |n, k+q₀⟩ = −(i/4) × Eq. 7's side jump with complex T, per k; real part = ¼ × Eq. 7 as printed."""
    d = case(name, q, "theta1_side_jump", **SIDE_JUMP_PIECES["berry_connection"])
    e = typed(name, q)
    assert_each_element(d, e["side_jump_complex"], SJ_FACTOR, f"{name}, q={q}")
    printed = e["side_jump"].sum(0)          # implied by the per-k check above; states the printed form's factor
    np.testing.assert_allclose(d.sum(0).real, 0.25 * printed.real, rtol=0, atol=SMALL_ETA * np.abs(printed).max())


@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="the printed δ^{n3}_{n1} (n3 the Berry-connection band) is not what the derivation "
                   "gives: the population of n1 is fed through the intermediate band n2, δ^{n2}_{n1}")
def test_side_jump_with_the_printed_delta_index():
    q = (0.7, 0.2)
    d = case("random3", q, "theta1_side_jump", **SIDE_JUMP_PIECES["berry_connection"]).sum(0)
    e = typed("random3", q, delta_index="n3")["side_jump_complex"].sum(0)
    np.testing.assert_allclose(d, SJ_FACTOR * e, rtol=0, atol=1e-3 * np.abs(e).max())


# Measured with this module's settings (regenerate: print these ratios from `side_jump_pieces` for each case):
# max|λ^SJ|/max|λ^SS|, then max|piece|/max|λ^SJ| over Λ^{ab} for the Berry-connection part (Eq. 7's), the intermediate
# states and energies at k+q+q₀, and the vertices' q₀-dependence. Pieces can exceed 1: they partly cancel.
EXTRA_TERMS = {
    ("honeycomb", K_HONEYCOMB): (0.0134, 0.352, 0.0, 0.999),
    ("honeycomb", (0.31, 0.17)): (0.225, 1.3, 0.0082, 0.688),
    ("honeycomb_tprime", K_HONEYCOMB): (0.0124, 0.236, 0.0, 0.867),
    ("honeycomb_tprime", (0.9, -0.3)): (0.124, 2.14, 0.145, 1.38),
    ("random2", (0.7, 0.2)): (34.4, 0.0316, 0.0145, 1.03),
    ("random2", (-0.31, 0.45)): (36, 0.0165, 0.0114, 1.02),
    ("random3", (0.7, 0.2)): (9.43, 0.369, 0.119, 1.22),
    ("random3", (-0.31, 0.45)): (12.4, 0.336, 0.158, 1.29),
}


@pytest.mark.parametrize("name, q", CASES)
def test_side_jump_has_terms_eq7_lacks(name, q):
    """λ^SJ = Berry-connection part (Eq. 7) + band-velocity part (= 0) + k+q+q₀ intermediates + vertex q₀-dependence.

    The k+q+q₀ part vanishes at q = K on the honeycomb model (with and without t′); elsewhere both extra parts are present.
    """
    total, pieces = side_jump_pieces(name, q)
    scale = np.abs(total.sum(0)).max()
    assert np.abs(sum(pieces.values()) - total).max() <= ROUNDING * np.abs(total).max()
    assert np.abs(pieces["band_velocity"].sum(0)).max() <= ROUNDING * scale
    ss = np.abs(case(name, q, "theta1_skew_scattering").sum(0)).max()
    measured = [scale / ss] + [np.abs(pieces[n].sum(0)).max() / scale
                               for n in ("berry_connection", "intermediate_kpq", "vertices")]
    for label, value, recorded in zip(("SJ/SS", "berry_connection", "intermediate_kpq", "vertices"), measured,
                                      EXTRA_TERMS[(name, q)]):
        if recorded == 0.0:
            assert value <= ROUNDING, f"{label} at {name}, q={q}: {value:.3g}"
        else:
            assert value > EXTRA_FLOOR and abs(value / recorded - 1) < RECORDED, f"{label} at {name}, q={q}: {value:.4g}"


@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="the derived side jump has terms Eq. 7 lacks (vertex q0-dependence, intermediate "
                   "states at k+q+q0): Eq. 7 is only its Berry-connection part")
@pytest.mark.parametrize("name, q", [("honeycomb_tprime", (0.9, -0.3)), ("random3", (0.7, 0.2))])
def test_side_jump_total_is_eq7(name, q):
    d = case(name, q, "theta1_side_jump").sum(0)
    e = typed(name, q)["side_jump_complex"].sum(0)
    np.testing.assert_allclose(d, SJ_FACTOR * e, rtol=0, atol=1e-2 * np.abs(e).max())


# Measured max|λ^SS(II) − λ^SS(I)|/max|λ^SS(I)| on the referee, nk = 6, this module's damping (regenerate as in the test).
CONVENTION_SHIFT = {("honeycomb_tprime", (0.31, 0.17)): 0.0086, ("random3", (0.7, 0.2)): 13.8}


@pytest.mark.parametrize("name, q", list(CONVENTION_SHIFT))
def test_the_split_belongs_to_bloch_convention_I(name, q):
    """Λ and λ^NA do not depend on the Bloch convention (CONVENTIONS.md §4); the split λ^SS/λ^SJ does.

    In convention I (orbital positions in the Bloch phase) the current vertex's own q₀-dependence is symmetric in ℓk and
    drops out of λ^SS, which is then Eq. 7's skew term exactly (above). In convention II (cell positions) the
    parallel-transport states |n, k+q₀⟩ and the current's phase factors differ, and the same definition moves weight
    between λ^SS and λ^SJ. So Eq. 7's two terms are the convention-I split.
    """
    model, pb = setup(name)
    k, w = uniform_grid(model.lattice, 6)
    r = {b: lambda_matrix(Problem(model, k, w, pb.rates, pb.mu, 0.0, True, b), OMEGA, np.asarray(q)) for b in ("I", "II")}
    assert rel(r["II"].nonadiabatic, r["I"].nonadiabatic) < REFEREE
    shift = rel(r["II"].skew_scattering, r["I"].skew_scattering)
    assert abs(shift / CONVENTION_SHIFT[(name, q)] - 1) < 0.1, f"{name}, q={q}: {shift:.3g}"


SURVIVES = 1e-3               # max|side jump|/max|skew term| far from zero (measured 4.8e-3 at NK = 12; V6, §1.2)


def test_eq7_side_jump_survives_particle_hole_symmetry():
    """The paper says its side jump needs broken particle–hole symmetry (two bands). Eq. (7)'s own side-jump term, typed
    with the readings above, does not vanish at t′ = 0, η_c = η_v on the honeycomb model at K (nor does the derived λ^SJ,
    CONVENTIONS.md §1.2, V6). Measured max|side jump|/max|skew term| = 4.8e-3 (NK = 12), 6.9e-3 (nk = 24; the K ↔ K′
    integrand is sharply peaked, so the ratio is not grid-converged, but it is far from zero; on the lattice V6 holds
    only in the Dirac limit, CONVENTIONS.md §1.2)."""
    model, pb = setup("honeycomb")
    e = eq7(model, pb.k, OMEGA, np.asarray(K_HONEYCOMB), ETA_P, (ETA_P, ETA_P), pb.mu)
    skew, side = np.abs(e["skew"].sum(0)).max(), np.abs(e["side_jump"].sum(0)).max()
    assert side > SURVIVES * skew, f"{side / skew:.3g}"
