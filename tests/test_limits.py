"""The analytic limits as `phonon-moment limits` measures them (numeric/verify/limits.py): V5 on the referee's total against the
generated λ^A, and the V7 exponent of the adiabatic correction (CONVENTIONS.md §10).

The paper says the correction to λ^A starts at ω/ε₀; Eq. (4) is even, Λ^{ab}(−ω, −q) = Λ^{ba}(ω, q), so at q = Γ the
diagonal Λ^{aa} is even in ω and the correction is O(ω²). The measured exponent decides (CONVENTIONS.md §8).

The command is run twice, ``--quick`` and in full (as a user runs it, nk = 24: ≈ 100 s of CPU, nearly all of it the two
L = 24 supercells of the V7 Born–Oppenheimer rows; the V6 and V11 Dirac-limit rows add ≈ 12 s together), and every row's verdict is
asserted by its label.
"""

import json

import numpy as np

from numeric.cli import main
from numeric.verify.limits import V5_ETA_N, V5_SLOPE, V7_SLOPE, v5_exponent, v7_exponent

V5_LOCAL = 1e-3          # measured exponent per decade of η_n − that of δ = η_n/(2η_p + η_n) (observed ≤ 1e-4)

QUICK_ROWS = [
    "V5 λ_direct − λ^A_gen ∝ (η_n/η_p)^p, p",
    "V5 finite limit as all η → 0 (Fig. 2f ratios)",
    "V7 λ(ω) − λ(0) ∝ ω^p at Γ, p",
    "V9 lattice skew integrand → Eq. 10 (derived), k near K: error ∝ (Δ/t)^p, p",
    "V9 lattice skew integrand → Eq. 10 (derived), k near Kp: error ∝ (Δ/t)^p, p",
]
FULL_ROWS = QUICK_ROWS[:3] + [
    "V7 λ(ω→0) vs supercell Born–Oppenheimer, rel. diff.",
    "V7 λ^A(ω→0) at K vs supercell modulated at K, rel. diff.",
    "V6 side jump/skew at K, t′ = 0, η_c = η_v: ∝ (Δ/t)^p as Δ/t → 0, p",
] + QUICK_ROWS[3:] + [
    "V11 λ^A(K) → adiabatic K-point form (derived, ∝ Δ^-2): λ^A ∝ Δ^p as Δ/t → 0, p",
]


def test_V7_adiabatic_correction_is_quadratic_not_linear():
    """The fitted exponent, and the exponent over each octave of ω (observed 1.985, 1.998, 2.003 at nk = 12: the ω⁴ term
    and the grid pull opposite ways, so they need not approach 2 monotonically), are 2."""
    r = v7_exponent(nk=12)
    assert abs(r["slope"] - V7_SLOPE[0]) < V7_SLOPE[1], r
    local = np.diff(np.log(np.abs(r["correction_AA"]))) / np.diff(np.log(r["omegas"]))
    np.testing.assert_allclose(local, V7_SLOPE[0], rtol=0, atol=V7_SLOPE[1])


def test_V5_referee_total_minus_generated_adiabatic_scales_as_eta_n():
    """The fitted exponent is 1, and each decade's exponent is that of the paper's δ = η_n/(2η_p + η_n) (Eq. 7 with
    η_c = η_v = η_n), which approaches 1 from below as η_n/η_p → 0."""
    r = v5_exponent(nk=12, eta_p=0.05, eta_n=V5_ETA_N)
    assert abs(r["slope"] - V5_SLOPE[0]) < V5_SLOPE[1], r
    eta = np.array(V5_ETA_N)
    delta = eta / (2 * 0.05 + eta)
    np.testing.assert_allclose(r["local_slopes"], np.diff(np.log(delta)) / np.diff(np.log(eta)), rtol=0, atol=V5_LOCAL)


def _table(capsys, *argv):
    """(rows as JSON, printed table) of `limits`; the command exits 0 whatever the verdicts."""
    assert main(["limits", *argv, "--json"]) == 0
    out = capsys.readouterr().out
    table, _, rows = out.partition("\n[")
    return json.loads("[" + rows), table


def _assert_every_row_passes(rows, table, labels):
    assert [r["check"] for r in rows] == labels
    lines = table.splitlines()
    for r in rows:
        assert r["passed"], r
        printed = [line for line in lines if line.startswith(r["check"])]
        assert len(printed) == 1 and printed[0].endswith("PASS"), printed


def test_limits_quick_table_every_row_passes(capsys):
    rows, table = _table(capsys, "--quick", "--nk", "8")
    _assert_every_row_passes(rows, table, QUICK_ROWS)


def test_limits_full_table_every_row_passes(capsys):
    """`phonon-moment limits` at its defaults (nk = 24), every row."""
    rows, table = _table(capsys)
    _assert_every_row_passes(rows, table, FULL_ROWS)
