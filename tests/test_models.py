"""Model files (numeric/model/model_file.py; README "Your own model"): the shipped paper file equals the built-in model,
every shipped file loads and runs, and every bad file gets an error that names the key and the entry."""

import json

import numpy as np
import pytest

import numeric
from numeric.cli import main
from numeric.model.model_file import SHIPPED, parse_model, read_model_file, shipped_models

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
        if isinstance(value, (str, bool, dict)) or value is None:
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
