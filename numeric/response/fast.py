"""The fast path: θ¹, θ², θ³ of Eq. (3) and Λ of Eq. (4) through the kernels printed by ``derive/`` into ``generated/``.

The kernels are functions of band-basis symbols at shifted k-points (``ARGUMENTS`` of each generated module); this
module gathers them on a k-grid from :mod:`numeric.model.tight_binding` and :mod:`numeric.model.bands` (the referee's conventions,
CONVENTIONS.md §1, §4) and sums over k with the problem's weights. It does not import :mod:`numeric.response.direct`.

- :func:`lambda_generated`: Λ at q₀ → 0 with ∂_{q₀} taken analytically (``generated/eq4_n{N}.py``,
  derive/q0_expansion.py). The only finite difference is the derivative of the bond coefficients φ with respect to
  the fields' own momenta (:data:`PHI_STEP`, a 4-point stencil), whose relative error is ~(|d|·h)⁴/30 ≲ 1e-11.
- :func:`theta_generated`, :func:`theta_q0_generated`: θ^s and ∂_ω θ^s at finite q₀, and every q₀-derivative at q₀ = 0,
  through kernels that only tests evaluate and derive/ prints into a directory the caller names (``theta_n{N}.py``,
  ``theta_dq0_n{N}.py``; ``python -m derive --test-kernels DIR``): not committed to ``generated/``.
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import itertools
import weakref
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from ..model.bands import diagonalize
from . import compiled
from .contraction import LEVI_CIVITA_2D, routes
from .little_group import reduction
from ..model.tight_binding import batched_fields, displacement_basis, potential_basis
from ..model.occupation import fermi_dirac
from ..units import kelvin_to_ev

FIELD_ORDER = ("u", "w", "A")
SHIFT = {"u": (1, 0), "w": (-1, -1), "A": (0, 1)}      # field momenta in units of (q, q₀), as in derive/
KDERIV = ((1, 0), (0, 1))                               # ∂_ℓ, ℓ = x, y
PHI_STEP = 1e-3                                         # 1/Å, step of the 4-point stencil for ∂φ/∂q₀


@dataclass
class ThetaValue:
    """θ summed over k and its exact ω-derivative, shape (2, nc, nc) [k (A), (a,i) of u, (b,j) of w]."""

    val: np.ndarray
    der: np.ndarray


class _Inputs:
    """Band data and band-basis vertices at k + a q + b q₀, laid out (nk, n_u, n_w, n_A, ...) for the kernels.

    Band data and bond phases come from the problem's :class:`_Grid` (shared by both terms of Eq. 4 and by later q);
    the bond coefficients φ of every field set from one bond expansion per term (:meth:`_expand`); a layout's
    arguments from only the components it reads (:meth:`combined`)."""

    def __init__(self, problem, q, q0):
        self.problem = problem
        self.model = problem.model
        self.q = np.asarray(q, float)
        self.q0 = np.asarray(q0, float)
        self.k = np.asarray(problem.k, float)
        self.nk = len(self.k)
        self.nb = self.model.hamiltonian(np.zeros((1, 2))).shape[-1]
        self.set_rates(problem.rates)
        nsub = self.model.natoms
        self.ncomp = {"u": 2 * nsub, "w": 2 * nsub, "A": 2}
        self._verts, self._phis, self._dphis, self._points = {}, {}, {}, {}
        self._grid = _Grid.of(problem)
        self._workspace = compiled.Workspace()                   # the compiled form's vertex arguments

    def set_rates(self, rates):
        """Damping enters the kernels only as scalars: one set of band data serves every (η_p, γ_n)."""
        self.rates = rates
        self.gamma = np.asarray(rates.electron, float)
        if self.gamma.shape != (self.nb,):
            raise ValueError(f"need one electronic damping per band ({self.nb}), got {self.gamma.shape}")

    def fields(self, q0):
        """Component bases of u (q), w (−q − q₀), A (q₀), as the referee orders them."""
        q, nsub = self.q, self.model.natoms
        return {"u": displacement_basis(q, nsub), "w": displacement_basis(-q - q0, nsub), "A": potential_basis(q0)}

    def kpoint(self, shift):
        return self.k + shift[0] * self.q + shift[1] * self.q0

    def _point(self, shift):
        """(bond phases, energies, eigenvectors, occupations) at k + a q + b q₀, from the grid's cache (:class:`_Grid`)."""
        shift = tuple(shift)
        if shift not in self._points:
            self._points[shift] = self._grid.point(shift[0] * self.q + shift[1] * self.q0)
        return self._points[shift]

    def phases(self, shift):
        """e^{−ik·d} of every bond at k + a q + b q₀, kept for the many vertices evaluated there."""
        return self._point(shift)[0]

    def band(self, shift):
        """(energies, eigenvectors, occupations) at k + a q + b q₀."""
        return self._point(shift)[1:]

    def phi(self, T, q0):
        """Bond coefficients of every component combination of the fields T, shape (comps_T..., nbonds)."""
        key = (T, tuple(np.round(q0, 15)))
        if key not in self._phis:
            self._expand(T, np.asarray(q0, float))
        return self._phis[key]

    def _expand(self, T, q0):
        """φ of T and of every other field set at q₀ and at :meth:`dvertex`'s stencil, from one expansion of the bond
        term (``TightBindingModel.bond_expansion``, the momenta on a batch axis) into :meth:`phi`'s cache. u and w
        share one slot of the expansion (their components stacked, each at its own momentum): Eq. (4)'s vertices
        carry one displacement, and their products would only enlarge it; a T with both gets a slot for each."""
        slots = (("u",), ("w",), ("A",)) if {"u", "w"} <= set(T) else (("u", "w"), ("A",))
        e = PHI_STEP * np.eye(2)
        points = np.vstack([q0[None], *[s * e[l] for l in range(2) for s in (1, -1, 2, -2)]])
        basis = self.fields(np.zeros(2))
        momentum = {"u": np.broadcast_to(self.q, points.shape), "w": -self.q - points, "A": points}
        start = {f: sum(len(basis[g]) for g in slot[:slot.index(f)]) for slot in slots for f in slot}
        jet = self.model.bond_expansion(batched_fields(
            [sum((basis[f] for f in slot), ()) for slot in slots],
            [np.concatenate([np.repeat(momentum[f][:, None], len(basis[f]), axis=1) for f in slot], axis=1)
             for slot in slots]))
        for mask in range(1, 1 << len(slots)):
            chosen = [slot for j, slot in enumerate(slots) if mask >> j & 1]
            for fields in itertools.product(*chosen):                      # one field of each chosen slot
                field = dict(zip([j for j in range(len(slots)) if mask >> j & 1], fields))
                index = tuple(slice(start[f], start[f] + len(basis[f])) if (f := field.get(j)) else 0
                              for j in range(len(slots)))                # axes of the other slots: constant
                for point, phi in zip(points, jet.coefficient(mask)):
                    self._phis.setdefault((fields, tuple(np.round(point, 15))), np.ascontiguousarray(phi[index]))

    def _layout(self, V, T, lead=0):
        """(lead..., comps_T..., nk, nb, nb) → (lead..., nk, n_u|1, n_w|1, n_A|1, nb, nb)."""
        V = np.moveaxis(V, -3, lead)
        shape = V.shape[:lead] + (self.nk,) + tuple(self.ncomp[f] if f in T else 1 for f in FIELD_ORDER) + V.shape[-2:]
        return V.reshape(shape)

    def _right(self, T, shift):
        """The shift of the right-hand states of ⟨n, k+s|V_T|m, k+s−Q_T⟩."""
        dT = tuple(sum(SHIFT[f][i] for f in T) for i in range(2))
        return (shift[0] - dT[0], shift[1] - dT[1])

    def _momentum(self, T, q0):
        return sum(({"u": self.q, "w": -self.q - q0, "A": q0}[f] for f in T), np.zeros(2))

    def _project(self, V, T, shift):
        _, Ul, _ = self.band(shift)
        _, Ur, _ = self.band(self._right(T, shift))
        return _sandwich(Ul, V, Ur)

    def bond_weights(self, T, shift, derivative=False):
        """The bond weights of the vertex V_T at k + s (``derivative``: of :meth:`dvertex`'s D, with a leading ℓ axis),
        shape ((2[ℓ],) comps_T..., nbonds), the point at which they are summed, and Q_T."""
        T, shift = tuple(T), tuple(shift)
        if not derivative:
            W = self.phi(T, self.q0)
            if T == ("u", "w") and not self.problem.second_order_vertices:
                W = np.zeros_like(W)
            return W, shift, self._momentum(T, self.q0)
        along_k, along_q0 = self._derivatives(T)
        W = shift[1] * along_k if along_q0 is None else shift[1] * along_k + along_q0
        return W, (shift[0], 0), self._momentum(T, np.zeros(2))

    def _derivatives(self, T):
        """The bond coefficients of ∂_ℓ V_T (k-derivative) and of ∂_{q₀ℓ} φ_T (the 4-point stencil; None without w or
        A), each (2[ℓ], comps_T..., nbonds): D of a shift (a, b) is b times the first plus the second."""
        if T not in self._dphis:
            phi0 = self.phi(T, np.zeros(2))
            # the vertex is linear in its bond coefficients: ∂_ℓ brings −i d_ℓ down
            along_k = np.stack([self.model.derivative_weights(phi0, kd) for kd in KDERIV])
            along_q0 = None
            if "w" in T or "A" in T:
                steps = PHI_STEP * np.eye(2)
                along_q0 = np.stack([(8 * (self.phi(T, e) - self.phi(T, -e)) - (self.phi(T, 2 * e) - self.phi(T, -2 * e)))
                                     / (12 * PHI_STEP) for e in steps])
            self._dphis[T] = (along_k, along_q0)
        return self._dphis[T]

    def vertex(self, T, shift):
        """⟨n, k+s|V_T|m, k+s−Q_T⟩."""
        T, shift = tuple(T), tuple(shift)
        key = (T, shift)
        if key not in self._verts:
            W, point, QT = self.bond_weights(T, shift)
            V = self.model.vertex_from_coefficients(W, QT, self.kpoint(point), phase=self.phases(point))
            self._verts[key] = self._layout(self._project(V, T, point), T)
        return self._verts[key]

    def combined(self, W, point, right, C, Q=None):
        """Σ_c C[l, p, c] ⟨n, k+s|V_c|m, k+s′⟩ at every k, shape (L, nk, P, nb, nb), where V_c sums the bond weights
        W[c] (nbonds) at k + s (s = ``point``, s′ = ``right``): what the kernels read of a vertex, from only the
        components they read. Compiled in one pass per k (``compiled.combine``), or, in the NumPy form, every V_c
        projected (:func:`_sandwich`) and combined."""
        if not np.any(W):                     # e.g. D of a u vertex at b = 0: zero at every k, broadcast along k
            return np.zeros((len(C), 1) + C.shape[1:2] + (self.nb, self.nb))
        _, Ul, _ = self.band(point)
        _, Ur, _ = self.band(right)
        if compiled.enabled():
            return compiled.combine(W, *self.model.bond_ends(), self.phases(point), Ul, Ur, C, self._workspace)
        V = self.model.vertex_from_coefficients(W, np.zeros(2) if Q is None else Q, self.kpoint(point),
                                                phase=self.phases(point))
        return np.einsum("lpc,cknm->lkpnm", C, _sandwich(Ul, V, Ur))

    def energy(self, shift):
        return self.band(shift)[0].reshape(self.nk, 1, 1, 1, self.nb)

    def occupation(self, shift):
        return self.band(shift)[2].reshape(self.nk, 1, 1, 1, self.nb)

    # -- q₀ → 0 inputs (derive/q0_expansion.py); valid only when self.q0 == 0 -------------------------------
    def velocity(self, base):
        """v^ℓ_nm = ⟨n|∂_ℓ H|m⟩ at k + a q, shape (2[ℓ], nk, 1, 1, 1, nb, nb)."""
        W = np.stack([self.model.derivative_weights(self.model.bond_coefficients(()), kd) for kd in KDERIV])
        v = self.combined(W, base, base, np.eye(2)[:, None, :])                   # (2, nk, 1, nb, nb)
        return v.reshape(2, self.nk, 1, 1, 1, self.nb, self.nb)

    def dfde(self, base):
        """f'(ε_n) at k + a q (0 at T = 0), shape (nk, 1, 1, 1, nb)."""
        T = self.problem.temperature
        if T == 0:
            return np.zeros((self.nk, 1, 1, 1, self.nb))
        f = self.band(base)[2]
        return (-f * (1.0 - f) / kelvin_to_ev(T)).reshape(self.nk, 1, 1, 1, self.nb)

    def dvertex(self, T, shift):
        """D = ⟨n| b ∂_ℓ V_T + ∂_δ V_T|_φ |m⟩ at the base points (rule of derive/q0_expansion.py), (2[ℓ], nk, ...)."""
        W, base, QT = self.bond_weights(T, shift, derivative=True)
        D = self.model.vertex_from_coefficients(W, QT, self.kpoint(base), phase=self.phases(base))
        return self._layout(self._project(D, T, base), T, lead=1)

    def argument(self, kind, data):
        if kind == "omega":
            return self.omega
        if kind == "eta_p":
            return self.rates.phonon
        if kind == "gamma":
            return self.gamma
        if kind == "energy":
            return self.energy(data)
        if kind == "occupation":
            return self.occupation(data)
        if kind == "vertex":
            return self.vertex(*data)
        if kind == "velocity":
            return self.velocity(data)
        if kind == "dfde":
            return self.dfde(data)
        if kind == "dvertex":
            return self.dvertex(*data)
        raise ValueError(f"unknown argument kind {kind!r}")


class _Grid:
    """Bond phases and band data at k + δ on one problem's k-grid, shared by every :class:`_Inputs` on that problem:
    the two terms of Eq. (4) read the same points k and k ± q, and a scan's many q the same k. Kept for δ = 0 and the
    :data:`RECENT` latest other δ (keyed by δ's exact value: −q of one term is 1·(−q) of the other); dropped with
    the problem."""

    RECENT = 4
    _of = {}                                  # id(problem) → its grid, while the problem lives

    def __init__(self, problem):
        self.model, self.k = problem.model, np.asarray(problem.k, float)
        self.mu, self.temperature = problem.mu, problem.temperature
        self._points = {}

    @classmethod
    def of(cls, problem) -> "_Grid":
        """The grid of this problem (made on first use)."""
        key = id(problem)
        if key not in cls._of:
            cls._of[key] = cls(problem)
            weakref.finalize(problem, cls._of.pop, key, None)
        return cls._of[key]

    def point(self, delta):
        """(bond phases, energies, eigenvectors, occupations) at k + δ."""
        key = tuple(np.asarray(delta, float).tolist())
        if key in self._points:
            self._points[key] = self._points.pop(key)          # the latest last
            return self._points[key]
        k = self.k + delta
        phase = self.model.bond_phases(k)
        e, U = diagonalize(self.model.hamiltonian(k, phase=phase))
        self._points[key] = (phase, e, U, fermi_dirac(e, self.mu, self.temperature))
        recent = [d for d in self._points if any(d)]
        for d in recent[:-self.RECENT]:
            del self._points[d]
        return self._points[key]


_LOADED = {}                # kernel modules loaded from a directory, by (path, modification time)


def _sandwich(Ul, V, Ur):
    """Ul^† V Ur at every k, V of shape (..., nk, nb, nb): compiled loops, or NumPy's einsum in the NumPy form."""
    if compiled.enabled():
        return compiled.project(Ul, V, Ur)
    return np.einsum("kai,...kab,kbj->...kij", np.conj(Ul), V, Ur, optimize=True)


def _kernels(prefix, nb, directory=None):
    """The printed module ``{prefix}_n{nb}``: from the package ``generated`` or, given ``directory``, from the file
    ``directory/{prefix}_n{nb}.py`` (loaded by path, without touching ``sys.path`` or ``sys.modules``). A band count
    whose kernels generated/ does not hold (it commits N = 2, 3) is derived once by derive/cache.py into the user's
    cache folder and loaded from there (CONVENTIONS.md §7.2: the only place numeric/ reaches into derive/, lazily)."""
    if directory is None:
        try:
            return importlib.import_module(f"generated.{prefix}_n{nb}")
        except ModuleNotFoundError:
            from derive.cache import ensure_kernel             # SymPy: imported only for an N without kernels
            path = ensure_kernel(prefix, nb).resolve()
    else:
        path = (Path(directory) / f"{prefix}_n{nb}.py").resolve()
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no printed kernel; `python -m derive --test-kernels {directory}` prints it")
    key = (path, path.stat().st_mtime_ns)
    if key not in _LOADED:
        spec = importlib.util.spec_from_file_location(f"_printed_{prefix}_n{nb}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _LOADED[key] = module
    return _LOADED[key]


def theta_generated(problem, omega, q, q0, *, kernels, domega: float = 1.0) -> dict:
    """θ¹, θ², θ³ at (ω, q, q₀) from the kernels theta_n{N}.py; same layout as
    ``numeric.response.direct.response_functions``.

    ``problem`` is a ``numeric.response.direct.Problem`` (model, k, weights, rates, mu, temperature, second_order_vertices).
    ``kernels``: the directory into which derive/ printed theta_n{N}.py (not committed: tests/conftest.py prints it,
    as does ``python -m derive --test-kernels DIR``). ``domega`` = ∂ω/∂ω_ref (−1 for the swapped term of Eq. 4).
    """
    inp = _Inputs(problem, q, q0)
    inp.omega = omega
    gen = _kernels("theta", inp.nb, kernels)
    w = np.asarray(problem.weights, float)
    full = (inp.nk,) + tuple(inp.ncomp[f] for f in FIELD_ORDER)
    out = {}
    for name in ("theta1", "theta2", "theta3"):
        val, der = getattr(gen, name)(*[inp.argument(kind, data) for _, kind, data in gen.ARGUMENTS[name]])
        val = np.einsum("kuwa,k->auw", np.broadcast_to(val, full), w)
        der = np.einsum("kuwa,k->auw", np.broadcast_to(der, full), w) * domega
        out[name] = ThetaValue(val, der)
    return out


#: eq4 functions that return several pieces at once (shared subexpressions), and the pieces in their order
JOINT = {"theta1_split": ("theta1_adiabatic", "theta1_skew_scattering", "theta1_side_jump")}
SPLIT_KERNELS = ("theta1_adiabatic", "theta1_nonadiabatic", "theta1_skew_scattering", "theta1_side_jump")


def theta_q0_generated(problem, omega, q, *, kernels, domega: float = 1.0, split: bool = False) -> dict:
    """{name: (θ, ∂_ω θ, ∂_{q₀ℓ} θ, ∂_{q₀ℓ}∂_ω θ)} at q₀ = 0, k-summed; shapes (2, nc, nc) and (2[ℓ], 2, nc, nc).

    ``kernels``: the directory into which derive/ printed theta_dq0_n{N}.py (as for :func:`theta_generated`).
    ``split=True`` adds the kernels of :data:`SPLIT_KERNELS` (θ¹'s exact split, CONVENTIONS.md §1.2).
    """
    inp = _Inputs(problem, q, np.zeros(2))
    inp.omega = omega
    gen = _kernels("theta_dq0", inp.nb, kernels)
    w = np.asarray(problem.weights, float)
    full = (inp.nk,) + tuple(inp.ncomp[f] for f in FIELD_ORDER)
    out = {}
    for name in ("theta1", "theta2", "theta3") + (SPLIT_KERNELS if split else ()):
        val, der, dq, dqw = getattr(gen, name)(*[inp.argument(kind, data) for _, kind, data in gen.ARGUMENTS[name]])
        val = np.einsum("kuwa,k->auw", np.broadcast_to(val, full), w)
        der = np.einsum("kuwa,k->auw", np.broadcast_to(der, full), w) * domega
        dq = np.einsum("lkuwa,k->lauw", np.broadcast_to(dq, (2,) + full), w)
        dqw = np.einsum("lkuwa,k->lauw", np.broadcast_to(dqw, (2,) + full), w) * domega
        out[name] = (val, der, dq, dqw)
    return out


class _Contracted:
    """The inputs of :class:`_Inputs`, reduced to the components Eq. (4) contracts (CONVENTIONS.md §4).

    Eq. (4) needs only ε_{ℓk} ε_{k₁k₂} ∂_{q₀ℓ}∂_ω θ_{k,(a,k₁),(b,k₂)}: for each direction ℓ of q₀ one component k = 1 − ℓ of A,
    and for each sublattice pair (a, b) the two displacement pairs k₁ ≠ k₂. Every term of θ is linear in one A-carrying
    object, in one u-carrying object (V_u or V_uw) and in one ℓ-carrying object (v, f′ or a dV), so the signs ε can be
    folded into the A and u objects, and the A component chosen per ℓ aligned with the ℓ axis. The kernels broadcast,
    so they evaluate (2[ℓ], nk, P) entries with P = 2 nsub² pairs instead of (2[ℓ], nk, n_u, n_w, n_A) = 64 nsub² of them.

    ``swap`` lays out the (−ω, −q) term of Eq. (4), whose displacement indices are exchanged: pair (a, k₁, b, k₂) is
    evaluated with u in (b, k₂) and w in (a, k₁). ``rates``: the damping sets, laid on a leading axis (damping enters the
    kernels only as scalars), so the kernels return (nset, 2[ℓ], nk, P).
    """

    EPS_LA = (1.0, -1.0)                 # ε_{ℓk} for (ℓ, k) = (0, 1), (1, 0)

    def __init__(self, inputs: _Inputs, swap: bool, rates):
        self.inputs = inputs
        self.rates = list(rates)
        nsub = inputs.model.natoms
        pairs = [(a, b, k1, 1 - k1) for a in range(nsub) for b in range(nsub) for k1 in (0, 1)]
        self.owner = np.array([a * nsub + b for a, b, _, _ in pairs])          # pair → flat (a, b)
        iu = np.array([2 * a + k1 for a, _, k1, _ in pairs])
        iw = np.array([2 * b + k2 for _, b, _, k2 in pairs])
        self.swap = swap
        self.iu, self.iw = (iw, iu) if swap else (iu, iw)
        self.sign = np.array([1.0 if k1 == 0 else -1.0 for _, _, k1, _ in pairs])   # ε_{k₁k₂}
        self._cache = {}
        self.points = None                   # a subset of the k-points (:meth:`restricted`), or all of them

    @property
    def nk(self) -> int:
        return self.inputs.nk if self.points is None else len(self.points)

    def restricted(self, index):
        """This layout at its k-points ``index`` only, sharing the band data and vertices computed for all of them."""
        sub = copy.copy(self)
        sub.points = np.asarray(index) if self.points is None else self.points[index]
        return sub

    def at(self, k):
        """The same term (ω, q, damping sets, swap) at other k-points k (n, 2), sharing the k-independent bond
        coefficients of the vertices."""
        inp = self.inputs
        sub = _Inputs(replace(inp.problem, k=k, weights=np.ones(len(k))), inp.q, inp.q0)
        sub.omega, sub._phis = inp.omega, inp._phis
        return self._sibling(sub)

    def _sibling(self, inputs):
        """This layout on other inputs."""
        return type(self)(inputs, self.swap, self.rates)

    def _pair_coefficients(self, T):
        """(P|1, n_u|1, n_w|1): the u and w components each pair reads, with ε_{k₁k₂} on u-carrying objects."""
        if "u" not in T and "w" not in T:
            return np.ones((1, 1, 1))
        n = [self.inputs.ncomp[f] if f in T else 1 for f in ("u", "w")]
        out = np.zeros((len(self.owner), *n), complex)
        iu = self.iu if "u" in T else 0
        iw = self.iw if "w" in T else 0
        out[np.arange(len(self.owner)), iu, iw] = self.sign if "u" in T else 1.0
        return out

    def _combination(self, T, derivative):
        """(L, P|1, n): the coefficients with which the kernels' argument at (ℓ, pair) sums the n = (2[ℓ] ×) comps_T
        components of the vertex T (of its q₀-derivative D: ℓ-th of D's leading axis): the pairs' u and w components
        (:meth:`_pair_coefficients`), the A component 1 − ℓ times ε_{ℓk} per direction ℓ. L = 2 with A or ℓ, else 1."""
        pairs = self._pair_coefficients(T)
        L = 2 if derivative or "A" in T else 1
        C = np.zeros((L, len(pairs), 2 if derivative else 1) + pairs.shape[1:] + (2 if "A" in T else 1,), complex)
        for l in range(L):
            a, eps = (1 - l, self.EPS_LA[l]) if "A" in T else (0, 1.0)
            C[l, :, l if derivative else 0, :, :, a] = eps * pairs
        return C.reshape(L, len(pairs), -1)

    K_AXIS = {"energy": -3, "occupation": -3, "dfde": -3, "velocity": -4, "vertex": -4, "dvertex": -4}

    def argument(self, kind, data):
        value = self._argument(kind, data)
        if self.points is not None and kind in self.K_AXIS and value.shape[self.K_AXIS[kind]] > 1:
            value = np.take(value, self.points, axis=self.K_AXIS[kind])
        return value

    def _argument(self, kind, data):
        inp = self.inputs
        if kind in ("vertex", "dvertex"):
            key = (kind, tuple(data[0]), tuple(data[1]))
            if key not in self._cache:
                T, derivative = tuple(data[0]), kind == "dvertex"
                W, point, QT = inp.bond_weights(T, data[1], derivative)
                self._cache[key] = inp.combined(W.reshape(-1, W.shape[-1]), point, inp._right(T, point),
                                                self._combination(T, derivative), QT)
            return self._cache[key]
        if kind == "eta_p":                       # damping sets on a leading axis: (nset, 1[ℓ], 1[k], 1[P])
            return np.array([r.phonon for r in self.rates]).reshape(-1, 1, 1, 1)
        if kind == "gamma":
            return np.array([r.electron for r in self.rates], float).reshape(len(self.rates), 1, 1, 1, -1)
        value = inp.argument(kind, data)
        if kind in ("energy", "occupation", "dfde"):
            return value.reshape(value.shape[:-4] + (1, value.shape[-1]))
        if kind == "velocity":
            return value.reshape(value.shape[:2] + (1,) + value.shape[-2:])
        return value


    def _call(self, name):
        """The eq4 function ``name`` on this layout's arguments (its raw outputs)."""
        gen = _kernels("eq4", self.inputs.nb)
        args = [self.argument(kind, data) for _, kind, data in gen.ARGUMENTS[name]]
        omega = np.asarray(getattr(self.inputs, "omega", 0.0))          # theta2_poles needs none
        if compiled.enabled() and omega.ndim == 0 and np.isrealobj(omega):
            return compiled.call(gen, name, args, self._shape)
        return getattr(gen, name)(*args)          # also ω off the real axis or varying with k (the pole tests)

    @property
    def _shape(self):
        """The kernels' output shape (nset, 2[ℓ], nk, P), to which broadcast outputs are expanded."""
        return (len(self.rates), 2, self.nk, len(self.owner))

    def kernel(self, name):
        """One eq4 kernel at every point, unweighted: (θ(q₀ = 0), ∂_{q₀ℓ}∂_ω θ of shape (nset, 2[ℓ], nk, P))."""
        val, dqw = self._call(name)
        return val, np.broadcast_to(dqw, self._shape)

    def kernels(self, name):
        """{piece: (θ(q₀ = 0), ∂_{q₀ℓ}∂_ω θ)} of one eq4 function: itself, or for "theta1_split" the three pieces
        theta1_adiabatic, theta1_skew_scattering, theta1_side_jump it returns together (∂_{q₀ℓ}∂_ω θ only: their θ is
        NaN, as lambda_generated_rates reports θ¹'s size as a whole)."""
        if name not in JOINT:
            return {name: self.kernel(name)}
        return {piece: (np.nan, np.broadcast_to(dqw, self._shape)) for piece, dqw in zip(JOINT[name], self._call(name))}

    def theta2(self):
        """∂_{q₀ℓ}∂_ω θ² at every point (numeric/response/resonance.py reads its poles)."""
        return self.kernel("theta2")[1]

    def theta2_poles(self):
        """∂_{q₀ℓ}∂_ω θ² = Σ_m C_m Π_j (ω − ω_j)^{−e_mj} at every point (generated theta2_poles; ``inputs.omega`` unused):
        (poles ω_j, their bands ((n, m): ω_j = ε_n(k+q) − ε_m(k) + …) per j, exponents (M, J), coefficients C_m
        each of shape (nset, 2[ℓ], nk, P))."""
        out = self._call("theta2_poles")
        table = _kernels("eq4", self.inputs.nb).POLES["theta2_poles"]
        J = len(table["bands"])
        return (out[:J], list(table["bands"]), np.array(table["exponents"]),
                [np.broadcast_to(c, self._shape) for c in out[J:]])

    def entries(self) -> np.ndarray:
        """(P, nsub²): the pairs summed into the entries (a, b) of Λ, on which the resonance treatment decides which
        triangles to refine (numeric/response/resonance.py; ε_{k₁k₂} is folded into the values here)."""
        return np.eye(self.inputs.model.natoms ** 2)[self.owner]

    def eq4(self, matrix):
        """Eq. (4)'s (…, nsub, nsub) of a :meth:`to_matrix` result (itself here)."""
        return matrix

    def to_matrix(self, per_pair):
        """(…, P) summed over k and ℓ → ¼ × sign × (…, nsub, nsub): Eq. (4)'s contraction of one term."""
        nsub = self.inputs.model.natoms
        ab = per_pair @ np.eye(nsub * nsub)[self.owner]                  # pair → flat (a, b)
        return 0.25 * (-1.0 if self.swap else 1.0) * ab.reshape(ab.shape[:-1] + (nsub, nsub))


class _Whole(_Contracted):
    """:class:`_Contracted` on every displacement pair: the tensor T^{ab}_{k₁k₂} = ¼ ε_{ℓk} ∂_{q₀ℓ}∂_ω θ_{k,(a,k₁),(b,k₂)}
    before Eq. (4)'s ε_{k₁k₂} (``numeric.response.contraction.contract_field``; CONVENTIONS.md §5, §8).

    The kernels are the same eq4 functions: their arguments are band-basis vertices of any displacement component, so
    the k₁ = k₂ pairs need only other columns of the same vertices (no further printing). P = 4 nsub² pairs, laid out
    (a, k₁, b, k₂), no sign folded in; the A component is aligned with ℓ as for Eq. (4). The resonance treatment decides
    on the ε_{k₁k₂} contraction (:meth:`entries`), i.e. on exactly what it decides for :class:`_Contracted`, so the
    contraction of this tensor is Λ of :func:`lambda_generated_rates` to rounding."""

    def __init__(self, inputs: _Inputs, swap: bool, rates):
        super().__init__(inputs, swap, rates)
        nsub = inputs.model.natoms
        pairs = [(a, b, k1, k2) for a in range(nsub) for k1 in (0, 1) for b in range(nsub) for k2 in (0, 1)]
        self.owner = np.array([a * nsub + b for a, b, _, _ in pairs])
        iu = np.array([2 * a + k1 for a, _, k1, _ in pairs])
        iw = np.array([2 * b + k2 for _, b, _, k2 in pairs])
        self.iu, self.iw = (iw, iu) if swap else (iu, iw)
        self.sign = np.ones(len(pairs))
        self.eps = np.array([LEVI_CIVITA_2D[k1, k2] for _, _, k1, k2 in pairs])

    def entries(self) -> np.ndarray:
        return np.eye(self.inputs.model.natoms ** 2)[self.owner] * self.eps[:, None]

    @staticmethod
    def eq4(matrix):
        return np.einsum("ij,...aibj->...ab", LEVI_CIVITA_2D, matrix)

    def to_matrix(self, per_pair):
        """(…, P) summed over k and ℓ → ¼ × sign × (…, nsub, 2, nsub, 2): one term of the tensor."""
        nsub = self.inputs.model.natoms
        return 0.25 * (-1.0 if self.swap else 1.0) * per_pair.reshape(per_pair.shape[:-1] + (nsub, 2, nsub, 2))


class _Projected(_Contracted):
    """:class:`_Contracted` plus pairs on which a mode's polarization is folded into the vertices: the value of one
    is p = Σ_{ab,ij} T^{ab}_{ij} w^a_i w^{b*}_j, the whole tensor projected on one mode (w = e/√M, CONVENTIONS.md §5).

    Every term of θ is linear in one u-carrying and one w-carrying object, so u's components are summed with w^a_i and
    w's with w^{b*}_j (exchanged for the swapped term, whose u carries (b, j)): one pair instead of the 4 nsub² of
    :class:`_Whole`, so the whole moment of a known mode costs 1/(2 nsub²) more pairs than Λ. ``w`` may hold several
    polarizations (nproj, 2 nsub), whose projections are summed into one p (the little group's images of one mode,
    :func:`lambda_projected_rates`). :meth:`to_matrix` returns (…, nsub² + 1): Λ's entries (a, b) flattened, then p;
    the resonance treatment decides on Λ's entries only."""

    def __init__(self, inputs: _Inputs, swap: bool, rates, w=None):
        super().__init__(inputs, swap, rates)
        self.w = np.atleast_2d(np.asarray(w, complex))
        self.cu, self.cw = (np.conj(self.w), self.w) if swap else (self.w, np.conj(self.w))

    def _sibling(self, inputs):
        return _Projected(inputs, self.swap, self.rates, self.w)

    @property
    def _shape(self):
        return (len(self.rates), 2, self.nk, len(self.owner) + len(self.w))

    def _pair_coefficients(self, T):
        base = super()._pair_coefficients(T)
        if "u" not in T and "w" not in T:
            return base                                        # broadcast over every pair
        ones = np.ones((len(self.w), 1))
        cu = self.cu if "u" in T else ones
        cw = self.cw if "w" in T else ones
        return np.concatenate([base, cu[:, :, None] * cw[:, None, :]])

    def entries(self) -> np.ndarray:
        return np.vstack([super().entries(), np.zeros((len(self.w), self.inputs.model.natoms ** 2))])

    @staticmethod
    def eq4(matrix):
        nsub = int(round(np.sqrt(matrix.shape[-1] - 1)))
        return matrix[..., :-1].reshape(matrix.shape[:-1] + (nsub, nsub))

    def to_matrix(self, per_pair):
        P = len(self.owner)
        lam = super().to_matrix(per_pair[..., :P])
        lam = lam.reshape(lam.shape[:-2] + (-1,))
        p = 0.25 * (-1.0 if self.swap else 1.0) * per_pair[..., P:].sum(axis=-1, keepdims=True)
        return np.concatenate([lam, p], axis=-1)


def _eq4_terms(layout: _Contracted, names, resolved: bool = False) -> dict:
    """{name: (¼ Σ_ℓ,k,k₁,k₂ ε ε ∂_{q₀ℓ}∂_ω θ, shape (nset, nsub, nsub), of one term of Eq. (4) for each damping set
    in ``layout.rates``; max|θ(q₀ = 0)| on those components)}.

    ``resolved`` keeps the k axis, (nset, nk, nsub, nsub): each k-point's weighted contribution (they sum to the total)."""
    w = np.asarray(layout.inputs.problem.weights, float)
    out = {}
    for name in names:
        for piece, (val, dqw) in layout.kernels(name).items():
            per_pair = np.einsum("slkp,k->skp", dqw, w) if resolved else np.einsum("slkp,k->sp", dqw, w)
            out[piece] = (layout.to_matrix(per_pair), float(np.abs(val).max()))
    return out


def lambda_generated(problem, omega, q, *, split: bool = True) -> dict:
    """Λ^{ab}_zz(ω, q) of Eq. (4) (CONVENTIONS.md §4, §8) with ∂_{q₀} and ∂_ω from the generated kernels.

    Returns {"Lambda": ½(current + force), "current_route": (1/16) D[Θ¹+Θ³], "force_route": (1/16) D[Θ²+Θ³],
    "eq4_as_printed": ¼ D[Θ¹+Θ²+Θ³], "by_term": {θ^s: ¼ D[Θ^s]}, "theta_at_zero_q0": {θ^s: max|θ^s(q₀=0)| over the
    components Eq. 4 contracts}, and with ``split`` the exact split of CONVENTIONS.md §1.2: "adiabatic" (Λ with
    θ¹ → θ¹^A), "nonadiabatic" = (1/32) D[Θ¹_NA] = "skew_scattering" + "side_jump" (λ^NA by the product rule)}.

    Only the contracted components are evaluated (:class:`_Contracted`); θ¹ is assembled from its three exact pieces,
    θ¹ = θ¹_A + θ¹_SS + θ¹_SJ (generated/ prints no θ¹ of its own), so its θ(q₀ = 0) is reported as NaN; ``split=False``
    leaves the pieces out of the result.
    """
    return lambda_generated_rates(problem, omega, q, [problem.rates], split=split)[0]


def lambda_generated_rates(problem, omega, q, rates_list, *, split: bool = True, resolved: bool = False,
                           resonances: bool = False, bond_cache: dict | None = None, symmetry: bool = True) -> list:
    """:func:`lambda_generated` for several damping sets at one (ω, q), sharing the band data and vertices (which do
    not depend on damping); ``problem.rates`` is ignored. Returns one dict per entry of ``rates_list``.

    ``resolved=True`` returns every matrix per k-point, shape (nk, nsub, nsub): the weighted contribution of k (the
    (ω, q) term at k plus the (−ω, −q) term at the same k), which sums to the total — the k-resolved integrand.

    ``resonances=True`` integrates θ²'s intraband pole part analytically where the grid cannot resolve it
    (numeric/response/resonance.py, CONVENTIONS.md §7.1); ``problem`` must then be on the uniform grid. Diagnostics are in
    out["resonances"].

    ``bond_cache``: a dict to share between calls with the same model, ω and q on other k-grids (the vertices' bond
    coefficients depend on q, not on k; numeric/apps/scan.py passes one per q for its two grids).

    ``symmetry``: on the Γ-centred uniform grid, without ``resolved`` or ``resonances``, sum over one k-point per
    orbit of the little group of q and unfold the rest (numeric/response/little_group.py: exact on the grid, |G_q|
    times fewer k-points, 3 at K); θ(q₀ = 0)'s size is then the largest over the points evaluated."""
    if resolved and resonances:
        raise ValueError("resolved=True gives the uniform grid's per-k contributions; pass resonances=False with it")
    nset = len(list(rates_list))
    group = reduction(problem, q) if symmetry and not resolved and not resonances else None
    if group is not None:
        reduced = replace(problem, k=group.k, weights=group.weights)
        terms, _ = _both_terms(reduced, omega, q, rates_list, _Contracted, False, False, bond_cache)
        return _assemble(terms, [], nset, split, False, contract=group.unfold)
    terms, diagnostics = _both_terms(problem, omega, q, rates_list, _Contracted, resolved, resonances, bond_cache)
    return _assemble(terms, diagnostics, nset, split, resonances)


EQ4_NAMES = ("theta1_split", "theta2", "theta3")                                   # the eq4 functions called …
EQ4_PIECES = sum((JOINT.get(n, (n,)) for n in EQ4_NAMES), ())                       # … and the pieces they return


def _both_terms(problem, omega, q, rates_list, layout_type, resolved, resonances, bond_cache):
    """Eq. (4)'s (ω, q) and swapped (−ω, −q) terms on the layout ``layout_type``: ({piece: (matrix, size)} of each,
    the resonance treatment's diagnostics). BLAS runs on one thread: its products here are stacks of tiny matrices,
    on which threads only contend (Λ(K) at nk = 96 took 4× the CPU time with OpenBLAS's default threads)."""
    q = np.asarray(q, float)
    if resonances:
        from .resonance import pole_part_correction         # kept out of the plain path's imports
    terms, diagnostics = [], []
    with threadpool_limits(limits=1, user_api="blas"):
        for sign, swap in ((1.0, False), (-1.0, True)):
            inp = _Inputs(problem, sign * q, np.zeros(2))
            inp.omega = sign * omega
            if bond_cache is not None:
                inp._phis = bond_cache.setdefault(sign, inp._phis)
            layout = layout_type(inp, swap, list(rates_list))
            terms.append(_eq4_terms(layout, EQ4_NAMES, resolved))
            if resonances:
                theta2 = layout.eq4(terms[-1]["theta2"][0])
                scale = np.abs(theta2).max(axis=(-2, -1)) / 0.25                      # undo to_matrix's ¼
                corr, info = pole_part_correction(layout, scale)
                if np.ndim(corr):                     # 0.0 when no triangle needed the treatment
                    terms[-1]["theta2"] = (terms[-1]["theta2"][0] + layout.to_matrix(corr.sum(axis=1)),
                                           terms[-1]["theta2"][1])
                diagnostics.append(info)
    return terms, diagnostics


def _assemble(terms, diagnostics, nset, split, resonances, contract=lambda m: m) -> list:
    """One dict per damping set (:func:`lambda_generated`'s keys) from the two terms; ``contract`` maps each term's
    matrix to Eq. (4)'s (nsub, nsub)."""
    plus, minus = terms
    results = []
    for s in range(nset):
        contracted = {n: contract(plus[n][0][s] + minus[n][0][s]) for n in EQ4_PIECES}
        size = {n: plus[n][1] for n in EQ4_PIECES}
        contracted["theta1"] = sum(contracted[n] for n in JOINT["theta1_split"])
        size["theta1"] = float("nan")
        by_term = {n: contracted[n] for n in ("theta1", "theta2", "theta3")}
        out = {**routes(by_term), "by_term": by_term, "theta_at_zero_q0": {n: size[n] for n in by_term}}
        if split:
            out["adiabatic"] = routes(dict(by_term, theta1=contracted["theta1_adiabatic"]))["Lambda"]
            out["skew_scattering"] = contracted["theta1_skew_scattering"] / 8
            out["side_jump"] = contracted["theta1_side_jump"] / 8
            out["nonadiabatic"] = out["skew_scattering"] + out["side_jump"]
        if resonances:
            out["resonances"] = diagnostics
        results.append(out)
    return results


def lambda_tensor_generated(problem, omega, q, rates_list, *, split: bool = True, resonances: bool = False,
                            bond_cache: dict | None = None) -> list:
    """:func:`lambda_generated_rates` from the whole tensor: the same kernels on every displacement pair (:class:`_Whole`).

    Returns one dict per damping set with :func:`lambda_generated`'s keys (Eq. 4's Λ and its split, the ε_{k₁k₂}
    contraction of the tensor: equal to :func:`lambda_generated_rates` to rounding) and "tensor": the same keys for
    T^{ab}_{k₁k₂}, shape (nsub, 2, nsub, 2) — "Lambda" is ``numeric.response.direct.lambda_tensor`` (Λ's combination
    of routes), "adiabatic" and "nonadiabatic" its exact split (CONVENTIONS.md §1.2, applied before the contraction).
    The moment of a mode from it is ``numeric.response.moment.tensor_mode_moments`` (CONVENTIONS.md §5, "the whole
    moment"). Costs about twice the kernel evaluations of :func:`lambda_generated_rates` (CHANGELOG.md)."""
    terms, diagnostics = _both_terms(problem, omega, q, rates_list, _Whole, False, resonances, bond_cache)
    nset = len(list(rates_list))
    eq4 = _assemble(terms, diagnostics, nset, split, resonances, contract=_Whole.eq4)
    for out, tensor in zip(eq4, _assemble(terms, diagnostics, nset, split, False)):
        out["tensor"] = tensor
    return eq4


def lambda_projected_rates(problem, omega, q, rates_list, w, *, resonances: bool = False,
                           bond_cache: dict | None = None, symmetry: bool = True) -> list:
    """:func:`lambda_generated_rates` (split included) and the whole tensor projected on one mode, w = e/√M
    (``numeric.response.moment.mass_weighted``), in one pass (:class:`_Projected`): out[s]["projected"] = {"Lambda",
    "adiabatic", "nonadiabatic"} of p = Σ T^{ab}_{ij} w^a_i w^{b*}_j, whose ``whole_from_projection`` is the whole
    moment (CONVENTIONS.md §5). Equal to :func:`lambda_tensor_generated` contracted with w, to rounding; the scans'
    route (one branch per q).

    ``symmetry`` (without ``resonances``, on the uniform grid): the k-sum over the rotations of the little group as in
    :func:`lambda_generated_rates`, p being the sum over g of the projections on the images w_g of the mode
    (:meth:`~numeric.response.little_group.LittleGroup.polarizations`) at the representatives."""
    nset = len(list(rates_list))
    layout, contract = partial(_Projected, w=w), _Projected.eq4
    group = reduction(problem, q, rotations_only=True) if symmetry and not resonances else None
    if group is not None:
        problem = replace(problem, k=group.k, weights=group.weights)
        layout = partial(_Projected, w=group.polarizations(w))
        contract = lambda m: group.unfold(_Projected.eq4(m))                              # noqa: E731
    terms, diagnostics = _both_terms(problem, omega, q, rates_list, layout, False, resonances, bond_cache)
    eq4 = _assemble(terms, diagnostics, nset, True, resonances, contract=contract)
    for out, projected in zip(eq4, _assemble(terms, diagnostics, nset, True, False, contract=lambda m: m[..., -1])):
        out["projected"] = projected
    return eq4
