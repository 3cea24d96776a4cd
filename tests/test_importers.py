"""Importers (numeric/model/importers.py): each tested on a model built both ways — PythTB's own construction of the
Haldane model against ours, a Wannier90 _tb.dat written from our model and read back, our force constants written
through phonopy's API and read back."""

import sys

import numpy as np
import pytest

import numeric
from numeric.model.importers import read_tb_dat, write_tb_dat
from numeric.response.damping import rates_from_paper
from numeric.response.fast import lambda_generated
from numeric.response.problem import uniform_problem

pytestmark = pytest.mark.filterwarnings("ignore::numeric.api.AccuracyWarning")   # small grids on purpose

EXACT = 1e-12                # eV: the same Hamiltonian written two ways
DYNAMICAL = 1e-10            # relative: phonopy's dynamical matrix against ours (the bound)
LAMBDA = 1e-10               # relative: Λ of the two constructions (same k-grid, same kernels)
A0 = 1.42
rng = np.random.default_rng(5)


def same_lambda(m1, m2, phonons):
    """Λ of two models at K and a generic q on one grid, and its relative difference."""
    out = []
    for q in (m1.lattice.point("K"), np.array([0.31, 0.17])):
        omega = float(phonons.energies(q)[-1])
        L = [lambda_generated(uniform_problem(m, 6, rates_from_paper(0.04, 0.02, 0.03, m.nsub)), omega, q)["Lambda"]
             for m in (m1, m2)]
        out.append(np.abs(L[0] - L[1]).max() / np.abs(L[0]).max())
    return max(out)


def pythtb_haldane(delta, t, t2):
    """PythTB's own Haldane example (its documentation's haldane.py), with the lattice in Å (bond length A0)."""
    pythtb = pytest.importorskip("pythtb")
    a = np.sqrt(3.0) * A0
    lat = [[a, 0.0], [a / 2, a * np.sqrt(3.0) / 2]]
    tb = pythtb.tb_model(2, 2, lat, [[1 / 3, 1 / 3], [2 / 3, 2 / 3]])
    t2c = np.conj(t2)
    tb.set_onsite([-delta, delta])
    tb.set_hop(t, 0, 1, [0, 0])
    tb.set_hop(t, 1, 0, [1, 0])
    tb.set_hop(t, 1, 0, [0, 1])
    tb.set_hop(t2, 0, 0, [1, 0])
    tb.set_hop(t2, 1, 1, [1, -1])
    tb.set_hop(t2, 1, 1, [0, 1])
    tb.set_hop(t2c, 1, 1, [1, 0])
    tb.set_hop(t2c, 0, 0, [1, -1])
    tb.set_hop(t2c, 0, 0, [0, 1])
    return tb, np.array(lat)


def our_haldane(lat, delta, t, t2, beta):
    """The same model as a model file, written from its physics: sites A, B at (1/3, 1/3), (2/3, 2/3) of the cell."""
    import tomllib
    from numeric.model.model_file import parse_model
    A, B = np.array([1 / 3, 1 / 3]) @ lat, np.array([2 / 3, 2 / 3]) @ lat
    hop = lambda to, frm, cell, z: (f'[[hoppings]]\nto = "{to}"\nfrom = "{frm}"\ncell = {cell}\n'
                                    f"t = [{float(z.real)!r}, {float(z.imag)!r}]\nbeta = {beta}\n")
    text = (f"[lattice]\nvectors = {lat.tolist()}\n"
            f'[[atoms]]\nname = "a"\nposition = {A.tolist()}\nmass = 12.011\n'
            f'[[atoms]]\nname = "b"\nposition = {B.tolist()}\nmass = 12.011\n'
            f'[[orbitals]]\nname = "A"\natom = "a"\nonsite = {-delta}\n'
            f'[[orbitals]]\nname = "B"\natom = "b"\nonsite = {delta}\n'
            + hop("A", "B", [0, 0], complex(t)) + hop("B", "A", [1, 0], complex(t)) + hop("B", "A", [0, 1], complex(t))
            + hop("A", "A", [1, 0], t2) + hop("B", "B", [1, -1], t2) + hop("B", "B", [0, 1], t2)
            + hop("B", "B", [1, 0], np.conj(t2)) + hop("A", "A", [1, -1], np.conj(t2))
            + hop("A", "A", [0, 1], np.conj(t2))
            + "[phonons]\nshells = [[22.78150812178179, 15.291697232428872], [5.492527985525473, -2.0160074310508267],"
              " [1.8724527223382292, -3.276792264091901]]\n")
    f = parse_model(tomllib.loads(text))
    return f.model, f.phonons


def test_pythtb_haldane_equals_ours_in_bands_and_lambda():
    delta, t, t2 = 0.5, -2.8, 0.3 * np.exp(0.5j * np.pi)
    tb, lat = pythtb_haldane(delta, t, t2)
    imported = numeric.from_pythtb(tb, beta=3.37, atoms=[[1 / 3, 1 / 3] @ lat, [2 / 3, 2 / 3] @ lat])
    ours, phonons = our_haldane(lat, delta, t, t2, 3.37)
    k_red = rng.uniform(-1, 1, size=(12, 2))
    k = k_red @ ours.lattice.reciprocal
    pythtb_bands = np.array([tb.solve_one(kr) for kr in k_red])
    for m in (imported, ours):
        np.testing.assert_allclose(np.linalg.eigvalsh(m.hamiltonian(k)), pythtb_bands, atol=EXACT)
    np.testing.assert_allclose(imported.hamiltonian(k), ours.hamiltonian(k), atol=EXACT)
    assert abs(numeric.chern_number(imported) - numeric.chern_number(ours)) < EXACT
    assert same_lambda(imported, ours, phonons) < LAMBDA


def test_from_pythtb_refuses_what_is_not_a_pythtb_model():
    with pytest.raises(numeric.ParameterError, match=r"phonon-moment\[pythtb\]"):
        numeric.from_pythtb(object())


@pytest.mark.parametrize("name", ["kagome-breathing", "haldane"])
def test_wannier90_tb_dat_round_trip(tmp_path, name):
    """Our model → _tb.dat → read back: the same Hamiltonian, orbital centres, atoms and Λ."""
    model, phonons = numeric.load_model(name)
    beta = {h.beta for h in model.hoppings}
    assert len(beta) == 1                                   # _tb.dat carries no bond-length law: one β for all
    path = write_tb_dat(model, tmp_path / "model_tb.dat")
    back = read_tb_dat(path, beta=beta.pop(), atoms=model.atoms.positions)
    k = rng.uniform(-2, 2, size=(10, 2))
    np.testing.assert_allclose(back.hamiltonian(k), model.hamiltonian(k), atol=EXACT)
    np.testing.assert_allclose(back.lattice.positions, model.lattice.positions, atol=EXACT)
    assert back.orbital_atom == model.orbital_atom
    assert same_lambda(model, back, phonons) < LAMBDA


def test_tb_dat_orbital_far_from_every_atom_is_an_error(tmp_path):
    model, _ = numeric.load_model("haldane")
    path = write_tb_dat(model, tmp_path / "model_tb.dat")
    with pytest.raises(numeric.ParameterError, match="orbital 1"):
        read_tb_dat(path, atoms=[[0.0, 0.0]])


@pytest.mark.parametrize("name", ["graphene-gapped", "hbn", "kagome-breathing"])
def test_phonopy_round_trip_gives_our_dynamical_matrix(tmp_path, name):
    pytest.importorskip("phonopy")
    from numeric.model.importers import phonons_from_phonopy, write_phonopy
    model, phonons = numeric.load_model(name)
    path = write_phonopy(phonons, tmp_path / "phonopy_params.yaml")
    back = phonons_from_phonopy(model, path, symmetrize_fc=False)
    q = np.concatenate([rng.uniform(-2, 2, size=(8, 2)), [model.lattice.point(p) for p in ("G", "K", "M")]])
    D = phonons.dynamical_matrix(q)
    np.testing.assert_allclose(back.dynamical_matrix(q), D, rtol=0, atol=DYNAMICAL * np.abs(D).max())
    r0 = numeric.moment(model, phonons, "K", nk=6, resonances=False)
    r1 = numeric.moment(model, back, "K", nk=6, resonances=False, ion_charge=r0.ion_charge)
    assert abs(r1.omega - r0.omega) < 1e-9 and abs(abs(r1.angular_momentum) - abs(r0.angular_momentum)) < 1e-8


def test_phonopy_atoms_must_match_the_model(tmp_path):
    pytest.importorskip("phonopy")
    from numeric.model.importers import phonons_from_phonopy, write_phonopy
    model, phonons = numeric.load_model("graphene-gapped")
    path = write_phonopy(phonons, tmp_path / "phonopy_params.yaml")
    shifted, _ = numeric.load_model("hbn")                  # B–N bonds 1.446 Å: other atoms, other lattice
    with pytest.raises(numeric.ParameterError, match="primitive vectors"):
        phonons_from_phonopy(shifted, path)


def test_missing_phonopy_names_the_extra(tmp_path, monkeypatch):
    from numeric.model.importers import phonons_from_phonopy
    monkeypatch.setitem(sys.modules, "phonopy", None)
    model, _ = numeric.load_model("graphene-gapped")
    with pytest.raises(numeric.ParameterError, match=r"phonon-moment\[phonopy\]"):
        phonons_from_phonopy(model, tmp_path / "phonopy_params.yaml")
