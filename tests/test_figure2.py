"""``phonon-moment figure2`` end to end at reduced resolution (CONVENTIONS.md §11).

The run must write every panel with its data and a REPORT.md that decides every claim. Two of its numbers are checked
against evaluations that share nothing with numeric/apps/scan.py or the generated kernels: the moment at K in panel (b) and
the field-induced angular momentum of panel (h) at K, from the referee's Λ and the exact solution of the phonon
equation of motion in a small field (numeric/response/angular.py's ``modes_in_field``, no perturbation theory in B). The referee
sums the same uniform grid, so those comparisons use ``--no-resonances``; the default run (the force route's
resonances integrated analytically, numeric/response/resonance.py, checked in tests/test_resonance.py) must differ from it in
λ^A only.
"""

import json
from types import SimpleNamespace

import numpy as np
import pytest

from numeric.apps import figure2
from numeric.response.angular import gyroscopic_matrix, modes_in_field
from numeric.cli import main
from numeric.model.phonons import angular_momentum
from referee_values import referee_lambda, referee_moment

QUICK_NK = 8            # the --quick resolution (numeric/cli.py)
AGREE = 1e-7            # relative: generated vs referee on equal grids (V3 measures ≤ 1e-9)
FIELD_LINEAR = 2e-3     # relative: l(B) − l(0) over B against the first-order δl at B = 0.05 T


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """figure2 as the default run goes (every option at its default, resonances on, the full-size panel (a) mesh),
    at the --quick resolution set option by option; ``uniform_run`` goes through --quick itself."""
    out = tmp_path_factory.mktemp("figure2")
    assert main(["figure2", "--nk", str(QUICK_NK), "--nq", "6", "--npath", "3", "--nk-integrand", "12",
                 "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def uniform_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("figure2_uniform")
    assert main(["figure2", "--quick", "--no-resonances", "--out", str(out)]) == 0
    return out


def test_the_resonance_treatment_changes_only_the_adiabatic_part(run, uniform_run):
    with np.load(run / "panel_d.npz") as a, np.load(uniform_run / "panel_d.npz") as b:
        for part in ("nonadiabatic", "skew_scattering", "side_jump"):
            np.testing.assert_allclose(a[f"{part}_muN"], b[f"{part}_muN"], rtol=0, atol=1e-12)
        assert np.abs(a["adiabatic_muN"] - b["adiabatic_muN"]).max() > 1e-6 * np.abs(b["adiabatic_muN"]).max()


def test_every_panel_is_written_with_data_and_parameters(run):
    for stem in ("panel_a", "panel_b", "panel_c_integrand", "panel_d", "panel_e", "panel_f", "panel_g", "panel_h"):
        for ext in (".png", ".npz", ".json"):
            assert (run / f"{stem}{ext}").stat().st_size > 0, stem + ext
        meta = json.loads((run / f"{stem}.json").read_text())
        assert "provenance" in meta and meta["parameters"]["settings"]["nk"] == QUICK_NK
    assert (run / "panel_c.png").stat().st_size > 0
    with np.load(run / "panel_d.npz") as d:
        for part in ("total", "adiabatic", "nonadiabatic", "skew_scattering", "side_jump"):
            assert np.all(np.isfinite(d[f"{part}_muN"])) and np.all(d[f"{part}_error_muN"] >= 0)
        np.testing.assert_allclose(d["adiabatic_muN"] + d["nonadiabatic_muN"], d["total_muN"],
                                   atol=1e-12 * np.abs(d["total_muN"]).max())


def test_report_decides_every_claim_with_numbers(run):
    summary = json.loads((run / "summary.json").read_text())
    panels = [v["panel"] for v in summary["verdicts"]]
    for p in ("b", "c", "d", "e", "f", "e,f", "g", "h"):
        assert p in panels, p
    report = (run / "REPORT.md").read_text()
    assert report.count("| PASS |") + report.count("| FAIL |") == len(summary["verdicts"])
    assert set(summary["panel_error"]) == {"b", "c", "d", "e", "f", "g", "h"}
    # C3 is checked on directly evaluated points (not through the unfolding): it holds to rounding at any resolution
    c3 = [v for v in summary["verdicts"] if v["claim"] == "λ^NA is C3 symmetric"]
    assert len(c3) == 2 and all(v["passed"] for v in c3)


def test_panel_b_at_K_equals_the_referee(uniform_run):
    with np.load(uniform_run / "panel_b.npz") as d:
        q, total = d["q"], d["total_muN"]
    i = int(np.argmin(np.linalg.norm(q - q[len(q) // 3], axis=1)))          # G-K-M-G: K closes the first third
    expected = referee_moment(q[i], eta=(0.04, 0.04, 0.04), nk=QUICK_NK)
    assert abs(total[i] - expected) < AGREE * abs(expected)


def test_panel_h_field_induced_angular_momentum_equals_the_exact_field_solution(uniform_run):
    with np.load(uniform_run / "panel_h.npz") as d:
        q, dl = d["q"], d["dl_per_tesla"]
    i = int(np.argmax(np.abs(dl)))
    Lam, energies, vectors, ph = referee_lambda(q[i], eta=(0.02, 0.004, 0.02), nk=QUICK_NK)
    B = 0.05
    w, e = modes_in_field(energies, vectors, gyroscopic_matrix(Lam, ph.force_constants.masses, B))
    top = np.argmin(np.abs(w - energies[3]))
    exact = (angular_momentum(e)[top] - angular_momentum(vectors)[3]) / B
    assert abs(exact - dl[i]) < FIELD_LINEAR * abs(dl[i]), (exact, dl[i])


# -- the verdict logic on constructed inputs: each claim just inside and just outside its threshold ----------------------
BELOW, ABOVE = 0.99, 1.01      # factors on a threshold


def _verdict_inputs(skew_peak=1.0):
    """Inputs of ``figure2._decide`` on which every claim passes; ``skew_peak`` (1/Å) is where λ^NA and λ^SS peak.

    The path Γ–K–M–Γ has unit segments (ticks 0, 1, 2, 3); its third point sits at ``skew_peak``."""
    path = SimpleNamespace(distance=np.array([0.0, 0.5, skew_peak, 1.5, 2.0, 3.0]), ticks=np.arange(4.0),
                           labels=("Γ", "K", "M", "Γ"))
    peak_at = lambda i, top=1.0: np.where(np.arange(6) == i, top, 0.1 * top)
    P = {"adiabatic": peak_at(0), "nonadiabatic": peak_at(2), "skew_scattering": peak_at(2),
         "side_jump": peak_at(2, 1e-3)}
    ramp = np.linspace(0.1, 1.0, 12)
    M = {p: {"adiabatic": 100 * ramp, "nonadiabatic": (2.0 if p == "g" else 1.0) * ramp,
             "skew_scattering": ramp, "side_jump": (-1.0 if p == "f" else 1.0) * ramp} for p in "defg"}
    cscan = SimpleNamespace(moment={"nonadiabatic": np.ones((2, 3 * len(figure2.C3_PROBES)))})
    wedge_na = {p: (np.array([1.0, -1.0, 0.2]), np.full(3, 1e-3)) for p in "ef"}
    dl = np.geomspace(1.0, 100.0, 12)
    return dict(path=path, P=P, PE=P, M=M, ME=M, cscan=cscan, l0=np.zeros(12), dl=dl, generic=np.ones(12, bool),
                wedge_na=wedge_na)


def _passed(inputs, panel, claim):
    found = [v.passed for v in figure2._decide(**inputs) if v.panel == panel and v.claim == claim]
    assert len(found) == 1, (panel, claim)
    return found[0]


def test_every_claim_passes_on_the_constructed_inputs():
    verdicts = figure2._decide(**_verdict_inputs())
    assert len(verdicts) == 14 and all(v.passed for v in verdicts), [v for v in verdicts if not v.passed]


@pytest.mark.parametrize("factor, passed", [(BELOW, True), (ABOVE, False)])
@pytest.mark.parametrize("panel, claim", [("b", "λ^A peaks near Γ or K"), ("b", "λ^NA peaks near Γ or K"),
                                          ("c", "the skew scattering peaks at K")])
def test_a_peak_counts_as_near_K_within_the_window(panel, claim, factor, passed):
    inputs = _verdict_inputs(skew_peak=1.0 + 3.0 * figure2.PEAK_WINDOW * factor)         # K at 1, path length 3
    inputs["P"]["adiabatic"] = inputs["P"]["nonadiabatic"]
    assert _passed(inputs, panel, claim) is passed


@pytest.mark.parametrize("bound", [0, 1])
@pytest.mark.parametrize("factor", [BELOW, ABOVE])
def test_comparable_parts(bound, factor):
    inputs = _verdict_inputs()
    inputs["P"]["nonadiabatic"] = inputs["P"]["nonadiabatic"] * figure2.COMPARABLE[bound] * factor
    inside = factor == (ABOVE if bound == 0 else BELOW)
    assert _passed(inputs, "b", "λ^A and λ^NA comparable") is inside


@pytest.mark.parametrize("factor, passed", [(BELOW, True), (ABOVE, False)])
def test_side_jump_small(factor, passed):
    inputs = _verdict_inputs()
    inputs["P"]["side_jump"] = inputs["P"]["skew_scattering"] * figure2.SIDE_JUMP_SMALL * factor
    assert _passed(inputs, "c", "the side jump almost vanishes") is passed


@pytest.mark.parametrize("factor, passed", [(BELOW, False), (ABOVE, True)])
def test_adiabatic_dominant(factor, passed):
    inputs = _verdict_inputs()
    inputs["M"]["d"]["adiabatic"] = inputs["M"]["d"]["nonadiabatic"] * figure2.ADIABATIC_DOMINANT * factor
    assert _passed(inputs, "d", "adiabatic part an order of magnitude larger") is passed


@pytest.mark.parametrize("factor, passed", [(BELOW, True), (ABOVE, False)])
@pytest.mark.parametrize("panel", ["e", "f"])
def test_c3_symmetry_within_tolerance(panel, factor, passed):
    inputs = _verdict_inputs()
    probes = inputs["cscan"].moment["nonadiabatic"]
    probes[1 if panel == "f" else 0, 1] += figure2.C3_TOLERANCE * factor            # max|λ^NA| of the map is 1
    assert _passed(inputs, panel, "λ^NA is C3 symmetric") is passed


@pytest.mark.parametrize("factor, passed", [(BELOW, False), (ABOVE, True)])
@pytest.mark.parametrize("extremum", [0, 1])
def test_sign_change_needs_both_extrema_above_their_errors(extremum, factor, passed):
    inputs = _verdict_inputs()
    na, err = inputs["wedge_na"]["e"]
    err[extremum] = abs(na[extremum]) / (figure2.SIGN_CHANGE_SIGNAL * factor)
    assert _passed(inputs, "e", "λ^NA changes sign across the zone") is passed


def test_sign_change_needs_both_signs():
    inputs = _verdict_inputs()
    inputs["wedge_na"]["f"][0][1] = 0.5
    assert _passed(inputs, "f", "λ^NA changes sign across the zone") is False


@pytest.mark.parametrize("factor, passed", [(BELOW, True), (ABOVE, False)])
@pytest.mark.parametrize("part, claim", [("skew_scattering", "the skew part is what (e) and (f) share"),
                                         ("side_jump", "the side jump is their difference")])
def test_shared_and_opposite_parts(part, claim, factor, passed):
    inputs = _verdict_inputs()
    inputs["M"]["f"][part] = inputs["M"]["f"][part] + (-1 if part == "skew_scattering" else 1) * figure2.SHARED * factor
    assert _passed(inputs, "e,f", claim) is passed          # the larger max of the term stays 1


@pytest.mark.parametrize("factor, passed", [(BELOW, False), (ABOVE, True)])
@pytest.mark.parametrize("other", ["e", "f"])
def test_g_exceeds_e_and_f(other, factor, passed):
    inputs = _verdict_inputs()
    inputs["M"][other]["nonadiabatic"] = inputs["M"]["g"]["nonadiabatic"] / factor
    assert _passed(inputs, "g", "max|λ^NA| exceeds that of (e) and (f)") is passed


@pytest.mark.parametrize("factor, passed", [(BELOW, False), (ABOVE, True)])
def test_inhomogeneous_angular_momentum(factor, passed):
    inputs = _verdict_inputs()
    inputs["dl"] = np.geomspace(1.0, figure2.INHOMOGENEOUS * factor, 12)
    inputs["generic"][5] = False
    inputs["dl"][5] = 0.0                                  # a mirror-line zero, not counted
    assert _passed(inputs, "h", "the (field-induced) angular momentum is inhomogeneous") is passed
