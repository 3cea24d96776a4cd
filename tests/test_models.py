"""Model files (numeric/model/model_file.py; README "Your own model"): the shipped paper file equals the built-in model,
every shipped file loads and runs, and every bad file gets an error that names the key and the entry."""

import json

import numpy as np
import pytest

import numeric
from numeric.cli import main
from numeric.model.model_file import SHIPPED, parse_model, read_model_file, shipped_models

pytestmark = pytest.mark.filterwarnings("ignore::numeric.api.AccuracyWarning")   # small grids on purpose

ROUNDING = 1e-12             # relative: the file's bonds are summed in another order than the built-in model's
ROUNDING_FD = 1e-8           # the referee's q₀ finite difference amplifies that rounding (step 2e-4 1/Å)
NK = 9
PAPER = (SHIPPED / "graphene-gapped.toml").read_text()


def json_of(capsys, *argv):
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("method", ["generated", "direct"])
def test_shipped_paper_file_gives_the_default_json(capsys, method):
    argv = ["lambda", "--q", "0.31", "0.17", "--nk", str(NK), "--method", method, "--json"]
    default = json_of(capsys, *argv)
    from_file = json_of(capsys, *argv, "--model", "graphene-gapped")
    assert list(default) == list(from_file)
    for key, value in default.items():
        if key in ("seconds", "units", "theta_at_zero_q0", "fd_error_Lambda"):
            continue
        if isinstance(value, (str, bool, dict)) or value is None or key == "warnings":
            assert value == from_file[key], key
        else:
            a, b = np.array(value, float), np.array(from_file[key], float)
            tol = ROUNDING if method == "generated" else ROUNDING_FD
            np.testing.assert_allclose(b, a, rtol=0, atol=tol * max(np.abs(a).max(), 1.0), err_msg=key)
    assert default["ion_charge"] == from_file["ion_charge"] == 6.0


def test_load_model_gives_the_built_in_model_and_phonons():
    model, phonons = numeric.load_model("graphene-gapped")
    paper = numeric.honeycomb_model()
    k = np.random.default_rng(7).uniform(-3, 3, size=(40, 2))
    np.testing.assert_allclose(model.hamiltonian(k), paper.hamiltonian(k), atol=ROUNDING * 3)
    np.testing.assert_allclose(phonons.dynamical_matrix(k), numeric.graphene_phonons(paper).dynamical_matrix(k),
                               atol=ROUNDING)
    for label in ("G", "K", "M", "Kp"):
        np.testing.assert_allclose(model.lattice.point(label), paper.lattice.point(label), atol=ROUNDING)
    assert numeric.load_model(SHIPPED / "graphene-gapped.toml")[0].describe() == model.describe()


def test_models_command_lists_every_shipped_file(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert set(shipped_models()) >= {"graphene-gapped"}
    for name in shipped_models():
        assert name in out


@pytest.mark.parametrize("name", sorted(shipped_models()))
def test_every_shipped_file_has_a_source_and_runs(name):
    f = read_model_file(name)
    assert f.source, f"{name} must cite where its numbers come from"
    r = numeric.moment(f.model, f.phonons, "K", nk=6, resonances=False)
    assert np.isfinite(r.total) and np.shape(r.Lambda) == (f.model.natoms,) * 2


def test_other_commands_take_a_model_file(tmp_path, capsys):
    assert main(["bands", "--model", "graphene-gapped", "--npath", "3", "--nmap", "5", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "electron_bands.npz").exists()
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        main(["lambda", "--point", "K", "--model", "graphene-gapped", "--delta", "0.5"])
    assert exc.value.code == 2 and "--delta" in capsys.readouterr().err


def edited(old, new, count=1):
    """The paper's file with ``old`` replaced by ``new`` (``count`` times)."""
    assert PAPER.count(old) >= count, old
    return PAPER.replace(old, new, count)


def without(table):
    """The paper's file without any [table] / [[table]] block."""
    blocks = PAPER.split("\n\n")
    return "\n\n".join(b for b in blocks if f"\n[{table}]" not in "\n" + b and f"\n[[{table}]]" not in "\n" + b)


BAD = {
    "unknown atom": (edited('atom = "C2"', 'atom = "C3"'), r"\[\[orbitals\]\] entry 2 \(B\): atom 'C3'"),
    "unknown orbital": (edited('to = "B"', 'to = "X"'), r"\[\[hoppings\]\] entry 1 .*to = 'X' is not an orbital"),
    "hopping twice": (edited("cell = [1, 0]", "cell = [0, 0]"), r"\[\[hoppings\]\] entry 2 .*given twice"),
    "hopping and its conjugate": (edited('to = "B"\nfrom = "A"\ncell = [1, 0]', 'to = "A"\nfrom = "B"\ncell = [0, 0]'),
                                  r"\[\[hoppings\]\] entry 2 .*Hermitian conjugate of \[\[hoppings\]\] entry 1"),
    "hopping to itself": (edited('to = "B"\nfrom = "A"\ncell = [0, 0]', 'to = "A"\nfrom = "A"\ncell = [0, 0]'),
                          r"\[\[hoppings\]\] entry 1 .*on-site"),
    "two atoms at one place": (edited("position = [1.42, 0.0]", "position = [0.0, 0.0]"),
                               r"\[\[atoms\]\] entry 2 \(C2\): .*place of atom 'C1'"),
    "atoms one lattice vector apart": (edited("position = [1.42, 0.0]", "position = [2.13, 1.2297560733739028]"),
                                       r"\[\[atoms\]\] entry 2 \(C2\): .*place of atom 'C1'"),
    "zero mass": (edited("mass = 12.011", "mass = 0"), r"\[\[atoms\]\] entry 1 \(C1\): mass must be > 0"),
    "negative mass": (edited("mass = 12.011", "mass = -1.0", 2), r"\[\[atoms\]\] entry 1 \(C1\): mass must be > 0"),
    "missing lattice": (without("lattice"), r"\[lattice\]: missing table"),
    "missing atoms": (without("atoms"), r"\[\[atoms\]\]: missing table"),
    "missing orbitals": (without("orbitals"), r"\[\[orbitals\]\]: missing table"),
    "missing hoppings": (without("hoppings"), r"\[\[hoppings\]\]: missing table"),
    "missing phonons": (without("phonons"), r"\[phonons\]: missing table"),
    "nan onsite": (edited("onsite = 1.0", "onsite = nan"), r"\[\[orbitals\]\] entry 1 \(A\): onsite must be finite"),
    "inf hopping": (edited("t = -2.8", "t = [-2.8, inf]"), r"\[\[hoppings\]\] entry 1 .*t must be finite"),
    "nan position": (edited("position = [0.0, 0.0]", "position = [0.0, nan]"),
                     r"\[\[atoms\]\] entry 1 \(C1\): position must be finite"),
    "inf lattice": (edited("vectors = [[2.13,", "vectors = [[inf,"), r"\[lattice\]: vectors must be finite"),
    "nan shell": (edited("shells = [[22.78150812178179", "shells = [[nan"), r"\[phonons\] shell 1: .*finite"),
    "missing key": (edited("mass = 12.011\n", ""), r"\[\[atoms\]\] entry 1 \(C1\): missing key\(s\) \['mass'\]"),
    "misspelt key": (edited("onsite = 1.0", "on_site = 1.0"), r"\[\[orbitals\]\] entry 1 \(A\): .*unknown key.*on_site"),
    "unstable phonons": (edited("shells = [[22.78150812178179", "shells = [[-22.78150812178179"),
                         r"\[phonons\]: unstable"),
    "floppy phonons": (edited("shells = [[22.78150812178179, 15.291697232428872], [5.492527985525473, "
                              "-2.0160074310508267],\n          [1.8724527223382292, -3.276792264091901]]",
                              "shells = [[22.78150812178179, 0.0]]"), r"\[phonons\]: floppy"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_file_error_names_the_key_and_the_entry(tmp_path, case):
    text, pattern = BAD[case]
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(numeric.ParameterError, match=pattern):
        numeric.load_model(path)


def test_bad_file_error_reaches_the_command_line(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(BAD["unknown atom"][0])
    with pytest.raises(SystemExit) as exc:
        main(["lambda", "--point", "K", "--model", str(path)])
    assert exc.value.code == 2 and "[[orbitals]] entry 2 (B)" in capsys.readouterr().err


def test_unknown_model_name_lists_the_shipped_ones():
    with pytest.raises(numeric.ParameterError, match="graphene-gapped"):
        numeric.load_model("no-such-model")


def test_non_hexagonal_lattice_names_only_gamma():
    text = edited("vectors = [[2.13, 1.2297560733739028], [2.13, -1.2297560733739028]]",
                  "vectors = [[2.84, 0.0], [0.0, 2.5]]")            # a rectangular cell: chains of bonds 1.42 Å along x
    text = text[:text.index("shells =")] + "shells = [[10.0, 5.0], [10.0, 5.0]]\n"
    import tomllib
    model = parse_model(tomllib.loads(text)).model
    assert set(model.lattice.points) == {"G"}
    with pytest.raises(numeric.ParameterError, match="point"):
        model.lattice.point("K")


# --- the shipped examples ---------------------------------------------------------------------------
HERMITIAN_ETA = (4e-3, 2e-3)     # eV: η_p of the Hermitian-limit comparison (electrons undamped)
Q_GENERIC = np.array([0.31, 0.17])
OMEGA = 0.19


def test_hbn_modes_at_K_are_chiral_and_the_paper_modes_are_not(capsys):
    """Unequal masses break inversion: the top mode at K carries angular momentum (Zhang & Niu, PRL 115, 115502);
    with equal masses C2T makes it vanish (CONVENTIONS.md §5)."""
    hbn = json_of(capsys, "lambda", "--point", "K", "--nk", "6", "--model", "hbn", "--json")
    paper = json_of(capsys, "lambda", "--point", "K", "--nk", "6", "--json")
    assert abs(hbn["angular_momentum"]) > 0.1, hbn["angular_momentum"]
    assert abs(paper["angular_momentum"]) < ROUNDING, paper["angular_momentum"]
    assert hbn["ion_charge"] == [5.0, 7.0] and hbn["ionic_muN"] != 0.0


def haldane_text(mass):
    text = (SHIPPED / "haldane.toml").read_text()
    return text.replace("onsite = 0.5 ", f"onsite = {mass} ").replace("onsite = -0.5 ", f"onsite = {-mass} ")


@pytest.mark.parametrize("mass,chern", [(0.5, -1), (-0.5, -1), (2.0, 0), (-2.0, 0)])
def test_haldane_chern_number(mass, chern):
    """|M| < 3√3 |t₂ sin φ| = 1.559 eV: the filled band has C = ±1 (Haldane 1988); beyond, 0. The lattice method
    against the Berry curvature's integral (numeric/model/bands.py, a different formula) on the shipped file."""
    import tomllib
    model = parse_model(tomllib.loads(haldane_text(mass))).model
    c = numeric.chern_number(model)
    assert abs(c - chern) < ROUNDING, c
    if mass == 0.5:
        from numeric.model.bands import band_data
        from numeric.model.brillouin import uniform_grid
        k, _ = uniform_grid(model.lattice, 60)
        area = abs(np.linalg.det(model.lattice.reciprocal))
        assert abs(band_data(model, k).berry_curvature()[:, 0].mean() * area / (2 * np.pi) - c) < 1e-6
    assert abs(numeric.chern_number(numeric.honeycomb_model())) < ROUNDING


@pytest.mark.parametrize("name,broken", [("graphene-gapped", False), ("haldane", True)])
def test_time_reversal_relates_q_and_minus_q_only_without_the_haldane_flux(name, broken):
    """Hermitian limit (η_p → 0, electrons undamped): Re[Λ(ω, q) − Λ(ω, −q)] vanishes ∝ η for the paper's model
    (CONVENTIONS.md §5) and stays finite for the Haldane model, whose complex t₂ breaks time reversal."""
    from numeric.response.damping import Rates
    from numeric.response.fast import lambda_generated
    from numeric.response.problem import uniform_problem
    model, _ = numeric.load_model(name)
    diffs = []
    for eta in HERMITIAN_ETA:
        pb = uniform_problem(model, 24, Rates(eta, (0.0, 0.0)))
        a = lambda_generated(pb, OMEGA, Q_GENERIC, split=False)["Lambda"]
        b = lambda_generated(pb, OMEGA, -Q_GENERIC, split=False)["Lambda"]
        diffs.append(np.abs((a - b).real).max() / np.abs(a).max())
    if broken:
        assert diffs[1] > 0.1 and abs(diffs[1] / diffs[0] - 1) < 0.01, diffs     # a constant, not ∝ η
    else:
        assert diffs[1] < 1e-5 and 0.4 < diffs[1] / diffs[0] < 0.6, diffs


@pytest.mark.parametrize("name,order", [("graphene-gapped", 6), ("hbn", 6), ("haldane", 3), ("kagome-breathing", 3)])
def test_zone_maps_use_only_the_symmetry_the_model_has(name, order):
    """The map's wedge: C3v for the honeycomb models, C3 when a flux breaks the mirrors (numeric/model/zone.py)."""
    from numeric.model.zone import symmetry_group
    model, phonons = numeric.load_model(name)
    assert len(symmetry_group(model, phonons)[0]) == order


def test_three_band_kagome_referee_equals_the_kernels():
    """Three atoms, three bands (N = 3 kernels) and broken time reversal: the fast path against the referee at K."""
    from numeric.response.damping import rates_from_paper
    from numeric.response.direct import lambda_matrix
    from numeric.response.fast import lambda_generated
    from numeric.response.problem import uniform_problem
    model, phonons = numeric.load_model("kagome-breathing")
    pb = uniform_problem(model, 6, rates_from_paper(0.04, 0.02, 0.03, model.nsub))
    q = model.lattice.point("K")
    omega = float(phonons.energies(q)[-1])
    ref, gen = lambda_matrix(pb, omega, q), lambda_generated(pb, omega, q)
    assert ref.Lambda.shape == (3, 3)
    np.testing.assert_allclose(gen["Lambda"], ref.Lambda, rtol=0, atol=1e-6 * np.abs(ref.Lambda).max())
