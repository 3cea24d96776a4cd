"""The public Python API: build a model, ask for the moment of a phonon mode, scan it along a path or over the zone.

Everything here is re-exported from :mod:`numeric` (``import numeric``); the layers below (``numeric.model``,
``numeric.response``, ``numeric.verify``, ``numeric.apps``, ``numeric.output``) are implementation that may move.

Units throughout: energies and damping in eV, wave vectors in 1/Å, lengths in Å, masses in u, temperature in K,
moments in nuclear magnetons μ_N per phonon quantum (CONVENTIONS.md §5, §6). The damping triple ``eta`` is the paper's
(η_p, η_c, η_v), in that order (CONVENTIONS.md §1.1).

Example
-------
>>> import numeric
>>> model = numeric.honeycomb_model()                  # the paper's gapped graphene
>>> phonons = numeric.graphene_phonons(model)
>>> r = numeric.moment(model, phonons, "K", nk=24)     # the top branch at K
>>> r.total, r.adiabatic, r.nonadiabatic               # μ_N per phonon (Eq. 4 and the exact split)
"""

from __future__ import annotations

import os
import time
import warnings
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from .model.brillouin import Path as ZonePath
from .model.brillouin import fold, high_symmetry_path
from .model.honeycomb import HoneycombParameters
from .model.honeycomb import honeycomb_model as _honeycomb_model
from .model.importers import from_pythtb  # noqa: F401  (public, re-exported)
from .model.model_file import load_model, shipped_models  # noqa: F401  (load_model: public, re-exported)
from .model.phonons import CARBON_MASS_U, Phonons, angular_momentum, saito_graphene
from .model.tight_binding import TightBindingModel
from .model.zone import Wedge, irreducible_wedge, symmetry_group
from .response.damping import rates_from_paper
from .response.moment import (ionic_moment_muN, mass_weighted, mode_moment, tensor_mode_moments, to_bohr_magnetons,
                              to_nuclear_magnetons, whole_from_projection)
from .response.problem import MIN_NK, RELIABLE_NK, LambdaResult, coarse_nk, uniform_problem
from .validation import ParameterError

DEFAULT_ION_CHARGE = 6.0
"""e; the ions' charge when neither the caller nor the phonons give one (bare carbon, the paper's model)."""
POINTS = ("G", "K", "M", "Kp")
"""Named high-symmetry points of the hexagonal zone (Γ, K, M, K′ = −K)."""
DEFAULT_ETA = (0.04, 0.04, 0.04)
"""(η_p, η_c, η_v) in eV of ``moment`` and ``path`` (the paper's Fig. 2 b)."""
MAP_ETA = (0.02, 0.004, 0.02)
"""(η_p, η_c, η_v) in eV of ``zone_map`` (the paper's Fig. 2 g, where λ^NA is largest)."""
ACOUSTIC_ENERGY_FLOOR = 1e-4
"""eV; below this a mode is treated as ω = 0, where the moment per phonon (∝ 1/ω) diverges."""
METHODS = ("generated", "direct")
DEFAULT_TOLERANCE = 1e-2
"""``moment`` warns when its k-grid error estimate exceeds this fraction of max|Λ| (CONVENTIONS.md §7)."""
MEMORY_PER_KPOINT = 40e3
"""Bytes of peak memory per k-point of one Λ (measured 31 kB generated, 24 kB direct at nk = 24–72, plus margin)."""
MEMORY_BASE = 100e6
"""Bytes of peak memory independent of the grid (interpreter, NumPy, the model; measured 47–60 MB)."""


class AccuracyWarning(UserWarning):
    """A result was computed but may be inaccurate or outside the formalism's validity (the message says why and
    what to change). Also listed in the result's ``warnings``."""
PARTS = ("total", "adiabatic", "nonadiabatic", "skew_scattering", "side_jump")
"""The moment and its exact split λ = λ^A + λ^NA, λ^NA = λ^SS + λ^SJ (CONVENTIONS.md §1.2)."""


# --------------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------------
def honeycomb_model(**overrides) -> TightBindingModel:
    """The paper's gapped-graphene tight-binding model ("Lattice model" paragraph of the paper).

    Parameters
    ----------
    **overrides
        Any of ``t`` (nearest-neighbour hopping, eV; default −2.8), ``delta`` (staggered potential ±Δ, eV, gap 2Δ;
        default 1.0), ``tprime`` (next-nearest-neighbour hopping, eV; default 0), ``beta`` (−∂ln|t|/∂ln a₀; default
        3.37), ``beta_prime`` (the same for t′; follows ``beta`` unless given), ``a0`` (bond length, Å; default 1.42),
        ``peierls`` ("equilibrium" or "displaced", CONVENTIONS.md §2).

    Returns
    -------
    TightBindingModel
        Every vertex of the model (F, v, ∂v/∂R, F^{ab} of the paper's Eq. 2) is an exact derivative of its one
        real-space description (CONVENTIONS.md §2).
    """
    known = {f.name for f in fields(HoneycombParameters)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ParameterError(f"honeycomb_model got unknown parameter(s) {unknown}: use any of {sorted(known)}.")
    if "beta" in overrides and "beta_prime" not in overrides:
        overrides["beta_prime"] = overrides["beta"]
    return _honeycomb_model(**overrides)


def graphene_phonons(model: TightBindingModel | None = None, *, masses=(CARBON_MASS_U, CARBON_MASS_U)) -> Phonons:
    """In-plane phonons of graphene from the force constants of Saito et al. (three neighbour shells).

    Parameters
    ----------
    model : TightBindingModel, optional
        Supplies the lattice (default: :func:`honeycomb_model`'s, bond length 1.42 Å).
    masses : (2,) tuple of float
        Sublattice masses (A, B) in u; carbon by default. Unequal masses break inversion and make the modes at K
        chiral at zero field.

    Returns
    -------
    Phonons
        ``modes(q)`` gives the energies ħω (eV, ascending; 0, 1 acoustic, 2, 3 optical) and polarization vectors.
    """
    lattice = (model or honeycomb_model()).lattice
    return Phonons(lattice, saito_graphene(masses))


def chern_number(model: TightBindingModel, nfilled: int = 1, nk: int = 36) -> float:
    """Chern number of the ``nfilled`` lowest bands (Fukui–Hatsugai–Suzuki lattice method on an nk × nk grid; the sign
    of C = (1/2π) ∫ Ω d²k with Ω = i⟨∂u|×|∂u⟩ as in numeric/model/bands.py). ±1 for the shipped ``haldane`` model
    (|M| < 3√3 |t₂ sin φ|), 0 for the paper's model. Returns the float (an integer to rounding once nk resolves Ω)."""
    from .model.bands import chern_number as _chern
    return _chern(model, nfilled, nk)


def models() -> dict:
    """The model files shipped with the package: {name: "its name — its source"} (``load_model(name)`` reads one)."""
    from .model.model_file import read_model_file
    out = {}
    for name in shipped_models():
        f = read_model_file(name)
        out[name] = f.name + (f" — {f.source}" if f.source else "")
    return out


# --------------------------------------------------------------------------------------------------
# The moment of one mode
# --------------------------------------------------------------------------------------------------
_MATRICES = ("Lambda", "Lambda_current_route", "Lambda_force_route", "Lambda_eq4_as_printed", "Lambda_adiabatic",
             "Lambda_nonadiabatic", "Lambda_skew_scattering", "Lambda_side_jump")
UNITS = {"q": "1/Å", "omega": "eV", "total": "μ_N per phonon (real part of m_ν, CONVENTIONS.md §5)",
         "ionic_muN": "μ_N per phonon from the ions as point charges ion_charge·e (numeric/response/moment.py)",
         "angular_momentum": "ħ: the mode's phonon angular momentum e† L_z e (Zhang & Niu)",
         "adiabatic": "μ_N per phonon, exact split (CONVENTIONS.md §1.2); likewise nonadiabatic, "
                      "skew_scattering, side_jump",
         "whole_muN": "μ_N per phonon: the whole moment (real part), from the tensor before Eq. (4)'s ε contraction "
                      "(CONVENTIONS.md §5); whole_adiabatic_muN, whole_nonadiabatic_muN its exact split",
         "Lambda": "[re, im] of Λ^{ab}_zz, e=ħ=1, eV/Å units, per primitive cell; "
                   "Λ = mean of the current and force routes (CONVENTIONS.md §4, §8); "
                   "Lambda_adiabatic/nonadiabatic/skew_scattering/side_jump: the exact split (§1.2)"}


@dataclass(frozen=True)
class MomentResult:
    """The moment of one phonon mode and the Λ^{ab}_zz it comes from (the paper's Eq. 4), by either method.

    Attribute names are the keys of ``phonon-moment lambda --json``; :meth:`to_dict` gives exactly that object.

    Attributes
    ----------
    q : list of float
        Phonon wave vector, 1/Å (Cartesian).
    omega : float
        Phonon energy ħω, eV (the branch's, unless given).
    branch : int
        Branch index, ascending energy.
    total, moment_muN : float
        The moment per phonon quantum, μ_N: the real (reactive) part of m_ν (CONVENTIONS.md §5); the two names hold
        the same number.
    total_dissipative : float
        Its imaginary part, μ_N: the field-odd difference of the circular modes' damping (zero without damping).
    adiabatic, nonadiabatic, skew_scattering, side_jump : float
        The exact split of ``total``, μ_N (CONVENTIONS.md §1.2; λ^NA = λ^SS + λ^SJ, the paper's Eq. 7).
    moment_muB : float
        ``total`` in Bohr magnetons.
    ionic_muN : float
        The ions' own moment, point charges ``ion_charge``·e circling with the mode, μ_N.
    ion_charge : float or list of float
        The ions' charge in e (6: bare carbon; a model file's atoms carry their own).
    angular_momentum : float
        The mode's phonon angular momentum l_z = e† L_z e (Zhang & Niu), units of ħ: zero for every mode when inversion
        and time reversal hold (CONVENTIONS.md §5), ±1 for a fully circular mode.
    Lambda, Lambda_current_route, Lambda_force_route, Lambda_eq4_as_printed, Lambda_adiabatic, Lambda_nonadiabatic,
    Lambda_skew_scattering, Lambda_side_jump : (nsub, nsub) complex arrays
        Λ^{ab}_zz and its pieces (:class:`numeric.response.problem.LambdaResult`), e = ħ = 1, eV·Å units, per cell.
    method : {"generated", "direct"}
        The fast path through the derived kernels, or the independent referee.
    resonances : bool
        Whether the force route's intraband resonances were integrated analytically (CONVENTIONS.md §7.1).
    nk : int
        The k-grid, nk×nk points.
    fd_error_Lambda : float or None
        The referee's finite-difference error of Λ (None for the generated method, which takes ∂_{q₀} analytically).
    theta_at_zero_q0 : dict
        max |θ^s| at q₀ = 0 (Eq. 3), reported; None where not evaluated (the generated method assembles θ¹ from its
        split pieces).
    eta : dict
        The paper's damping, {"p": η_p, "c": η_c, "v": η_v} in eV.
    seconds : float
        Wall time of the computation.
    kgrid_error_estimate : float or None
        max|Λ(nk) − Λ(3nk/4)| / max|Λ(nk)|, the k-grid error estimate (CONVENTIONS.md §7); None when not computed
        (``error_estimate=False``) or when nk is too small for a second grid.
    warnings : list of str
        What may make the number inaccurate or invalid, each with what to change; empty when there is nothing to say.
    units : dict
        The units of the keys above, in words.
    whole_muN, whole_dissipative_muN : float or None
        The whole moment of the mode, μ_N: the field-linear shift of its frequency, from the tensor T^{ab}_{ij} before
        Eq. (4)'s ε contraction (CONVENTIONS.md §5, §8), its real (reactive) part like ``total``, and its imaginary part.
        Equal to ``total`` at Γ; away from Γ Eq. (4) keeps only part of it (at K the A-circular mode's whole moment is
        about twice Eq. 4's). None with ``whole=False``.
    whole_adiabatic_muN, whole_nonadiabatic_muN : float or None
        Its exact split (CONVENTIONS.md §1.2, taken before the contraction); None where the split is not defined: the
        referee's tensor (``method="direct"``) is not split.
    """

    q: list
    omega: float
    branch: int
    total: float
    total_dissipative: float
    Lambda: np.ndarray
    Lambda_current_route: np.ndarray
    Lambda_force_route: np.ndarray
    Lambda_eq4_as_printed: np.ndarray
    Lambda_adiabatic: np.ndarray
    Lambda_nonadiabatic: np.ndarray
    Lambda_skew_scattering: np.ndarray
    Lambda_side_jump: np.ndarray
    adiabatic: float
    nonadiabatic: float
    skew_scattering: float
    side_jump: float
    moment_muN: float
    ionic_muN: float
    ion_charge: float | list
    angular_momentum: float
    moment_muB: float
    method: str
    resonances: bool
    nk: int
    fd_error_Lambda: float | None
    theta_at_zero_q0: dict
    eta: dict
    seconds: float
    units: dict = field(default_factory=lambda: dict(UNITS))
    kgrid_error_estimate: float | None = None
    warnings: list = field(default_factory=list)
    whole_muN: float | None = None
    whole_dissipative_muN: float | None = None
    whole_adiabatic_muN: float | None = None
    whole_nonadiabatic_muN: float | None = None

    def to_dict(self) -> dict:
        """The JSON object of ``phonon-moment lambda --json``: complex matrices as nested [re, im] pairs."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = _pairs(value) if f.name in _MATRICES else value
        return out


def _pairs(M) -> list:
    return [[[float(z.real), float(z.imag)] for z in row] for row in np.asarray(M)]


def resolve_q(lattice, q) -> np.ndarray:
    """A wave vector (1/Å) from a point name of :data:`POINTS` or a Cartesian 2-vector."""
    if isinstance(q, str):
        if q not in POINTS:
            raise ParameterError(f"q = {q!r} is not a named point: use one of {', '.join(POINTS)} or a Cartesian "
                                 "2-vector in 1/Å.")
        return lattice.point(q)
    v = np.asarray(q, dtype=float)
    if v.shape != (2,) or not np.all(np.isfinite(v)):
        raise ParameterError(f"q must be a point name or a finite Cartesian 2-vector in 1/Å, got {q!r}.")
    return v


def branch_index(branch, nmodes: int) -> int:
    """The branch index (ascending energy) of ``branch``: "top" or an integer 0 … nmodes − 1."""
    if branch == "top":
        return nmodes - 1
    try:
        b = int(branch)
    except (TypeError, ValueError):
        raise ParameterError(f"branch must be 'top' or an integer 0..{nmodes - 1}, got {branch!r}.") from None
    if not 0 <= b < nmodes:
        raise ParameterError(f"branch must be in 0..{nmodes - 1} (ascending energy), got {b}.")
    return b


def _eta(eta) -> tuple:
    try:
        eta_p, eta_c, eta_v = (float(x) for x in eta)
    except (TypeError, ValueError):
        raise ParameterError(f"eta must be the paper's three damping values (eta_p, eta_c, eta_v) in eV, got "
                             f"{eta!r}.") from None
    return eta_p, eta_c, eta_v


def solve(method: str, problem, omega: float, q, *, resonances: bool = False) -> LambdaResult:
    """Λ^{ab}_zz (Eq. 4) at (ω, q) on ``problem`` by the referee ("direct") or the derived kernels ("generated"; with
    ``resonances`` the force route's intraband resonances are integrated analytically, CONVENTIONS.md §7.1)."""
    return _solve(method, problem, omega, q, resonances=resonances)[0]


def _solve(method: str, problem, omega: float, q, *, resonances: bool = False, mode=None) -> tuple:
    """(:func:`solve`'s Λ, and given ``mode`` = (polarization, masses in u) the whole moment of that mode m̃ (complex,
    e = ħ = 1; CONVENTIONS.md §5) of {"Lambda", "adiabatic", "nonadiabatic"}, the split None for the referee, whose
    tensor is not split; else None)."""
    if method == "direct":
        from .response.direct import lambda_matrix, lambda_tensor
        whole = None if mode is None else {"Lambda": tensor_mode_moments(lambda_tensor(problem, omega, q), *mode),
                                           "adiabatic": None, "nonadiabatic": None}
        return lambda_matrix(problem, omega, q), whole
    if method != "generated":
        raise ParameterError(f"method must be one of {METHODS}, got {method!r}.")
    from .response.fast import lambda_generated_rates, lambda_projected_rates     # imports generated/ on first use
    whole = None
    if mode is None:
        r = lambda_generated_rates(problem, omega, q, [problem.rates], resonances=resonances)[0]
    else:                  # the mode folded into the vertices: Λ and the whole moment in one pass
        r = lambda_projected_rates(problem, omega, q, [problem.rates], mass_weighted(*mode), resonances=resonances)[0]
        whole = {key: whole_from_projection(value) for key, value in r["projected"].items()
                 if key in ("Lambda", "adiabatic", "nonadiabatic")}
    return LambdaResult(r["Lambda"], r["current_route"], r["force_route"], r["eq4_as_printed"], r["by_term"],
                        float("nan"), r["theta_at_zero_q0"], r["adiabatic"], r["nonadiabatic"], r["skew_scattering"],
                        r["side_jump"], 0.0), whole


def available_memory() -> float | None:
    """Bytes of memory available now (Linux ``MemAvailable``; the physical memory elsewhere), or None if unknown."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return 1024.0 * float(line.split()[1])
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def memory_estimate(nk: int, processes: int = 1) -> float:
    """Estimated peak memory (bytes) of Λ on an nk×nk grid, in each of ``processes`` processes together."""
    return processes * (MEMORY_BASE + MEMORY_PER_KPOINT * float(nk) ** 2)


def check_memory(nk: int, max_memory_gib: float | None = None, processes: int = 1) -> None:
    """Refuse before allocating when :func:`memory_estimate` exceeds ``max_memory_gib`` (default: what is
    available), naming the estimate and the largest nk that fits."""
    limit = available_memory() if max_memory_gib is None else float(max_memory_gib) * 2**30
    if limit is None or not np.isfinite(nk):
        return
    need = memory_estimate(nk, processes)
    if need > limit:
        fits = int(np.sqrt(max(limit / processes - MEMORY_BASE, 0.0) / MEMORY_PER_KPOINT))
        advice = f"pass nk ≤ {fits}" if fits >= MIN_NK else "no k-grid fits"
        raise ParameterError(
            f"nk = {nk} needs about {need / 2**30:.3g} GiB ({processes} process(es) × {nk}² k-points), more than the "
            f"{limit / 2**30:.3g} GiB {'available' if max_memory_gib is None else 'allowed by max_memory'}: "
            f"{advice}; use fewer workers or a larger max_memory (--max-memory GIB).")


def _kgrid_error(method, model, nk, rates, mu, temperature, omega, q, resonances, Lambda):
    """The k-grid error estimate of Λ (the convention of the scans: the 3nk/4 grid) and what to warn about it."""
    notes = []
    if nk < RELIABLE_NK:
        notes.append(f"nk = {nk} is below {RELIABLE_NK}, the smallest grid for which the k-grid error estimate is "
                     "claimed (CONVENTIONS.md §7): the value may be far from converged; increase nk.")
    coarse = coarse_nk(nk)
    if coarse == nk:
        notes.append(f"nk = {nk} is too small for a second grid, so no error estimate was made; use nk ≥ 4.")
        return None, notes
    other = solve(method, uniform_problem(model, coarse, rates, mu=mu, temperature=temperature), omega, q,
                  resonances=resonances).Lambda
    return float(np.abs(Lambda - other).max() / max(np.abs(Lambda).max(), 1e-300)), notes


def _validity(model, problem, q, omega, mu, temperature) -> list:
    """Warnings for a request outside the formalism's validity, from the bands on the problem's grid."""
    from .model.bands import diagonalize
    from .units import kelvin_to_ev

    notes = []
    e0 = diagonalize(model.hamiltonian(problem.k))[0]
    eq = diagonalize(model.hamiltonian(problem.k + q))[0]
    width = float(e0.max() - e0.min())
    if temperature > 0 and kelvin_to_ev(temperature) > width:
        notes.append(f"k_B T = {kelvin_to_ev(temperature):.3g} eV exceeds the whole bandwidth ({width:.3g} eV): every "
                     "band is nearly half filled and the moment nearly vanishes; use a physical temperature.")
    inside = [n for n in range(e0.shape[-1]) if e0[:, n].min() < mu < e0[:, n].max()]
    if inside and temperature == 0:
        notes.append(f"mu = {mu} eV lies inside band {inside[0]} (a metal) at T = 0: the Fermi surface is sampled by "
                     "the k-grid alone, so the sum converges slowly and the two methods differ until it does; "
                     "check the error estimate, increase nk, or set a temperature.")
    occupied, empty = e0 < mu, e0 > mu
    if not inside and occupied.any() and empty.any():
        top = np.where(occupied, e0, -np.inf).max(axis=-1)
        gap = min(float((np.where(empty, e0, np.inf).min(axis=-1) - top).min()),
                  float((np.where(eq > mu, eq, np.inf).min(axis=-1) - top).min()))
        if abs(omega) >= gap:
            notes.append(f"ħω = {omega:g} eV reaches the smallest direct gap on the grid ({gap:.4g} eV): real interband "
                         "absorption makes the expansion resonant, so the number is outside the formalism's validity "
                         "(the paper's phonons lie far below the gap); use ħω below the gap.")
    return notes


def _require_finite(res, model, q, omega) -> None:
    """Refuse a non-finite Λ, naming the parameters far outside any physical range where there are some."""
    if all(np.all(np.isfinite(x)) for x in (res.Lambda, res.adiabatic, res.side_jump) if x is not None):
        return
    d = model.describe()
    big = [f"{name} = {v:.3g}" for name, values in (("onsite", d["onsite"]), ("beta", [h["beta"] for h in d["hoppings"]]),
                                                   ("t", [abs(complex(*h["t0"])) for h in d["hoppings"]]))
           for v in sorted(set(values)) if abs(v) > 1e3]
    cause = (f"the model parameter(s) {', '.join(big)} overflow the vertices; pass physical values (|t|, Δ of a few "
             "eV, β of order 1–10)") if big else ("a resonance the damping does not regularize; increase eta or move "
                                                  "q off the singular point")
    raise ParameterError(f"Λ is not finite at q = {[round(float(x), 6) for x in q]} 1/Å, ħω = {omega:g} eV: {cause}.")


def moment(model: TightBindingModel, phonons: Phonons, q, *, branch="top", eta=DEFAULT_ETA, omega: float | None = None,
           nk: int = 48, method: str = "generated", resonances: bool = True, mu: float = 0.0,
           temperature: float = 0.0, ion_charge=None, tolerance: float | None = None, error_estimate: bool = True,
           max_memory_gib: float | None = None, whole: bool = True) -> MomentResult:
    """The magnetic moment of one phonon mode, from Λ^{ab}_zz of the paper's Eq. (4), and its exact split.

    m_ν = (iħ/2) Σ_ab (Λ^{ab} + Λ^{ba}) (e^a × e^{b*})_z / √(M_a M_b) per phonon quantum (CONVENTIONS.md §5), with
    Λ = λ^A + λ^NA and λ^NA = λ^SS + λ^SJ (the paper's Eq. 7; CONVENTIONS.md §1.2).

    Parameters
    ----------
    model : TightBindingModel
        The electrons (e.g. :func:`honeycomb_model`).
    phonons : Phonons
        The ions (e.g. :func:`graphene_phonons`); its lattice must be the model's.
    q : str or (2,) array_like
        A point name of :data:`POINTS` ("G", "K", "M", "Kp") or a Cartesian wave vector in 1/Å.
    branch : "top" or int
        The phonon branch, ascending energy (0, 1 acoustic; 2, 3 optical for graphene).
    eta : (3,) tuple of float
        The paper's damping (η_p, η_c, η_v) in eV, in that order (CONVENTIONS.md §1.1).
    omega : float, optional
        Phonon energy ħω in eV at which Λ(ω, q) is evaluated; default: the branch's own.
    nk : int
        The Γ-centred nk×nk k-grid.
    method : {"generated", "direct"}
        "generated": the kernels SymPy derived (``generated/``), ∂_{q₀} analytic; "direct": the independent referee
        solving Eq. (5) numerically (slower; reports its finite-difference error).
    resonances : bool
        Generated method only: integrate the force route's intraband resonances analytically (CONVENTIONS.md §7.1).
        The referee always stays on the uniform grid.
    mu : float
        Chemical potential, eV (0: mid-gap).
    temperature : float
        Kelvin.
    ion_charge : float or sequence of float, optional
        The ions' charge in e for ``ionic_muN`` (one number for all, or one per atom); default: the atoms' charges of
        a model file (``phonons.force_constants.charges``), else 6 (bare carbon).
    tolerance : float, optional
        Raise :class:`ParameterError` if the k-grid error estimate exceeds it; without it, an estimate above
        :data:`DEFAULT_TOLERANCE` gives an :class:`AccuracyWarning`.
    error_estimate : bool
        Compute the k-grid error estimate max|Λ(nk) − Λ(3nk/4)| / max|Λ(nk)| (the convention of ``path`` and
        ``zone_map``; CONVENTIONS.md §7). It costs about 60 % more; off, ``kgrid_error_estimate`` is None.
    max_memory_gib : float, optional
        Refuse a grid whose estimated peak memory exceeds this (GiB); default: the memory available now.
    whole : bool
        Also report the whole moment (``whole_muN`` and its split; CONVENTIONS.md §5, §8) from the tensor before
        Eq. (4)'s contraction: on the generated path in the same pass as Λ (the mode folded into the vertices), at
        about the same cost; on the referee's a second evaluation (its ``lambda_tensor``).

    Returns
    -------
    MomentResult
        With ``warnings``: what may make the number inaccurate or invalid (also issued as :class:`AccuracyWarning`):
        a k-grid estimate above the tolerance, ħω at or above the smallest direct gap (real interband absorption: the
        expansion is resonant), a metal at T = 0 (μ inside a band), k_B T beyond the bandwidth.
    """
    q = resolve_q(model.lattice, q)
    eta_p, eta_c, eta_v = _eta(eta)
    if method not in METHODS:
        raise ParameterError(f"method must be one of {METHODS}, got {method!r}.")
    if phonons.nsub != model.natoms:
        raise ParameterError(f"phonons has {phonons.nsub} atoms but the model {model.natoms}: build both from one "
                             "model file (numeric.load_model) or one lattice.")
    energies, vectors = phonons.modes(q)
    b = branch_index(branch, energies.shape[-1])
    omega = float(energies[b] if omega is None else omega)
    if abs(omega) < ACOUSTIC_ENERGY_FLOOR:
        raise ParameterError(
            f"branch {b} has ħω = {omega:.2e} eV at q = {tuple(np.round(q, 6))} (an acoustic mode at Γ): the moment per "
            "phonon diverges as 1/ω; choose an optical branch or a q away from Γ.")
    rates = rates_from_paper(eta_p, eta_c, eta_v, model.nsub)
    resonances = bool(resonances) and method == "generated"
    check_memory(nk, max_memory_gib)
    t0 = time.perf_counter()
    problem = uniform_problem(model, nk, rates, mu=mu, temperature=temperature)
    notes = _validity(model, problem, q, omega, mu, temperature)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):   # a non-finite Λ is refused just below
        res, mw = _solve(method, problem, omega, q, resonances=resonances,
                         mode=(vectors[:, b], phonons.force_constants.masses) if whole else None)
    _require_finite(res, model, q, omega)
    e, masses = vectors[:, b], phonons.force_constants.masses
    part = {name: to_nuclear_magnetons(mode_moment(getattr(res, name), e, masses).real)
            for name in ("adiabatic", "nonadiabatic", "skew_scattering", "side_jump")}
    m = mode_moment(res.Lambda, e, masses)
    wholes = {}
    if mw is not None:
        wholes = {"whole_muN": float(to_nuclear_magnetons(mw["Lambda"].real)),
                  "whole_dissipative_muN": float(to_nuclear_magnetons(mw["Lambda"].imag))}
        wholes.update({f"whole_{p}_muN": None if mw[p] is None else float(to_nuclear_magnetons(mw[p].real))
                       for p in ("adiabatic", "nonadiabatic")})
    if ion_charge is None:                  # the atoms' own charges (a model file's), else bare carbon
        ion_charge = phonons.force_constants.charges or DEFAULT_ION_CHARGE
        if np.ndim(ion_charge) and len(set(ion_charge)) == 1:
            ion_charge = ion_charge[0]
    charges = np.broadcast_to(np.asarray(ion_charge, float), (model.natoms,))
    kgrid_error = None
    if error_estimate or tolerance is not None:
        kgrid_error, more = _kgrid_error(method, model, nk, rates, mu, temperature, omega, q, resonances, res.Lambda)
        notes += more
        limit = DEFAULT_TOLERANCE if tolerance is None else tolerance
        if kgrid_error is not None and kgrid_error > limit:
            message = (f"nk = {nk} is too coarse for tolerance {limit:g}: the k-grid error estimate is "
                       f"{kgrid_error:.2e} of max|Λ| (Λ on nk = {coarse_nk(nk)} against nk = {nk}); increase nk "
                       f"(try {2 * nk}).")
            if tolerance is not None:
                raise ParameterError(message)
            notes.append(message)
    for note in notes:
        warnings.warn(note, AccuracyWarning, stacklevel=2)
    return MomentResult(
        q=[float(x) for x in q], omega=omega, branch=b,
        total=to_nuclear_magnetons(m.real), total_dissipative=to_nuclear_magnetons(m.imag),
        Lambda=res.Lambda, Lambda_current_route=res.current_route, Lambda_force_route=res.force_route,
        Lambda_eq4_as_printed=res.eq4_as_printed, Lambda_adiabatic=res.adiabatic,
        Lambda_nonadiabatic=res.nonadiabatic, Lambda_skew_scattering=res.skew_scattering,
        Lambda_side_jump=res.side_jump, **part,
        moment_muN=to_nuclear_magnetons(m.real), ionic_muN=ionic_moment_muN(e, masses, charges),
        angular_momentum=float(angular_momentum(e[:, None])[0]),
        ion_charge=float(charges[0]) if np.ndim(ion_charge) == 0 else [float(z) for z in charges],
        moment_muB=to_bohr_magnetons(m.real), method=method, resonances=resonances, nk=int(nk),
        fd_error_Lambda=res.fd_error if np.isfinite(res.fd_error) else None,
        theta_at_zero_q0={k: (float(v) if np.isfinite(v) else None) for k, v in res.theta_at_zero_q0.items()}, eta={"p": eta_p, "c": eta_c, "v": eta_v},
        seconds=time.perf_counter() - t0, kgrid_error_estimate=kgrid_error, warnings=notes, **wholes)


# --------------------------------------------------------------------------------------------------
# Scans: a branch along a path, over the zone
# --------------------------------------------------------------------------------------------------
ERROR_CONVENTION = "k-grid estimate: |value(nk) − value(3nk/4)|, Γ-centred grids (numeric/apps/scan.py)"


def _scan(model, phonons, q, *, branch, eta, nk, mu, temperature, resonances, workers, progress, desc, whole):
    from .apps.scan import default_workers, scan_branch
    b = branch_index(branch, 2 * model.natoms)
    check_memory(nk, processes=min(default_workers() if workers is None else max(1, int(workers)), len(q)))
    return scan_branch(model, phonons, q, branch=b, etas=[_eta(eta)], nk=nk, mu=mu, temperature=temperature,
                       workers=workers, progress=progress, desc=desc, resonances=resonances, whole=whole)


def _parts(scan) -> tuple:
    """The moments a scan holds: :data:`PARTS`, and the whole moment's (``whole_muN``, …) when it was computed."""
    return tuple(scan.moment)


def _columns(scan, s: int = 0) -> dict:
    """{name: values} of every moment and its error estimate for damping set ``s`` of a scan (μ_N): Eq. (4)'s parts
    and their errors, then the whole moment's, so that files keep the old columns first."""
    cols = {}
    for group in (PARTS, tuple(p for p in _parts(scan) if p not in PARTS)):
        cols.update({f"{p}_muN": scan.moment[p][s] for p in group})
        cols.update({f"{p}_error_muN": scan.error[p][s] for p in group})
    return cols


def _scan_parameters(scan, model, extra) -> dict:
    eta_p, eta_c, eta_v = scan.etas[0]
    return {"model": model.describe(), "branch": scan.branch, "eta": {"p": eta_p, "c": eta_c, "v": eta_v},
            "nk": scan.nk, "units": {"moments": "μ_N per phonon", "omega": "eV", "q": "1/Å"},
            "method": "generated kernels", "split": "exact (CONVENTIONS.md §1.2)", "error": ERROR_CONVENTION,
            **(extra or {})}


@dataclass(frozen=True)
class PathResult:
    """The moment of one branch along a path through the zone, with its exact split and error estimates.

    Attributes
    ----------
    path : numeric.model.brillouin.Path
        The q-points (``path.k``, 1/Å), the distance along the path and the labelled ticks.
    scan : numeric.apps.scan.BranchScan
        Everything computed per q: Λ, moments, error estimates, angular momentum (one damping set).
    model : TightBindingModel
    """

    path: ZonePath
    scan: object
    model: TightBindingModel

    @property
    def q(self) -> np.ndarray:
        """(nq, 2) wave vectors, 1/Å."""
        return self.path.k

    @property
    def omega(self) -> np.ndarray:
        """(nq,) the branch's ħω, eV."""
        return self.scan.omega

    def moments(self) -> dict:
        """{"total_muN", "adiabatic_muN", …, "total_error_muN", …}: (nq,) arrays in μ_N per phonon."""
        return _columns(self.scan)

    def to_dict(self) -> dict:
        """Plain lists (JSON-ready): distance (1/Å), q, omega (eV), and every moment and error (μ_N)."""
        return {"distance": self.path.distance.tolist(), "q": self.path.k.tolist(), "omega": self.omega.tolist(),
                "labels": list(self.path.labels), "ticks": self.path.ticks.tolist(),
                **{k: v.tolist() for k, v in self.moments().items()}}

    def save(self, out, parameters: dict | None = None) -> Path:
        """Write ``path.npz`` + ``path.json`` (parameters, units, provenance), ``path.csv`` and ``path.png`` into
        the folder ``out``; ``parameters`` are added to the JSON sidecar. Returns the folder."""
        from .output.files import save
        from .output.plots import path_curves

        out, scan, cols = Path(out), self.scan, self.moments()
        params = _scan_parameters(scan, self.model, {"path": "-".join(self.path.labels), **(parameters or {})})
        save(out / "path", {"distance": self.path.distance, "q": self.path.k, "omega_eV": scan.omega, **cols,
                            "Lambda": scan.Lambda["total"][0]}, params)
        names = list(cols)
        header = "distance_invA,qx_invA,qy_invA,omega_eV," + ",".join(names)
        np.savetxt(out / "path.csv", np.column_stack([self.path.distance, self.path.k, scan.omega]
                                                     + [cols[n] for n in names]),
                   delimiter=",", header=header, comments="")
        eta_p, eta_c, eta_v = scan.etas[0]
        caption = f"branch {scan.branch}, η_p={eta_p}, η_c={eta_c}, η_v={eta_v} eV, nk={scan.nk}; exact split"
        path_curves(self.path, {p: scan.moment[p][0] for p in _parts(scan)}, {p: scan.error[p][0] for p in _parts(scan)},
                    "moment per phonon (μ_N)", out / "path.png", title=f"moment of phonon branch {scan.branch}",
                    caption=caption)
        return out


def path(model: TightBindingModel, phonons: Phonons, *, points=("G", "K", "M", "G"), npath: int = 10, branch="top",
         eta=DEFAULT_ETA, nk: int = 24, mu: float = 0.0, temperature: float = 0.0, resonances: bool = True,
         workers: int | None = None, progress: bool | None = None, whole: bool = True) -> PathResult:
    """The moment of one branch along straight segments between named points, with its exact split (Eq. 4, Eq. 7).

    Each value is the generated kernels' Λ on the Γ-centred nk×nk grid, with the error estimate |value(nk) −
    value(3nk/4)| (claimed for nk ≥ 24, CONVENTIONS.md §7).

    Parameters
    ----------
    points : sequence of str
        Named points (:data:`POINTS`), e.g. ("G", "K", "M", "G").
    npath : int
        q-points per segment.
    branch, eta, nk, mu, temperature, resonances
        As :func:`moment`: damping (η_p, η_c, η_v) and μ in eV, temperature in K (the branch must be optical on a
        path through Γ, where acoustic modes have ω = 0).
    workers : int, optional
        Worker processes (default: all cores).
    progress : bool, optional
        Progress bar (default: on terminals only).
    whole : bool
        Also the whole moment and its split (``whole_muN``, ``whole_adiabatic_muN``, ``whole_nonadiabatic_muN``, each
        with its error estimate; CONVENTIONS.md §5, §8), in the same pass as Λ.
    """
    b = branch_index(branch, 2 * model.natoms)
    if "G" in points and b < 2:
        raise ParameterError("branch must be an optical branch (2 or 3) along a path through Γ, where the acoustic "
                             "branches have ω = 0 and the moment per phonon diverges.")
    zpath = high_symmetry_path(model.lattice, tuple(points), npath)
    scan = _scan(model, phonons, zpath.k, branch=b, eta=eta, nk=nk, mu=mu, temperature=temperature,
                 resonances=resonances, workers=workers, progress=progress, desc="path q-points", whole=whole)
    return PathResult(zpath, scan, model)


@dataclass(frozen=True)
class ZoneMapResult:
    """The moment of one branch over the whole zone: computed on the wedge of the model's symmetry (C3v for the paper's
    model, unfolded with the mirror sign; C3 or none for a model with less symmetry).

    Attributes
    ----------
    wedge : numeric.model.zone.Wedge
        The nq×nq Γ-centred grid and its reduction (``wedge.k``: the points computed; ``wedge.symmetry``: the group).
    scan : numeric.apps.scan.BranchScan
        Everything computed on the wedge points.
    q : (nq², 2) array
        The full grid folded into the first zone, 1/Å.
    model : TightBindingModel
    """

    wedge: Wedge
    scan: object
    q: np.ndarray
    model: TightBindingModel

    def moments(self) -> dict:
        """{"total_muN", …, "total_error_muN", …}: (nq²,) arrays on the full grid ``q``, μ_N per phonon (m_z is a
        pseudoscalar: odd under the mirror)."""
        return {name: self.wedge.unfold(values, pseudoscalar=not name.endswith("_error_muN"))
                for name, values in _columns(self.scan).items()}

    def to_dict(self) -> dict:
        """Plain lists (JSON-ready): q (1/Å) and every moment and error (μ_N) on the full grid."""
        return {"q": self.q.tolist(), **{k: v.tolist() for k, v in self.moments().items()}}

    def save(self, out, parameters: dict | None = None) -> Path:
        """Write ``map.npz`` + ``map.json`` and one ``map_<part>.png`` per part of the split into the folder ``out``."""
        from .output.files import save
        from .output.plots import zone_maps

        out, scan, cols = Path(out), self.scan, self.moments()
        nq = int(round(np.sqrt(len(self.q))))
        params = _scan_parameters(scan, self.model, {
            "grid": f"Γ-centred {nq}×{nq}, {len(self.wedge.k)} wedge points (symmetry: {self.wedge.symmetry})",
            **(parameters or {})})
        save(out / "map", {"q": self.q, **cols, "wedge_q": self.wedge.k}, params)
        eta_p, eta_c, eta_v = scan.etas[0]
        caption = f"branch {scan.branch}, η=({eta_p}, {eta_c}, {eta_v}) eV, nk={scan.nk}, nq={nq}"
        for name in _parts(scan):
            zone_maps(self.model.lattice, self.q, {name: cols[f"{name}_muN"]}, out / f"map_{name}.png",
                      title=f"{name} moment, branch {scan.branch}", label="moment (μ_N per phonon)", caption=caption)
        return out


def zone_map(model: TightBindingModel, phonons: Phonons, *, nq: int = 12, branch="top", eta=MAP_ETA, nk: int = 24,
             mu: float = 0.0, temperature: float = 0.0, resonances: bool = True, workers: int | None = None,
             progress: bool | None = None, whole: bool = True) -> ZoneMapResult:
    """The moment of one optical branch over the zone on a Γ-centred nq×nq q-grid, computed on the wedge of the largest
    of C3v, C3, {1} that maps the model onto itself (:func:`numeric.model.zone.symmetry_group`).

    Parameters as :func:`path` (``whole``: also the whole moment); ``nq`` is the q-grid before symmetry reduction.
    Default damping: the paper's Fig. 2 (g).
    """
    b = branch_index(branch, 2 * model.natoms)
    if b < 2:
        raise ParameterError("branch must be an optical branch (2 or 3): the acoustic ones have ω = 0 at Γ.")
    wedge = irreducible_wedge(model.lattice, nq, *symmetry_group(model, phonons))
    scan = _scan(model, phonons, wedge.k, branch=b, eta=eta, nk=nk, mu=mu, temperature=temperature,
                 resonances=resonances, workers=workers, progress=progress, desc="zone q-points", whole=whole)
    return ZoneMapResult(wedge, scan, fold(model.lattice, wedge.grid), model)


# --------------------------------------------------------------------------------------------------
# Bands and phonons
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BandStructure:
    """Electronic bands and phonons along Γ–K–M–Γ, and the valence band's iso-energy map (the paper's Fig. 2a).

    Attributes
    ----------
    path : numeric.model.brillouin.Path
    electron_eV : (npts, nbands) band energies, eV.
    phonon_meV : (npts, nmodes) phonon energies ħω, meV (negative ω² shown as −|ω|).
    kx, ky, valence_eV : (nmap, nmap) the valence band's energy (eV) on a square mesh of k (1/Å) around the zone.
    model : TightBindingModel
    """

    path: ZonePath
    electron_eV: np.ndarray
    phonon_meV: np.ndarray
    kx: np.ndarray
    ky: np.ndarray
    valence_eV: np.ndarray
    model: TightBindingModel

    def save(self, out, parameters: dict | None = None, caption: str | None = None) -> Path:
        """Write electron_bands, valence_isoenergy, phonon_dispersion (.png, .npz, .json) into the folder ``out``."""
        from .output.files import save
        from .output.plots import dispersion, zone_hexagon
        from .output.plots import zone_map as plot_zone_map

        out = Path(out)
        params = {"model": self.model.describe(), "path": "-".join(self.path.labels), **(parameters or {})}
        save(out / "electron_bands", {"distance": self.path.distance, "k": self.path.k,
                                      "energies_eV": self.electron_eV}, params)
        dispersion(self.path, self.electron_eV, "energy (eV)", out / "electron_bands.png", title="electronic bands",
                   caption=caption)
        save(out / "valence_isoenergy", {"kx": self.kx, "ky": self.ky, "valence_eV": self.valence_eV}, params)
        plot_zone_map(self.kx, self.ky, self.valence_eV, out / "valence_isoenergy.png",
                      title="(a) valence-band iso-energy contours", label="valence energy (eV)", contours=True,
                      hexagon=zone_hexagon(self.model.lattice), caption=caption)
        save(out / "phonon_dispersion", {"distance": self.path.distance, "q": self.path.k,
                                         "energies_meV": self.phonon_meV}, params)
        dispersion(self.path, self.phonon_meV, "ħω (meV)", out / "phonon_dispersion.png", title="phonons (in-plane)",
                   caption=caption)
        return out


def band_structure(model: TightBindingModel, phonons: Phonons, *, npath: int = 80, nmap: int = 201) -> BandStructure:
    """Bands and phonons along Γ–K–M–Γ (``npath`` points per segment) and the valence band on an nmap×nmap mesh."""
    from .model.bands import band_data, valence_isoenergy

    zpath = high_symmetry_path(model.lattice, ("G", "K", "M", "G"), npath)
    kx, ky, valence = valence_isoenergy(model, nmap)
    energies, _ = phonons.modes(zpath.k)
    return BandStructure(zpath, band_data(model, zpath.k).energies, 1e3 * energies, kx, ky, valence, model)


# --------------------------------------------------------------------------------------------------
# The paper's figure and the limits
# --------------------------------------------------------------------------------------------------
def figure2(out, model: TightBindingModel | None = None, phonons: Phonons | None = None, *, quick: bool = False,
            nk: int = 48, nq: int = 24, npath: int = 12, nk_integrand: int = 72, resonances: bool = True,
            workers: int | None = None, model_parameters: dict | None = None) -> dict:
    """The paper's Fig. 2, panels (a)–(h), with data, error estimates and REPORT.md written into the folder ``out``.

    Defaults converge every panel to 1e-3 of its largest value on the paper's model; ``quick`` is a coarse smoke run
    (nk 8, nq 6). Returns the summary also written to ``summary.json`` (verdicts, per-panel errors, timings).
    """
    from .apps.figure2 import Settings
    from .apps.figure2 import figure2 as _figure2
    from .output.files import staged_folder

    model = model or honeycomb_model()
    phonons = phonons or graphene_phonons(model)
    if quick:
        s = Settings(nk=8, nq=6, npath=3, nk_integrand=12, nmap=41, workers=workers, resonances=resonances)
    else:
        s = Settings(nk=nk, nq=nq, npath=npath, nk_integrand=nk_integrand, workers=workers, resonances=resonances)
    with staged_folder(out, "out") as stage:       # all panels move into ``out`` together, or none does
        return _figure2(stage, model, phonons, s, model_parameters)


def limits(nk: int = 24, quick: bool = False) -> list:
    """The analytic-limit checks (relaxation V5, particle–hole V6, adiabatic V7, Dirac limits V9 and V11): one dict per row with the measured
    value, the expected one and the verdict (``phonon-moment limits`` prints them)."""
    from .verify.limits import run_limits
    return run_limits(nk=nk, quick=quick)


# --------------------------------------------------------------------------------------------------
# Parameter sweeps (Dask, Zarr)
# --------------------------------------------------------------------------------------------------
def sweep(spec, out, *, scheduler=None, workers: int | None = None, quick: bool = False,
          progress: bool | None = None, max_tasks: int | None = None):
    """Run or resume a parameter sweep into a Zarr store and return it as a labelled ``xarray.Dataset``.

    The moment of one branch (Eq. 4) and its exact split (Eq. 7, CONVENTIONS.md §1.2), with k-grid error estimates,
    on a grid of model and damping parameters × a set of q (numeric/apps/sweep.py documents the TOML spec).

    Parameters
    ----------
    spec : str, Path or dict
        A TOML file, the name of a shipped example (``numeric.apps.sweep.shipped()``; e.g. "eta-phase-diagram"),
        TOML text or the same as a dict.
    out : str or Path
        The Zarr store: created, or resumed (only missing points are computed) when it holds the same spec; a store
        of another spec, a foreign or a corrupted one is refused (ParameterError).
    scheduler : None, "synchronous", str or dask.distributed.Client
        None (default): a Dask LocalCluster on this machine, ``workers`` processes with one thread each (spawned:
        a script calling this needs the ``if __name__ == "__main__":`` guard);
        "synchronous": in this process without Dask; "tcp://host:port": a running Dask scheduler (its workers
        need this package installed); or a connected Client.
    workers : int, optional
        Processes of the local cluster (default: the machine's cores).
    quick : bool
        Shrink the spec to a smoke test (≤ 3 values per parameter, ≤ 2 q-points, nk ≤ 8).
    progress : bool, optional
        A progress bar over tasks (default: on terminals only).
    max_tasks : int, optional
        Stop after this many tasks (a partial run; rerun to finish).

    Returns
    -------
    xarray.Dataset
        Dimensions: the swept parameters (coordinates: their values) and ``q`` (coordinates qx, qy in 1/Å);
        variables ``total``, ``adiabatic``, ``nonadiabatic``, ``skew_scattering``, ``side_jump`` and their
        ``*_error`` (μ_N per phonon), ``dissipative``, ``omega`` (eV), ``done`` and ``run`` (which run computed each
        point; ``attrs["runs"]`` holds each run's provenance), the spec and its hash in ``attrs``; ``attrs["tasks_run"]``
        (on the returned object only) counts the tasks this call computed.
    """
    from .apps.sweep import run_sweep
    return run_sweep(spec, out, (honeycomb_model, graphene_phonons), scheduler=scheduler, workers=workers,
                     quick=quick, progress=progress, max_tasks=max_tasks)
