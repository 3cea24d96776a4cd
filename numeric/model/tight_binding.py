"""The one real-space description of a tight-binding model, and every vertex derived from it.

Physics (CONVENTIONS.md §2, §4). The electronic Hamiltonian of the paper's Eq. (2) is written once, in real space,
as a sum over directed bonds j → i (the term c†_i c_j) with displaced positions r' = r + u(r) and a vector potential A(r):

    H = Σ_i ε_i c†_i c_i + Σ_(i←j) t_ij(|r'_i − r'_j|) exp(−i ∫_{r'_j}^{r'_i} A(r)·dr) c†_i c_j ,

hopping ``t(ℓ) = t₀ exp(−β (ℓ/ℓ₀ − 1))`` (so β = −∂ln t/∂ln ℓ at ℓ₀) and the Peierls phase on the *displaced*, straight bond.
The sign of the phase makes a uniform A shift k → k + A, i.e. H_B = v·A (paper, below Eq. 2, with e = ħ = 1).

Fields are plane waves: a displacement u(r) = U_α e^{iq·r} on sublattice α (r the equilibrium site position, τ_α included:
the paper's e^{iq·R^a}), and A(r) = a e^{iq₀·r}. A vertex is the coefficient of the product of the listed field amplitudes
in H (an exact mixed derivative, computed with :mod:`numeric.model.taylor`). Translation covariance makes each bond's
coefficient ``e^{iQ·r_j} φ(d)``, Q the total momentum, so in the Bloch basis (convention I, orbital positions in the phase)

    ⟨α, k| V |β, k − Q⟩ = Σ_{bonds α←β} φ(d) e^{−i k·d},     d = r_i − r_j ,

and k-derivatives act on e^{−ik·d} alone. Nothing else in the package writes a matrix element by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..validation import ParameterError, finite
from .lattice import Lattice
from .taylor import Jet, dot

GAUSS_LEGENDRE_NODES = 24  # Peierls line integral; exact to machine precision for |q₀·d| ≲ 10
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(GAUSS_LEGENDRE_NODES)


@dataclass(frozen=True)
class Hopping:
    """One directed bond: the term c†_i c_j, i on sublattice ``to``, j on sublattice ``frm`` in cell ``R``.

    ``t0`` (eV, may be complex) is the hopping at the reference length ``length`` (Å); ``beta`` = −∂ln|t|/∂ln ℓ there.
    The reverse bond must carry the complex conjugate ``t0``.
    """

    to: int
    frm: int
    R: tuple
    t0: complex
    length: float
    beta: float


@dataclass(frozen=True)
class Displacement:
    """Displacement field u(r) = amplitude[α] e^{i q·r} (Å; q in 1/Å), amplitude shape (nsub, 2) (q may be an array
    (..., 2) of several momenta: see :func:`batched_fields`)."""

    q: tuple
    amplitude: np.ndarray


@dataclass(frozen=True)
class VectorPotential:
    """Vector potential A(r) = amplitude e^{i q·r} (e = ħ = 1: 1/Å), amplitude shape (2,) (q as for
    :class:`Displacement`)."""

    q: tuple
    amplitude: np.ndarray


def batched_fields(bases, momenta=None) -> list:
    """One field per basis (a list of fields of one kind and momentum), its amplitudes stacked on an axis of its own.

    :meth:`TightBindingModel.bond_coefficients` is multilinear in the amplitudes, so on these it returns every product
    of basis components at once, shape (n_1, …, n_K, nbonds). ``momenta`` (optional, one array per basis, 1/Å)
    evaluates the fields at S momenta at once instead of their own, on a leading axis, shape (S, n_1, …, n_K, nbonds):
    (S, 2) for the whole basis, or (S, n_j, 2), one momentum per component (a basis may then mix fields of one kind
    at different momenta, e.g. u and w of Eq. 4).
    """
    K = len(bases)
    out = []
    for j, basis in enumerate(bases):
        amp = np.stack([np.asarray(b.amplitude, dtype=complex) for b in basis])
        axes = [1] * K
        axes[j] = len(basis)
        q = basis[0].q
        if momenta is not None:
            q = np.asarray(momenta[j], float)
            q = q.reshape((len(q),) + tuple(axes if q.ndim == 3 else [1] * K) + (2,))
        out.append(type(basis[0])(q, amp.reshape(tuple(axes) + amp.shape[1:])))
    return out


def displacement_basis(q, nsub: int) -> tuple:
    """Unit displacements at momentum q, component c = 2α + i (atom α, axis i; ``nsub`` = the model's ``natoms``): the
    basis of Λ's indices."""
    return tuple(displacement(q, a, i, nsub) for a in range(nsub) for i in range(2))


def potential_basis(q) -> tuple:
    """Unit vector potentials along x and y at momentum q."""
    return tuple(vector_potential(q, i) for i in range(2))


def displacement(q, sublattice: int, direction: int, nsub: int = 2) -> Displacement:
    """Unit displacement of one sublattice along one Cartesian axis (0 = x, 1 = y) at momentum q."""
    U = np.zeros((nsub, 2), dtype=complex)
    U[sublattice, direction] = 1.0
    return Displacement(tuple(np.asarray(q, float)), U)


def vector_potential(q, direction: int) -> VectorPotential:
    """Unit vector potential along one Cartesian axis at momentum q."""
    a = np.zeros(2, dtype=complex)
    a[direction] = 1.0
    return VectorPotential(tuple(np.asarray(q, float)), a)


@dataclass(frozen=True)
class TightBindingModel:
    """A tight-binding model given by its real-space description (see the module docstring).

    Parameters
    ----------
    lattice : Lattice
        Geometry; ``lattice.positions`` are the orbital (site) positions τ_α.
    onsite : (nsub,) array
        On-site energies in eV.
    hoppings : tuple of Hopping
        Directed bonds; both directions of every bond must be listed (Hermiticity is checked).
    peierls : "equilibrium" or "displaced"
        Path of the Peierls line integral. "equilibrium" (default) integrates A along the equilibrium bond, so a
        gauge transformation is a u-independent unitary and the electronic dynamics stays gauge covariant for moving
        ions; "displaced" integrates along the displaced bond, which is covariant only together with a co-moving
        term Σ_i n_i A(r'_i)·u̇_i that the paper's Eq. (2) does not have (CONVENTIONS.md §2).
    atoms : Lattice, optional
        The ions (same primitive vectors): what the phonons displace and Λ^{ab} is indexed by. Default: one atom at
        every orbital (``lattice`` itself).
    orbital_atom : sequence of int, optional
        The atom each orbital sits on (default: orbital α on atom α). Several orbitals may share an atom: an orbital
        moves rigidly with its atom, u(orbital) = u(atom) with the plane-wave phase taken at the atom's position, so a
        hopping between two orbitals of one atom in one cell neither stretches nor depends on u (its ``beta`` is
        ignored); the Peierls phases and the Bloch phases use the orbital positions (CONVENTIONS.md §2, §4).
    """

    lattice: Lattice
    onsite: np.ndarray
    hoppings: tuple
    peierls: str = "equilibrium"
    atoms: Lattice | None = None
    orbital_atom: tuple | None = None

    def __post_init__(self):
        onsite = np.array(finite("onsite energies", self.onsite), dtype=float)
        if onsite.shape != (self.lattice.nsub,):
            raise ParameterError("onsite must hold one energy per sublattice.")
        object.__setattr__(self, "onsite", onsite)
        if self.peierls not in ("equilibrium", "displaced"):
            raise ParameterError(f"peierls must be 'equilibrium' or 'displaced', got {self.peierls!r}.")
        atoms = self.lattice if self.atoms is None else self.atoms
        if not np.allclose(atoms.vectors, self.lattice.vectors, atol=1e-12):
            raise ParameterError("atoms must share the orbitals' primitive vectors.")
        owner = tuple(range(self.nsub)) if self.orbital_atom is None else tuple(int(a) for a in self.orbital_atom)
        if len(owner) != self.nsub or not all(0 <= a < atoms.nsub for a in owner):
            raise ParameterError(f"orbital_atom must give one atom index in 0..{atoms.nsub - 1} per orbital "
                                 f"({self.nsub}), got {self.orbital_atom!r}.")
        object.__setattr__(self, "atoms", atoms)
        object.__setattr__(self, "orbital_atom", owner)
        for h in self.hoppings:
            finite("hopping t0", h.t0)
            finite("hopping beta", h.beta)
        H = self.hamiltonian(np.array([[0.37, -0.21]]))
        if not np.allclose(H, np.conj(np.swapaxes(H, -1, -2)), atol=1e-12):
            raise ParameterError("hoppings must list both directions of every bond, with conjugate t0 and equal beta.")

    @property
    def nsub(self) -> int:
        """Number of orbitals per cell (the electrons' basis, the bands)."""
        return self.lattice.nsub

    @property
    def natoms(self) -> int:
        """Number of atoms per cell (the ions: displacements, phonons, the indices of Λ^{ab})."""
        return self.atoms.nsub

    def describe(self) -> dict:
        """The whole real-space description as plain data (saved beside every result): lattice vectors and orbital
        positions (Å), on-site energies (eV), each directed bond (t0 in eV as [re, im], reference length in Å, β)."""
        return {"lattice_vectors": self.lattice.vectors.tolist(), "positions": self.lattice.positions.tolist(),
                "atom_positions": self.atoms.positions.tolist(), "orbital_atom": list(self.orbital_atom),
                "onsite": self.onsite.tolist(), "peierls": self.peierls,
                "hoppings": [{"to": h.to, "from": h.frm, "cell": [int(x) for x in h.R],
                              "t0": [complex(h.t0).real, complex(h.t0).imag], "length": float(h.length),
                              "beta": float(h.beta)} for h in self.hoppings]}

    # -- geometry of the bonds (cached arrays) ------------------------------------------------
    def _bond_arrays(self):
        cache = self.__dict__.get("_bonds")
        if cache is None:
            pos, vec = self.lattice.positions, self.lattice.vectors
            to = np.array([h.to for h in self.hoppings], dtype=int)
            frm = np.array([h.frm for h in self.hoppings], dtype=int)
            R = np.array([h.R for h in self.hoppings], dtype=float).reshape(-1, 2)
            d = pos[to] - (R @ vec + pos[frm])
            t0 = np.array([h.t0 for h in self.hoppings], dtype=complex)
            l0 = np.array([h.length for h in self.hoppings], dtype=float)
            beta = np.array([h.beta for h in self.hoppings], dtype=float)
            scatter = np.zeros((len(to), self.nsub * self.nsub))     # bond n → matrix element (to, frm)
            scatter[np.arange(len(to)), to * self.nsub + frm] = 1.0
            owner = np.array(self.orbital_atom, dtype=int)
            # an orbital moves with its atom: u at the orbital = U_atom e^{iq·r_atom}, r_atom = r_orbital + offset
            offset = self.atoms.positions[owner] - pos
            rigid = (owner[to] == owner[frm]) & np.all(R == 0, axis=1)    # two orbitals of one atom: no stretching
            l0 = np.where(rigid, 1.0, l0)                                     # unused there; keeps 1/l0 finite
            cache = dict(to=to, frm=frm, d=d, t0=t0, l0=l0, beta=beta, scatter=scatter, atom_to=owner[to],
                         atom_frm=owner[frm], offset_to=offset[to], offset_frm=offset[frm], rigid=rigid)
            object.__setattr__(self, "_bonds", cache)
        return cache

    def _bare_hoppings(self) -> np.ndarray:
        """bond_coefficients(()) (the hopping of every bond at equilibrium), kept: H(k) and its k-derivatives need it
        at every k-grid."""
        cache = self.__dict__.get("_bare")
        if cache is None:
            cache = self.bond_expansion(()).coefficient(0)
            object.__setattr__(self, "_bare", cache)
        return cache

    # -- the bond amplitude, on jets ------------------------------------------------------------
    def bond_coefficients(self, fields) -> np.ndarray:
        """φ(d) for every directed bond: the coefficient of Π(field amplitudes) in the bond term, with r_j = 0.

        Returns a complex array (nbonds,). With no fields this is the bare hopping t₀.
        An amplitude may carry leading batch axes (e.g. (1, n, 1, nsub, 2) for the second of three fields), and so may
        a field's momentum ((…, 2)): the result then has those axes broadcast together before the bond axis, which
        evaluates a whole basis of component products in one pass (the coefficient is multilinear in the amplitudes).
        """
        if not fields:
            return self._bare_hoppings()
        return self.bond_expansion(fields).coefficient((1 << len(fields)) - 1)

    def bond_expansion(self, fields) -> Jet:
        """The bond term expanded in the amplitudes of ``fields`` (as for :meth:`bond_coefficients`): its coefficient
        of ε^S is φ(d) of the fields in the subset S (bit j of S: field j), so one expansion holds every vertex of
        every subset of the fields, each an exact derivative of the same bond formula."""
        b = self._bond_arrays()
        K = len(fields)
        nb = len(self.hoppings)
        d = b["d"]
        zero = Jet.constant(np.zeros(nb), K)
        uj = [zero, zero]
        ui = [zero, zero]
        A_terms = []
        for idx, f in enumerate(fields):
            q = np.asarray(f.q, dtype=float)
            if isinstance(f, Displacement):
                U = np.asarray(f.amplitude, dtype=complex)
                phase_i = np.exp(1j * ((d + b["offset_to"]) @ q[..., None])[..., 0])    # u at r_i = d; r_j = 0
                phase_j = np.exp(1j * (b["offset_frm"] @ q[..., None])[..., 0])          # (at the atoms)
                for c in range(2):
                    on_i, on_j = U[..., b["atom_to"], c] * phase_i, U[..., b["atom_frm"], c] * phase_j
                    ui[c] = ui[c] + Jet.variable(np.zeros(on_i.shape), idx, on_i, K)
                    uj[c] = uj[c] + Jet.variable(np.zeros(on_j.shape), idx, on_j, K)
            elif isinstance(f, VectorPotential):
                A_terms.append((idx, q, np.asarray(f.amplitude, dtype=complex)))
            else:
                raise TypeError(f"unknown field {f!r}")
        D = [ui[c] - uj[c] + d[:, c] for c in range(2)]
        rigid = b["rigid"].astype(float)
        if rigid.any():                          # two orbitals of one atom: u_i = u_j, |D| = |d| may vanish, no length law
            safe = [Dc * (1.0 - rigid) + rigid for Dc in D]
            length = dot(safe, safe).sqrt()
        else:
            length = dot(D, D).sqrt()
        hop = ((length * (1.0 / b["l0"]) - 1.0) * (-b["beta"])).exp() * b["t0"]
        if rigid.any():
            hop = hop * (1.0 - rigid) + b["t0"] * rigid
        if A_terms:
            s, w = 0.5 * (_GL_NODES + 1.0), 0.5 * _GL_WEIGHTS
            flux = Jet.constant(np.zeros(nb), K)
            # ∫_0^1 ds A(r_j + s D)·D with A = ε a e^{iq₀·r}: quadrature nodes on a trailing axis; the path runs
            # between the displaced sites (peierls="displaced") or the equilibrium ones.
            if self.peierls == "displaced":
                start, span = uj, D
            else:
                start = [Jet.constant(np.zeros(nb), K)] * 2
                span = [Jet.constant(d[:, c], K) for c in range(2)]
            point = [Jet(start[c].c[..., None]) + Jet(span[c].c[..., None]) * s for c in range(2)]
            for idx, q0, a in A_terms:
                q0 = q0[..., None, None]                     # (batch…, 1, 1): against (bond, node)
                plane = ((point[0] * q0[..., 0, :, :] + point[1] * q0[..., 1, :, :]) * 1j).exp()
                integral = Jet((plane * w).c.sum(axis=-1))
                aD = span[0] * a[..., 0, None] + span[1] * a[..., 1, None]
                flux = flux + Jet.variable(np.zeros(nb), idx, 1.0, K) * aD * integral
            hop = hop * (flux * (-1j)).exp()
        return hop

    # -- matrices in the Bloch basis ------------------------------------------------------------
    def vertex(self, fields, k, *, kderiv=(0, 0), bloch: str = "I") -> np.ndarray:
        """⟨α, k| ∂^n H/∂(fields) |β, k − Q⟩ for every k, shape (..., nsub, nsub).

        Parameters
        ----------
        fields : sequence of Displacement / VectorPotential
            The vertex is the coefficient of the product of their amplitudes (paper's F^a_i for one
            displacement, the current v_j for one A, F^a_{i,j} = ∂v_j/∂R^a_i for one of each, F^{ab}_{ij}
            with two displacements ...). An empty sequence gives the Bloch Hamiltonian H(k).
        k : (..., 2) array, 1/Å
        kderiv : (nx, ny)
            Apply ∂_kx^nx ∂_ky^ny to the matrix (convention I: acts on e^{−ik·d} only).
        bloch : "I" or "II"
            Bloch convention: "I" puts orbital positions in the phase, "II" uses cell positions only
            (CONVENTIONS.md §4). Only the k-derivative-free vertex is supported in convention II.
        """
        phi = self.bond_coefficients(list(fields)) if fields else self._bare_hoppings()
        Q = sum((np.asarray(f.q, float) for f in fields), np.zeros(2))
        return self.vertex_from_coefficients(phi, Q, k, kderiv=kderiv, bloch=bloch, bare=not fields)

    def bond_vectors(self) -> np.ndarray:
        """d of every directed bond, shape (nbonds, 2), Å: the axis of :meth:`bond_coefficients` and :meth:`bond_phases`."""
        return self._bond_arrays()["d"]

    def bond_ends(self) -> tuple:
        """(to, frm) of every directed bond, integer arrays (nbonds,): the matrix element each bond adds to."""
        b = self._bond_arrays()
        return b["to"], b["frm"]

    def derivative_weights(self, phi, kderiv) -> np.ndarray:
        """The bond coefficients of ∂_kx^nx ∂_ky^ny of a vertex with bond coefficients ``phi`` (…, nbonds): in
        convention I the k-derivatives act on e^{−ik·d} alone, so each brings −i d down."""
        d = self._bond_arrays()["d"]
        nx, ny = kderiv
        return phi * (-1j * d[:, 0]) ** nx * (-1j * d[:, 1]) ** ny

    def bond_phases(self, k) -> np.ndarray:
        """e^{−ik·d} of every bond at every k, shape (nk..., nbonds): what :meth:`vertex_from_coefficients` sums with."""
        x = np.asarray(finite("k", k), dtype=float) @ self._bond_arrays()["d"].T
        out = np.empty(x.shape, complex)                        # cos − i sin: no complex exp of a zero real part
        np.cos(x, out=out.real)
        np.sin(x, out=out.imag)
        np.negative(out.imag, out=out.imag)
        return out

    def vertex_from_coefficients(self, phi, Q, k, *, kderiv=(0, 0), bloch: str = "I", bare: bool = False, phase=None):
        """The Bloch matrices of a vertex whose bond coefficients ``phi`` (from :meth:`bond_coefficients`) are known.

        Lets a caller evaluate one vertex at many k-grids without re-expanding the bond formula.
        ``phi`` may carry leading axes (several vertices at once); ``bare`` adds the on-site energies (H itself);
        ``phase``: :meth:`bond_phases` of these k, if the caller keeps them for many vertices.
        """
        k = np.asarray(finite("k", k), dtype=float)
        b = self._bond_arrays()
        nx, ny = kderiv
        weights = self.derivative_weights(phi, kderiv)
        phase = self.bond_phases(k) if phase is None else phase  # (nk..., nbonds)
        lead, kshape, nbonds = np.shape(weights)[:-1], phase.shape[:-1], phase.shape[-1]
        # Σ over bonds into their matrix elements (to, frm), every vertex of ``lead`` at once: one matrix product
        # e^{−ik·d} (k, bond) @ (weight × 0/1 scatter) (bond, vertex·element), no (vertex, k, bond) temporary
        W = np.reshape(weights, (-1, nbonds))[:, :, None] * b["scatter"][None]          # (vertex, bond, element)
        M = phase.reshape(-1, nbonds) @ np.moveaxis(W, 1, 0).reshape(nbonds, -1)         # (k, vertex·element)
        M = np.moveaxis(M.reshape(kshape + (W.shape[0], self.nsub**2)), -2, 0)
        M = M.reshape(lead + kshape + (self.nsub, self.nsub))
        if bare and (nx, ny) == (0, 0):
            M = M + np.diag(self.onsite)
        if bloch == "II":
            if (nx, ny) != (0, 0):
                raise ParameterError("bloch='II' vertices are available without k-derivatives only.")
            tau = self.lattice.positions
            left = np.exp(1j * (k @ tau.T))                      # (..., nsub)
            right = np.exp(-1j * ((k - Q) @ tau.T))
            M = left[..., :, None] * M * right[..., None, :]
        elif bloch != "I":
            raise ParameterError(f"bloch must be 'I' or 'II', got {bloch!r}.")
        return M

    def hamiltonian(self, k, *, bloch: str = "I", phase=None) -> np.ndarray:
        """Bloch Hamiltonian H(k), shape (..., nsub, nsub), eV (``phase``: :meth:`bond_phases` of k, if known)."""
        return self.vertex_from_coefficients(self._bare_hoppings(), np.zeros(2), k, bloch=bloch, bare=True, phase=phase)

    def velocity(self, k) -> np.ndarray:
        """Velocity matrices ∂H/∂k_μ (convention I), shape (..., 2, nsub, nsub), eV·Å."""
        return np.stack([self.vertex_from_coefficients(self._bare_hoppings(), np.zeros(2), k, kderiv=kd)
                         for kd in ((1, 0), (0, 1))], axis=-3)
