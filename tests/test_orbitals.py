"""Several orbitals on one atom (numeric/model/tight_binding.py: ``atoms``, ``orbital_atom``): the vertices against a
frozen-phonon real-space supercell in which each orbital moves with its atom, a rigid displacement at Γ, and Λ by the
referee against the generated kernels (N = 3 bands, two atoms)."""

import numpy as np
import pytest

from numeric.model.lattice import Lattice, honeycomb
from numeric.model.tight_binding import Displacement, Hopping, TightBindingModel, displacement
from numeric.response.damping import rates_from_paper
from numeric.response.direct import lambda_matrix, uniform_problem
from numeric.response.fast import lambda_generated
from test_model import FD_STEP, FINITE_DIFF, assert_vertices_match_supercell, scale

OFFSET = np.array([0.12, -0.07])     # Å: the second orbital of atom 0 sits off the nucleus (a Wannier centre)
REFEREE = 1e-6                       # relative: the referee's q₀ finite difference (O(step⁴)) against the kernels
rng = np.random.default_rng(11)


def shared_atom_model(peierls="equilibrium", offset=OFFSET):
    """Honeycomb atoms; orbitals s (on atom 0), p (on atom 0, displaced by ``offset``), b (on atom 1). Bonds: s–b and
    p–b nearest neighbours, a complex s–p hopping inside atom 0 and a p–p second-neighbour hopping."""
    atoms = honeycomb(1.42)
    pos = np.array([atoms.positions[0], atoms.positions[0] + offset, atoms.positions[1]])
    orbitals = Lattice(atoms.vectors, pos, ("s", "p", "b"), dict(atoms.points))
    hops = []

    def bond(to, frm, R, t, beta):
        d = pos[to] - (np.array(R) @ atoms.vectors + pos[frm])
        length = float(np.linalg.norm(d))
        hops.extend([Hopping(to, frm, R, t, length, beta), Hopping(frm, to, (-R[0], -R[1]), np.conj(t), length, beta)])

    for R in ((0, 0), (1, 0), (0, 1)):
        bond(2, 0, R, -2.6, 3.1)
        bond(2, 1, R, 0.9 + 0.4j, 2.2)
    bond(1, 0, (0, 0), 0.5 + 0.3j, 7.0)             # inside one atom: β is ignored, the bond does not stretch
    for R in ((1, 0), (0, 1), (1, -1)):
        bond(1, 1, R, 0.15, 1.5)
    return TightBindingModel(orbitals, np.array([1.2, 3.0, -1.0]), tuple(hops), peierls, atoms=atoms,
                             orbital_atom=(0, 0, 1))


def rigidly_displaced(model, shift):
    """The model with atom a and its orbitals moved by shift[a] (natoms, 2)."""
    owner = np.array(model.orbital_atom)
    orb, at = model.lattice, model.atoms
    return TightBindingModel(Lattice(orb.vectors, orb.positions + shift[owner], orb.labels, dict(orb.points)),
                             model.onsite, model.hoppings, model.peierls,
                             atoms=Lattice(at.vectors, at.positions + shift, at.labels, dict(at.points)),
                             orbital_atom=model.orbital_atom)


@pytest.mark.parametrize("atom,axis", [(0, 0), (0, 1), (1, 0)])
def test_F_at_gamma_moves_every_orbital_of_the_atom(atom, axis):
    model = shared_atom_model()
    k = rng.uniform(-2, 2, size=(5, 2))
    shift = np.zeros((2, 2))
    shift[atom, axis] = FD_STEP
    fd = (rigidly_displaced(model, shift).hamiltonian(k, bloch="II")
          - rigidly_displaced(model, -shift).hamiltonian(k, bloch="II")) / (2 * FD_STEP)
    F = model.vertex([displacement([0, 0], atom, axis, nsub=2)], k, bloch="II")
    assert F.shape == (5, 3, 3)
    np.testing.assert_allclose(F, fd, atol=FINITE_DIFF * scale(F), err_msg=f"atom={atom} axis={axis}")


@pytest.mark.parametrize("peierls", ["equilibrium", "displaced"])
@pytest.mark.parametrize("label", ["K", "M"])
def test_vertices_match_a_frozen_phonon_supercell_with_orbitals_moving_with_their_atom(label, peierls):
    """The supercell of tests/test_model.py, with u(orbital) = U_atom e^{iq·r_atom}: H, F, J and ∂J/∂u at K and M."""
    model = shared_atom_model(peierls)
    owner = np.array(model.orbital_atom)
    to_atom = model.atoms.positions[owner] - model.lattice.positions       # r_atom − r_orbital
    q = model.lattice.point(label)
    q0 = model.lattice.point("M" if label == "K" else "K")
    U = np.array([[0.3, -0.8], [0.5, 0.1j]])

    def frozen(eps):
        return lambda r, s: eps * U[owner[s]] * np.exp(1j * q @ (r + to_atom[s]))

    assert_vertices_match_supercell(model, q, q0, U, np.array([0.4, -0.9]), frozen, label)


def test_orbitals_on_the_nucleus_need_no_bond_length():
    """Two orbitals at the very same place (|d| = 0) of one atom: finite vertices, the bond neither stretches nor turns."""
    model = shared_atom_model(offset=np.zeros(2))
    k = rng.uniform(-2, 2, size=(4, 2))
    F = model.vertex([Displacement((0.3, -0.4), rng.normal(size=(2, 2)) + 0j)], k)
    assert np.all(np.isfinite(F))
    assert np.all(F[..., 0, 1] == 0) and np.all(F[..., 1, 0] == 0)     # the s–p bond is their only link


def test_referee_and_generated_kernels_agree_with_orbitals_sharing_an_atom():
    model = shared_atom_model()
    rates = rates_from_paper(0.04, 0.02, 0.03, model.nsub)
    pb = uniform_problem(model, 7, rates, mu=0.5)
    q, omega = np.array([0.31, 0.17]), 0.15
    ref = lambda_matrix(pb, omega, q)
    gen = lambda_generated(pb, omega, q)
    assert ref.Lambda.shape == (2, 2)
    for name, r in (("Lambda", ref.Lambda), ("current_route", ref.current_route), ("force_route", ref.force_route),
                    ("adiabatic", ref.adiabatic), ("nonadiabatic", ref.nonadiabatic)):
        np.testing.assert_allclose(gen[name], r, rtol=0, atol=REFEREE * np.abs(ref.Lambda).max(), err_msg=name)
