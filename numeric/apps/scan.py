"""The moment of one phonon branch at many q-points, with error estimates, progress and worker processes.

One engine for ``path``, ``map`` and ``figure2``: at every q the generated kernels (numeric/response/fast.py) give Λ and its
exact split (CONVENTIONS.md §1.2) for several damping sets at once (band data and vertices do not depend on damping).

Error estimate (V10; CONVENTIONS.md §7, §10). Each Λ is computed on the Γ-centred nk×nk grid (the reported value) and on
the Γ-centred grid of 3nk/4 points per direction (:func:`coarse_nk`); the estimate is their difference, i.e. about the
coarser grid's error, which bounds the finer grid's wherever the quadrature error falls with the spacing
(tests/test_scan.py measures this against much finer grids). Both grids are invariant under the whole C3v group, so
symmetry relations hold on them to rounding. Why not a same-density estimate or the nk/2 grid: CONVENTIONS.md §7. The
force route's intraband resonances, which no affordable uniform grid resolves, are integrated analytically on both grids
(``resonances``, numeric/response/resonance.py, CONVENTIONS.md §7.1). The estimate is claimed (and tested) for
nk ≥ :data:`RELIABLE_NK`, down to 1e-4 of the largest value of a scan.
Moments are per phonon quantum in μ_N (CONVENTIONS.md §5): the real part of m_ν; its imaginary part is kept as
``dissipative``.
"""

from __future__ import annotations

import multiprocessing
import os
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from ..response.angular import field_induced_angular_momentum, gyroscopic_matrix
from ..model.brillouin import uniform_grid
from ..validation import ParameterError
from ..response.damping import rates_from_paper
from ..response.problem import MIN_NK, RELIABLE_NK, Problem, coarse_nk  # noqa: F401  (RELIABLE_NK: scan's claim)
from ..response import compiled
from ..response.fast import lambda_generated_rates, lambda_projected_rates
from ..response.moment import mass_weighted, mode_moments, to_nuclear_magnetons, whole_from_projection
from ..model.phonons import angular_momentum

PARTS = ("total", "adiabatic", "nonadiabatic", "skew_scattering", "side_jump")
"""Moments reported per q: Λ and its exact split (CONVENTIONS.md §1.2)."""
_KEY = {"total": "Lambda"}
WHOLE_PARTS = ("whole", "whole_adiabatic", "whole_nonadiabatic")
"""With ``whole``: the whole moment (CONVENTIONS.md §5, §8) and its exact split, from the tensor before Eq. (4)'s
contraction."""
_TENSOR_KEY = {"whole": "Lambda", "whole_adiabatic": "adiabatic", "whole_nonadiabatic": "nonadiabatic"}


@dataclass(frozen=True)
class BranchScan:
    """Results of :func:`scan_branch`.

    Attributes
    ----------
    q : (nq, 2) 1/Å;  omega : (nq,) eV, the branch's ħω;  etas : tuple of (η_p, η_c, η_v) in eV, one per damping set.
    Lambda : {part: (nset, nq, nsub, nsub) complex}, e = ħ = 1 units (CONVENTIONS.md §5), on the nk grid.
    moment, error : {part: (nset, nq)} μ_N per phonon: the moment and its k-grid error estimate.
    dissipative : (nset, nq) μ_N, the imaginary part of the total m_ν.
    l_zero_field : (nq,) ħ, the branch's angular momentum at B = 0; dl_per_tesla : (nset, nq) ħ/T, its first-order
    change in a field (numeric/response/angular.py; the reactive part of Λ at the branch's own frequency); dl_error : its
    k-grid error estimate.
    """

    q: np.ndarray
    omega: np.ndarray
    branch: int
    etas: tuple
    nk: int
    Lambda: dict
    moment: dict
    error: dict
    dissipative: np.ndarray
    l_zero_field: np.ndarray
    dl_per_tesla: np.ndarray
    dl_error: np.ndarray
    whole_dissipative: np.ndarray | None = None


def estimate_grids(lattice, nk: int):
    """The Γ-centred nk×nk grid (the value) and the Γ-centred grid of :func:`coarse_nk` (for the error estimate)."""
    return [uniform_grid(lattice, nk), uniform_grid(lattice, coarse_nk(nk))]


_JOB = None     # set before worker processes fork; read by _one_q


class _Job:
    def __init__(self, model, phonons, q, branch, etas, nk, mu, temperature, resonances, whole):
        self.model, self.phonons, self.q, self.branch = model, phonons, q, branch
        self.resonances, self.whole = resonances, whole
        self.rates = [rates_from_paper(*e, model.nsub) for e in etas]
        self.problems = [Problem(model, k, w, self.rates[0], mu, temperature)
                         for k, w in estimate_grids(model.lattice, nk)]
        self.energies, self.vectors = phonons.modes(q)


def _one_q(i: int) -> dict:
    job = _JOB
    b = job.branch
    omega, e = job.energies[i, b], job.vectors[i, :, b]
    masses = job.phonons.force_constants.masses
    shared = {}                                   # the vertices' bond coefficients: one q, both grids
    if job.whole:                                 # Λ and the whole tensor projected on this branch, in one pass
        w = mass_weighted(e, masses)
        on_grids = [lambda_projected_rates(pb, omega, job.q[i], job.rates, w, resonances=job.resonances,
                                           bond_cache=shared) for pb in job.problems]
    else:
        on_grids = [lambda_generated_rates(pb, omega, job.q[i], job.rates, resonances=job.resonances,
                                           bond_cache=shared) for pb in job.problems]
    out = {"Lambda": {}, "moment": {}, "error": {}}
    plan = [(p, _KEY.get(p, p), lambda r, key: r[key], mode_moments, "dissipative" if p == "total" else None)
            for p in PARTS]
    if job.whole:
        plan += [(p, _TENSOR_KEY[p], lambda r, key: r["projected"][key], lambda P, e, m: whole_from_projection(P),
                  "whole_dissipative" if p == "whole" else None) for p in WHOLE_PARTS]
    for part, key, pick, moments, imaginary in plan:
        L = np.array([[pick(grid[s], key) for s in range(len(job.rates))] for grid in on_grids])   # (2, nset, …)
        m = to_nuclear_magnetons(1.0) * moments(L, e, masses)                               # complex (2, nset)
        if part in PARTS:
            out["Lambda"][part] = L[0]
        out["moment"][part] = m.real[0]
        out["error"][part] = np.abs(m.real[0] - m.real[1])
        if imaginary:
            out[imaginary] = m.imag[0]
    out["l0"] = float(angular_momentum(job.vectors[i])[b])
    dl = np.array([[field_induced_angular_momentum(job.energies[i], job.vectors[i],
                                                   gyroscopic_matrix(grid[s]["Lambda"], masses, 1.0), b)
                    for s in range(len(job.rates))] for grid in on_grids])              # (2 grids, nset)
    out["dl"], out["dl_error"] = dl[0], np.abs(dl[0] - dl[1])
    return out


def default_workers() -> int:
    """Worker processes: the machine's cores (2 here), overridable with PHONON_MOMENT_WORKERS."""
    return max(1, int(os.environ.get("PHONON_MOMENT_WORKERS", os.cpu_count() or 1)))


def scan_branch(model, phonons, q, *, branch: int, etas, nk: int, mu: float = 0.0, temperature: float = 0.0,
                workers: int | None = None, progress: bool | None = None, desc: str = "q-points",
                resonances: bool = True, whole: bool = False) -> BranchScan:
    """Λ, its exact split and the moments of ``branch`` at every q (nq, 2), for each damping set in ``etas``
    (a sequence of (η_p, η_c, η_v) in eV), on the nk×nk grid, with the error estimate of :func:`estimate_grids`.

    ``resonances`` (default on) integrates the force route's intraband resonances analytically (numeric/response/resonance.py,
    CONVENTIONS.md §7.1); off, everything stays on the uniform grids (scattered by 1–5 % near K at the paper's η's).
    ``workers`` processes share the q-points (default :func:`default_workers`); ``progress=None`` shows a bar on
    terminals only. ``whole`` adds the whole moment and its split (:data:`WHOLE_PARTS`), the tensor before Eq. (4)'s
    contraction projected on the branch's mode in the same pass as Λ (``numeric.response.fast.lambda_projected_rates``:
    the same Λ, at about the same cost).
    """
    global _JOB
    q = np.atleast_2d(np.asarray(q, float))
    if nk < MIN_NK:
        raise ParameterError(f"nk = {nk} is below {MIN_NK}: the error estimate needs a grid that resolves the bands; "
                             f"pass --nk {MIN_NK} or more.")
    etas = tuple(tuple(float(x) for x in e) for e in etas)
    energies = phonons.energies(q)[:, branch]
    if np.any(energies < 1e-4):
        raise ParameterError(f"branch {branch} has ħω ≈ 0 at some q (an acoustic branch at Γ): the moment per phonon "
                             "diverges as 1/ω; choose an optical branch or leave Γ out.")
    _JOB = _Job(model, phonons, q, branch, etas, nk, mu, temperature, resonances, whole)
    workers = default_workers() if workers is None else max(1, int(workers))
    bar = dict(total=len(q), desc=desc, disable=(None if progress is None else not progress))
    try:
        # One BLAS thread per process: the products here are stacks of tiny matrices, for which BLAS threads only
        # contend with the worker processes (CONVENTIONS.md §7).
        with threadpool_limits(limits=1, user_api="blas"):
            if workers > 1 and len(q) > 1:
                rows = []
                if compiled.enabled() and not compiled.loaded():
                    # The first q-point here, so that the compiled kernels are compiled (or loaded from numba's cache)
                    # once and the forked workers inherit them, instead of each worker doing it again.
                    rows.append(_one_q(0))
                    bar["initial"] = 1
                with multiprocessing.get_context("fork").Pool(min(workers, len(q) - len(rows))) as pool:
                    rows += list(tqdm(pool.imap(_one_q, range(len(rows), len(q))), **bar))
            else:
                rows = [_one_q(i) for i in tqdm(range(len(q)), **bar)]
    finally:
        _JOB = None
    parts = PARTS + (WHOLE_PARTS if whole else ())
    for i, r in enumerate(rows):
        if not all(np.all(np.isfinite(r["moment"][p])) for p in parts):
            raise ParameterError(f"non-finite moment at q = {q[i].tolist()} 1/Å (branch {branch}, etas {etas}): a "
                                 "resonance the damping does not regularize; increase η_p or move q off the singular "
                                 "point.")
    stack = lambda group, part: np.moveaxis(np.array([r[group][part] for r in rows]), 0, 1)   # (nset, nq, ...)
    return BranchScan(
        q=q, omega=energies, branch=branch, etas=etas, nk=nk,
        Lambda={p: stack("Lambda", p) for p in PARTS},
        moment={p: stack("moment", p) for p in parts},
        error={p: stack("error", p) for p in parts},
        dissipative=np.array([r["dissipative"] for r in rows]).T,
        l_zero_field=np.array([r["l0"] for r in rows]),
        dl_per_tesla=np.array([r["dl"] for r in rows]).T,
        dl_error=np.array([r["dl_error"] for r in rows]).T,
        whole_dissipative=np.array([r["whole_dissipative"] for r in rows]).T if whole else None,
    )
