"""V9 for ``phonon-moment limits``: the derived K-point form (paper Eq. 10, generated/dirac_k.py) against the lattice
skew-scattering integrand at q = K in the Dirac limit Δ/t → 0 (tests/test_dirac.py asserts the same measurement).

The limit is taken at fixed ω/Δ, p·v_f/Δ and η/Δ by scaling Δ, ω, p and the η's by s at fixed t; the lattice integrand
is numeric.response.fast's "skew_scattering" on a single k-point K_τ + p of unit weight. The relative error must fall as
(Δ/t)¹: the fitted exponent is reported.
"""

from __future__ import annotations

import numpy as np

from ..response.damping import rates_from_paper
from ..response.problem import Problem
from ..response.fast import lambda_generated
from ..model.honeycomb import HoneycombParameters, honeycomb_model

OMEGA_OVER_DELTA = 0.5
P_VF_OVER_DELTA = 0.6
ETA_OVER_DELTA = (1e-5, 2e-5, 4e-6)      # (η_p, η_c, η_v)/Δ
SCALES = (0.08, 0.04, 0.02)              # Δ in eV at t = −2.8 eV
RATE = (1.0, 0.05)                       # expected exponent and tolerance


def relative_errors(valley: str = "K", angle: float = 0.3) -> list:
    """Relative error of the lattice integrand against the derived Dirac form at each scale of :data:`SCALES`."""
    from generated import dirac_k

    par = HoneycombParameters()
    v_f = 1.5 * abs(par.t) * par.a0
    errs = []
    for s in SCALES:
        delta = s
        omega = OMEGA_OVER_DELTA * delta
        eta = tuple(r * delta for r in ETA_OVER_DELTA)
        rates = rates_from_paper(*eta)
        model = honeycomb_model(delta=delta)
        pmag = P_VF_OVER_DELTA * delta / v_f
        k = (model.lattice.point(valley) + pmag * np.array([np.cos(angle), np.sin(angle)]))[None, :]
        lattice = lambda_generated(Problem(model, k, np.ones(1), rates), omega, model.lattice.point("K"))
        derived = getattr(dirac_k, f"skew_scattering_{valley}")(omega, eta[0], np.asarray(rates.electron),
                                                                 np.hypot(delta, v_f * pmag), delta, par.t, par.beta)
        derived = np.broadcast_to(np.array(derived, dtype=complex), (4,)).reshape(2, 2)
        errs.append(float(np.abs(lattice["skew_scattering"] - derived).max() / np.abs(derived).max()))
    return errs


def dirac_limit() -> list:
    """Rows of the limits table, one per valley pairing."""
    rows = []
    for valley in ("K", "Kp"):
        errs = relative_errors(valley)
        slope = float(np.polyfit(np.log(SCALES), np.log(errs), 1)[0])
        rows.append({"check": f"V9 lattice skew integrand → Eq. 10 (derived), k near {valley}: error ∝ (Δ/t)^p, p",
                     "measured": f"{slope:.4f}", "expected": "1", "passed": abs(slope - RATE[0]) < RATE[1],
                     "note": f"relative errors {', '.join(f'{e:.2e}' for e in errs)} at Δ = {SCALES} eV"})
    return rows
