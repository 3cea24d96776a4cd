"""The analytic limits as `phonon-moment limits` measures them (numeric/verify/limits.py): V5 on the referee's total against the
generated λ^A, and the V7 exponent of the adiabatic correction (CONVENTIONS.md §10).

The paper says the correction to λ^A starts at ω/ε₀; Eq. (4) is even, Λ^{ab}(−ω, −q) = Λ^{ba}(ω, q), so at q = Γ the
diagonal Λ^{aa} is even in ω and the correction is O(ω²). The measured exponent decides (CONVENTIONS.md §8).
"""

import numpy as np

from numeric.cli import main
from numeric.verify.limits import V5_SLOPE, V7_SLOPE, v5_exponent, v7_exponent


def test_V7_adiabatic_correction_is_quadratic_not_linear():
    r = v7_exponent(nk=12)
    assert abs(r["slope"] - V7_SLOPE[0]) < V7_SLOPE[1], r
    # local slopes approach 2 from above as ω → 0 (next term ω⁴)
    local = np.diff(np.log(np.abs(r["correction_AA"]))) / np.diff(np.log(r["omegas"]))
    assert np.all(np.diff(local) < 0) or np.all(np.abs(local - 2) < 0.1), local


def test_V5_referee_total_minus_generated_adiabatic_scales_as_eta_n():
    r = v5_exponent(nk=12, eta_n=(1e-2, 1e-3, 1e-4, 1e-5))
    assert abs(r["slope"] - V5_SLOPE[0]) < V5_SLOPE[1], r


def test_limits_command_prints_a_table(capsys):
    assert main(["limits", "--quick", "--nk", "8"]) == 0
    out = capsys.readouterr().out
    assert "V5" in out and "V7" in out and "V9" in out
    assert out.count("PASS") + out.count("FAIL") >= 4
