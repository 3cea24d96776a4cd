"""N = 4 and 5 bands on the fast path: kernels derived on first use and cached outside the package (derive/cache.py,
CONVENTIONS.md §7.2), against the referee on random models and on a four-atom model file.

The first run derives eq4 for N = 4 (≈ 75 s) and N = 5 (≈ 3 min) into the user's cache folder; later runs load them."""

import numpy as np
import pytest

from numeric.model.random_model import gap_midpoint, random_model
from numeric.response.damping import rates_from_paper
from numeric.response.direct import lambda_matrix
from numeric.response.fast import lambda_generated
from numeric.response.problem import uniform_problem

pytestmark = pytest.mark.filterwarnings("ignore::numeric.api.AccuracyWarning")   # small grids on purpose

REFEREE = 1e-8           # relative to max|Λ|: the referee's q₀ finite difference (Richardson, O(step⁴)) against the kernels
NK = 5
A0 = 1.42


def agreement(model, omega, q, mu):
    pb = uniform_problem(model, NK, rates_from_paper(0.04, 0.02, 0.03, model.nsub), mu=mu)
    ref, gen = lambda_matrix(pb, omega, q), lambda_generated(pb, omega, q)
    scale = np.abs(ref.Lambda).max()
    return {name: np.abs(gen[name] - getattr(ref, name)).max() / scale
            for name in ("Lambda", "current_route", "force_route", "adiabatic", "nonadiabatic")}


@pytest.mark.parametrize("nbands,seed", [(4, 0), (5, 1)])
def test_random_model_kernels_equal_the_referee(nbands, seed):
    model = random_model(nbands, seed)
    errors = agreement(model, 0.07, np.array([0.3, -0.2]), gap_midpoint(model))
    assert max(errors.values()) < REFEREE, errors


def four_atom_text():
    """Gapped graphene in its rectangular four-atom cell (3a₀ × √3a₀), written as a model file: not hexagonal."""
    s3 = np.sqrt(3.0)
    vectors = np.array([[3 * A0, 0.0], [0.0, s3 * A0]])
    pos = np.array([[0, 0], [A0, 0], [1.5 * A0, s3 / 2 * A0], [2.5 * A0, s3 / 2 * A0]])
    sub = ("A", "B", "A", "B")
    text = f"[lattice]\nvectors = {vectors.tolist()}\n"
    for i, p in enumerate(pos):
        text += f'[[atoms]]\nname = "C{i}"\nposition = {p.tolist()}\nmass = 12.011\ncharge = 6\n'
        text += f'[[orbitals]]\nname = "o{i}"\natom = "C{i}"\nonsite = {1.0 if sub[i] == "A" else -1.0}\n'
    seen = set()
    for i in range(4):
        for j in range(4):
            for n1 in (-1, 0, 1):
                for n2 in (-1, 0, 1):
                    d = pos[i] - (np.array([n1, n2]) @ vectors + pos[j])
                    if abs(np.linalg.norm(d) - A0) < 1e-6 and (j, i, (-n1, -n2)) not in seen:
                        seen.add((i, j, (n1, n2)))
                        text += f'[[hoppings]]\nto = "o{i}"\nfrom = "o{j}"\ncell = [{n1}, {n2}]\nt = -2.8\nbeta = 3.37\n'
    return text + ("[phonons]\nshells = [[22.78150812178179, 15.291697232428872], [5.492527985525473, "
                   "-2.0160074310508267], [1.8724527223382292, -3.276792264091901]]\n")


def test_four_atom_model_file_kernels_equal_the_referee():
    import tomllib

    import numeric
    from numeric.model.model_file import parse_model
    f = parse_model(tomllib.loads(four_atom_text()))
    assert f.model.nsub == f.model.natoms == 4 and set(f.model.lattice.points) == {"G"}
    q = np.array([0.31, 0.17])
    omega = float(f.phonons.energies(q)[-1])
    errors = agreement(f.model, omega, q, 0.0)
    assert max(errors.values()) < REFEREE, errors
    r = numeric.moment(f.model, f.phonons, q, nk=NK, resonances=False)
    assert np.shape(r.Lambda) == (4, 4) and np.isfinite(r.total)
