"""Models from other codes: a PythTB model, a Wannier90 ``_tb.dat`` file, phonons from phonopy.

Each gives the toolkit's own objects (:class:`TightBindingModel`, :class:`Phonons`), so everything downstream (the referee,
the fast path, the scans) is unchanged. Units: the lattice and positions in Å, energies in eV (PythTB carries no units:
its numbers are read as Å and eV). What the other codes do not know is asked for: ``beta`` (the bond-length law of each
hopping, CONVENTIONS.md §2) and ``atoms`` (the ions the orbitals sit on). The optional extras install the codes:
``pip install "phonon-moment[pythtb]"``, ``"phonon-moment[phonopy]"`` (PythTB objects are read without importing PythTB).

Conventions: PythTB's ``set_hop(t, i, j, R)`` and Wannier90's ⟨i, 0|H|j, R⟩ are both our term t c†_i(0) c_j(R)
(``Hopping(to=i, frm=j, R)``), and both put orbital positions in the Bloch phase (our convention I, CONVENTIONS.md §4).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..validation import ParameterError
from .lattice import Lattice
from .phonons import ForceConstants, Phonons
from .tight_binding import Hopping, TightBindingModel

ORBITAL_ATOM_TOL = 0.5
"""Å: an orbital (or Wannier centre) farther than this from every atom (modulo lattice vectors) is an error."""
ATOM_MATCH_TOL = 1e-4
"""Å: phonopy's atoms must lie this close to the model's (modulo lattice vectors)."""
NEGLIGIBLE = 1e-12
"""eV: Wannier90 matrix elements below this are dropped; out-of-plane (R₃ ≠ 0) ones above it are an error."""


def _need(module: str, extra: str):
    try:
        return __import__(module)
    except ModuleNotFoundError:
        raise ParameterError(f"this needs {module}: install the optional extra, pip install \"phonon-moment[{extra}]\"."
                             ) from None


def _assign_atoms(vectors, orbital_pos, atoms):
    """(atom Lattice or None, orbital_atom or None): each orbital on the nearest atom (modulo lattice vectors)."""
    if atoms is None:
        return None, None
    names = [f"atom{i}" for i in range(len(atoms))]
    atom_pos = np.asarray(atoms, float).reshape(-1, 2)
    to_frac = np.linalg.inv(vectors)
    owner = []
    for i, r in enumerate(orbital_pos):
        df = (r - atom_pos) @ to_frac
        dist = np.linalg.norm((df - np.round(df)) @ vectors, axis=1)
        a = int(np.argmin(dist))
        if dist[a] > ORBITAL_ATOM_TOL:
            raise ParameterError(f"atoms: orbital {i} at {np.round(r, 4).tolist()} Å is {dist[a]:.3g} Å from the "
                                 f"nearest atom (more than {ORBITAL_ATOM_TOL} Å): pass the atoms' Cartesian positions.")
        owner.append(a)
    return Lattice(vectors, atom_pos, tuple(names)), tuple(owner)


def _betas(beta, n: int) -> np.ndarray:
    b = np.broadcast_to(np.asarray(beta, float), (n,)) if np.ndim(beta) == 0 else np.asarray(beta, float)
    if b.shape != (n,) or not np.all(np.isfinite(b)):
        raise ParameterError(f"beta must be one finite number or one per hopping ({n}), got {beta!r}.")
    return b


def _model(vectors, positions, onsite, terms, beta, atoms, peierls, labels=None) -> TightBindingModel:
    """A TightBindingModel from terms (t, to, from, R) listed once each, the conjugates added here."""
    from .model_file import _named_points
    vectors = np.asarray(vectors, float)
    positions = np.asarray(positions, float)
    points = _named_points(vectors)
    labels = labels or tuple(f"o{i}" for i in range(len(positions)))
    atom_lattice, owner = _assign_atoms(vectors, positions, atoms)
    if atom_lattice is not None:
        atom_lattice = Lattice(vectors, atom_lattice.positions, atom_lattice.labels, points)
    betas = _betas(beta, len(terms))
    hops = []
    for (t, i, j, R), b in zip(terms, betas):
        R = tuple(int(x) for x in R)
        d = positions[i] - (np.array(R) @ vectors + positions[j])
        length = float(np.linalg.norm(d)) or 1.0            # zero only inside one atom, where it is not used
        hops.append(Hopping(i, j, R, complex(t), length, float(b)))
        hops.append(Hopping(j, i, (-R[0], -R[1]), complex(t).conjugate(), length, float(b)))
    return TightBindingModel(Lattice(vectors, positions, labels, points), np.asarray(onsite, float), tuple(hops),
                             peierls, atoms=atom_lattice, orbital_atom=owner)


# --------------------------------------------------------------------------------------------------
def from_pythtb(tb, *, beta=0.0, atoms=None, peierls: str = "equilibrium") -> TightBindingModel:
    """A :class:`TightBindingModel` from a PythTB ``tb_model`` (PythTB 1.7–1.8; two periodic directions, spinless).

    Parameters
    ----------
    tb : pythtb.tb_model
        Lattice vectors read as Å, on-site energies and hoppings as eV.
    beta : float or sequence of float
        −∂ln|t|/∂ln ℓ of every hopping (one number, or one per ``set_hop`` in PythTB's order); default 0 (hoppings
        that do not depend on bond length: the electron–phonon coupling then comes only from the Peierls phases).
    atoms : (natoms, 2) array_like, optional
        Cartesian positions (Å) of the atoms; each orbital is put on the nearest one. Default: one atom per orbital.
    peierls : "equilibrium" or "displaced"
        CONVENTIONS.md §2.
    """
    for attr in ("_lat", "_orb", "_site_energies", "_hoppings", "_dim_k", "_nspin"):
        if not hasattr(tb, attr):
            raise ParameterError(f"from_pythtb needs a PythTB 1.x tb_model (no attribute {attr}): install the extra, "
                                 "pip install \"phonon-moment[pythtb]\".")
    if tb._dim_k != 2 or np.shape(tb._lat) != (2, 2) or tb._nspin != 1:
        raise ParameterError("from_pythtb takes spinless models with two periodic directions in two dimensions "
                             f"(got dim_k={tb._dim_k}, lattice {np.shape(tb._lat)}, nspin={tb._nspin}).")
    vectors = np.asarray(tb._lat, float)
    positions = np.asarray(tb._orb, float) @ vectors
    terms = [(h[0], int(h[1]), int(h[2]), h[3]) for h in tb._hoppings]
    return _model(vectors, positions, np.real(tb._site_energies), terms, beta, atoms, peierls)


# --------------------------------------------------------------------------------------------------
def write_tb_dat(model: TightBindingModel, path, comment: str = "written by phonon-moment") -> Path:
    """Write ``model`` as a Wannier90 ``seedname_tb.dat`` (lattice in Å with a 10 Å third vector, H(R) in eV, and the
    position matrix with the orbital centres on its R = 0 diagonal). Every R carries degeneracy 1."""
    n = model.nsub
    H = {}
    for h in model.hoppings:
        H.setdefault(tuple(h.R), np.zeros((n, n), complex))[h.to, h.frm] += h.t0
    H.setdefault((0, 0), np.zeros((n, n), complex))[np.arange(n), np.arange(n)] += model.onsite
    cells = sorted(H)
    vec = np.zeros((3, 3))
    vec[:2, :2], vec[2, 2] = model.lattice.vectors, 10.0
    lines = [comment] + [" ".join(f"{x:.16e}" for x in row) for row in vec] + [str(n), str(len(cells))]
    lines += [" ".join("1" for _ in cells[i:i + 15]) for i in range(0, len(cells), 15)]
    for R in cells:
        lines += ["", f"{R[0]:5d}{R[1]:5d}{0:5d}"]
        lines += [f"{j + 1:5d}{i + 1:5d}   {H[R][j, i].real:.16e} {H[R][j, i].imag:.16e}"
                  for i in range(n) for j in range(n)]
    for R in cells:
        lines += ["", f"{R[0]:5d}{R[1]:5d}{0:5d}"]
        for i in range(n):
            for j in range(n):
                r = np.zeros(3)
                if R == (0, 0) and i == j:
                    r[:2] = model.lattice.positions[i]
                lines.append(f"{j + 1:5d}{i + 1:5d}   " + " ".join(f"{x:.16e} 0.0" for x in r))
    path = Path(path)
    path.write_text("\n".join(lines) + "\n")
    return path


def read_tb_dat(path, *, beta=0.0, atoms=None, peierls: str = "equilibrium") -> TightBindingModel:
    """A :class:`TightBindingModel` from a Wannier90 ``seedname_tb.dat`` of a two-dimensional system.

    The lattice's first two vectors (Å) span the plane; H(R)/ndegen(R) (eV) gives the hoppings ⟨m, 0|H|n, R⟩ (elements
    below :data:`NEGLIGIBLE` dropped; R₃ ≠ 0 must vanish); the orbital centres are the R = 0 diagonal of the position
    matrix (x, y in Å). ``beta``: one number for every hopping, or one per kept hopping (R, then n, then m order of the
    file with each bond's conjugate left out); ``atoms``, ``peierls``: as :func:`from_pythtb`.
    """
    text = Path(path).read_text().split("\n")
    try:
        vec = np.array([[float(x) for x in text[i].split()] for i in (1, 2, 3)])
        n, nrpts = int(text[4]), int(text[5])
        pos, degen = 6, []
        while len(degen) < nrpts:
            degen += [int(x) for x in text[pos].split()]
            pos += 1
        rows = [line.split() for line in text[pos:] if line.strip()]
    except (ValueError, IndexError) as exc:
        raise ParameterError(f"{path}: not a Wannier90 _tb.dat file ({exc}).") from None
    if np.abs(vec[:2, 2]).max() > 1e-9 or np.abs(vec[2, :2]).max() > 1e-9:
        raise ParameterError(f"{path}: the first two lattice vectors must span the x-y plane (a 2D system).")
    block = 1 + n * n
    ham, centres, H = rows[:nrpts * block], rows[nrpts * block:], {}
    for r in range(nrpts):
        R = tuple(int(x) for x in ham[r * block])
        M = np.zeros((n, n), complex)
        for line in ham[r * block + 1:(r + 1) * block]:
            j, i = int(line[0]) - 1, int(line[1]) - 1
            M[j, i] = complex(float(line[2]), float(line[3])) / degen[r]
        if R[2] != 0:
            if np.abs(M).max() > NEGLIGIBLE:
                raise ParameterError(f"{path}: hoppings with R3 = {R[2]} ≠ 0: not a two-dimensional model.")
            continue
        H[R[:2]] = H.get(R[:2], 0) + M
    positions = np.zeros((n, 2))
    for r in range(len(centres) // block):
        if tuple(int(x) for x in centres[r * block]) == (0, 0, 0):
            for line in centres[r * block + 1:(r + 1) * block]:
                j, i = int(line[0]) - 1, int(line[1]) - 1
                if i == j:
                    positions[i] = [float(line[2]), float(line[4])]
    onsite = np.real(np.diag(H.get((0, 0), np.zeros((n, n)))))
    terms, seen = [], set()
    for R in sorted(H):
        for i in range(n):
            for j in range(n):
                t = H[R][j, i]
                if (R == (0, 0) and i == j) or abs(t) <= NEGLIGIBLE or (i, j, (-R[0], -R[1])) in seen:
                    continue
                seen.add((j, i, R))
                terms.append((t, j, i, R))
    return _model(vec[:2, :2], positions, onsite, terms, beta, atoms, peierls)


# --------------------------------------------------------------------------------------------------
class TabulatedPhonons(Phonons):
    """In-plane phonons from a phonopy force-constant set, on the model's atoms (same interface as :class:`Phonons`).

    D(q) is phonopy's own dynamical matrix (eV/(Å² u), positions in the phase: our convention I), restricted to the
    x, y components and reordered to the model's atoms.
    """

    def __init__(self, lattice: Lattice, phonon, order, charges=None):
        self.lattice = lattice
        self.nsub = lattice.nsub
        self._phonon = phonon
        self._order = np.asarray(order)
        masses = np.asarray(phonon.primitive.masses, float)[self._order]
        self.masses = masses
        self.force_constants = ForceConstants(((0.0, 0.0),), tuple(masses),
                                              None if charges is None else tuple(charges))
        self.shell_radii = np.array([])
        index = np.array([3 * a + c for a in self._order for c in (0, 1)])
        self._index = np.ix_(index, index)
        self._cell = np.asarray(phonon.primitive.cell, float)[:2, :2]

    def dynamical_matrix(self, q) -> np.ndarray:
        """D(q) (..., 2 natoms, 2 natoms), eV/(Å² u), from phonopy at each q (Cartesian 1/Å)."""
        q = np.asarray(q, float)
        frac = np.zeros((int(np.prod(q.shape[:-1])), 3))
        frac[:, :2] = q.reshape(-1, 2) @ self._cell.T / (2 * np.pi)          # q = Σ frac_i b_i: frac_i = a_i · q / 2π
        D = self._phonon.run_qpoints(frac, with_dynamical_matrices=True).dynamical_matrices
        out = np.asarray(D)[(slice(None),) + self._index]
        return out.reshape(q.shape[:-1] + out.shape[-2:])


def phonons_from_phonopy(model: TightBindingModel, path, *, charges=None, **load_options) -> TabulatedPhonons:
    """Phonons of ``model``'s atoms from phonopy (``phonopy.load(path, **load_options)``, e.g. a
    ``phonopy_params.yaml`` with force constants or force sets; eV, Å, u as phonopy's default units).

    phonopy's primitive cell must have the model's lattice vectors (x, y) and one atom at each of the model's atoms
    (matched by position modulo lattice vectors, to :data:`ATOM_MATCH_TOL`); only the in-plane (x, y) block of its
    dynamical matrix is used. ``charges``: each atom's charge (e) for the ionic moment, in the model's atom order.
    """
    phonopy = _need("phonopy", "phonopy")
    ph = phonopy.load(path, **load_options)
    cell = np.asarray(ph.primitive.cell, float)
    vectors = model.atoms.vectors
    if not np.allclose(cell[:2, :2], vectors, atol=ATOM_MATCH_TOL):
        raise ParameterError(f"{path}: phonopy's primitive vectors {cell[:2, :2].tolist()} Å are not the model's "
                             f"{vectors.tolist()} Å.")
    theirs = np.asarray(ph.primitive.scaled_positions, float) @ cell
    to_frac = np.linalg.inv(vectors)
    order = []
    for a, r in enumerate(model.atoms.positions):
        df = (r - theirs[:, :2]) @ to_frac
        dist = np.linalg.norm((df - np.round(df)) @ vectors, axis=1)
        if dist.min() > ATOM_MATCH_TOL:
            raise ParameterError(f"{path}: no phonopy atom at the model's atom {model.atoms.labels[a]!r} "
                                 f"({np.round(r, 5).tolist()} Å); phonopy's atoms are at {np.round(theirs, 5).tolist()}.")
        order.append(int(np.argmin(dist)))
    if sorted(order) != list(range(len(theirs))):
        raise ParameterError(f"{path}: phonopy has {len(theirs)} atoms, matched to the model's as {order}: every "
                             "phonopy atom must be one of the model's.")
    return TabulatedPhonons(model.atoms, ph, order, charges)


def write_phonopy(phonons: Phonons, path, supercell: int = 5) -> Path:
    """Write ``phonons`` (the shell model of :class:`Phonons`) as a ``phonopy_params.yaml`` through phonopy's API: the
    force constants on a ``supercell`` × ``supercell`` cell (10 Å vacuum along z, no out-of-plane springs)."""
    phonopy = _need("phonopy", "phonopy")
    from phonopy.structure.atoms import PhonopyAtoms
    lat = phonons.lattice
    cell = np.zeros((3, 3))
    cell[:2, :2], cell[2, 2] = lat.vectors, 10.0
    frac = np.zeros((lat.nsub, 3))
    frac[:, :2] = lat.positions @ np.linalg.inv(lat.vectors)
    symbols = [_element(label.rstrip("0123456789"), PhonopyAtoms) for label in lat.labels]
    unit = PhonopyAtoms(symbols=symbols, cell=cell, scaled_positions=frac,
                        masses=list(phonons.force_constants.masses))
    ph = phonopy.Phonopy(unit, supercell_matrix=[supercell, supercell, 1], primitive_matrix=np.eye(3),
                         is_symmetry=False)
    sc = ph.supercell
    pos = np.asarray(sc.scaled_positions) @ np.asarray(sc.cell)
    s2u = np.asarray(sc.s2u_map)
    u_index = {int(u): a for a, u in enumerate(sorted(set(s2u)))}
    natom = len(pos)
    fc = np.zeros((natom, natom, 3, 3))
    sc_vec = np.asarray(sc.cell)[:2, :2]
    inv = np.linalg.inv(sc_vec)
    for i in range(natom):
        for j in range(natom):
            if i == j:
                continue
            d = pos[i, :2] - pos[j, :2]
            f = d @ inv
            d = (f - np.round(f)) @ sc_vec                                   # the nearest image
            k = _bond_block(phonons, u_index[int(s2u[i])], u_index[int(s2u[j])], d)
            fc[i, j, :2, :2] = -k
    for i in range(natom):
        fc[i, i] = -fc[i].sum(axis=0)
    ph.force_constants = fc
    path = Path(path)
    ph.save(path, settings={"force_constants": True})
    return path


def _element(symbol: str, atoms_type) -> str:
    """``symbol`` if phonopy knows it as an element, else "C" (the masses are given explicitly: a symbol is a label)."""
    try:
        atoms_type(symbols=[symbol], cell=np.eye(3), scaled_positions=[[0.0, 0.0, 0.0]])
    except (RuntimeError, KeyError, ValueError):
        return "C"
    return symbol


def _bond_block(phonons: Phonons, a: int, b: int, d) -> np.ndarray:
    """The spring tensor K(d) (eV/Å²) between atoms a and b at bond vector d, or zero when no shell holds it."""
    bonds = phonons._bonds.get((a, b))
    if bonds is None:
        return np.zeros((2, 2))
    ds, ks = bonds
    hit = np.linalg.norm(ds - d, axis=1) < 1e-6
    return ks[hit].sum(axis=0) if hit.any() else np.zeros((2, 2))
