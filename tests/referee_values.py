"""Independent values for the tests: the referee (numeric/response/direct.py) on the grid the scan engine reports values on
(the Γ-centred nk grid), assembled here without numeric/apps/scan.py or the generated kernels; the top phonon branch's
energy at a point."""

import numpy as np

from numeric.model.brillouin import uniform_grid
from numeric.response.damping import rates_from_paper
from numeric.response.direct import Problem, lambda_matrix
from numeric.model.honeycomb import honeycomb_model
from numeric.response.moment import mode_moment, to_nuclear_magnetons
from numeric.model.phonons import Phonons, saito_graphene


def omega_top(point="K"):
    """ħω (eV) of the top phonon branch at a high-symmetry point of the paper's phonons (Saito force constants)."""
    lattice = honeycomb_model().lattice
    return float(Phonons(lattice, saito_graphene()).energies(lattice.point(point))[-1])


def referee_lambda(q, eta=(0.04, 0.04, 0.04), nk=6, branch=3):
    """Λ (total) at the branch's frequency on the Γ-centred nk grid; with the phonons' (energies, vectors)."""
    model = honeycomb_model()
    ph = Phonons(model.lattice, saito_graphene())
    k, w = uniform_grid(model.lattice, nk)
    q = np.asarray(q, float)
    energies, vectors = ph.modes(q)
    Lam = lambda_matrix(Problem(model, k, w, rates_from_paper(*eta)), energies[branch], q, split=False).Lambda
    return Lam, energies, vectors, ph


def referee_moment(q, eta=(0.04, 0.04, 0.04), nk=6, branch=3):
    """The moment (μ_N per phonon) of a branch from :func:`referee_lambda`."""
    Lam, _, vectors, ph = referee_lambda(q, eta, nk, branch)
    return to_nuclear_magnetons(mode_moment(Lam, vectors[:, branch], ph.force_constants.masses).real)
