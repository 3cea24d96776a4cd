"""λ of one phonon branch along a path or over a set of q-points, with progress and saved results.

The referee gives the total Λ; its operational split (CONVENTIONS.md §8) is
λ^A_op = Λ(η_p, η_c = η_v = 0) (no electronic damping: every δ^{n3}_{n1} = 0) and λ^NA_op = Λ − λ^A_op.
Moments are per phonon quantum in μ_N (CONVENTIONS.md §5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from .damping import rates_from_paper
from .direct import lambda_matrix, uniform_problem
from .moment import mode_moment, to_nuclear_magnetons


@dataclass(frozen=True)
class BranchScan:
    """Results at each q: ħω (eV), Λ (nq, nsub, nsub) and the moments (μ_N): total, adiabatic, non-adiabatic."""

    q: np.ndarray
    omega: np.ndarray
    Lambda: np.ndarray
    total: np.ndarray
    adiabatic: np.ndarray
    nonadiabatic: np.ndarray
    fd_error: np.ndarray


def scan_branch(model, phonons, q, *, branch: int, eta_p: float, eta_c: float, eta_v: float, nk: int,
                mu: float = 0.0, temperature: float = 0.0, progress: bool | None = None) -> BranchScan:
    """The referee's Λ and the moment of ``branch`` at every q (nq, 2); two solutions per q (with and without
    electronic damping) for the operational split. ``progress=None`` shows a bar on terminals only."""
    q = np.atleast_2d(np.asarray(q, float))
    full = uniform_problem(model, nk, rates_from_paper(eta_p, eta_c, eta_v, model.nsub), mu=mu, temperature=temperature)
    bare = uniform_problem(model, nk, rates_from_paper(eta_p, 0.0, 0.0, model.nsub), mu=mu, temperature=temperature)
    energies, vectors = phonons.modes(q)
    out = {key: [] for key in ("Lambda", "total", "adiabatic", "fd")}
    for i in tqdm(range(len(q)), desc="q-points", disable=(None if progress is None else not progress)):
        w, e = energies[i, branch], vectors[i, :, branch]
        r, r0 = lambda_matrix(full, w, q[i], split=False), lambda_matrix(bare, w, q[i], split=False)
        out["Lambda"].append(r.Lambda)
        out["total"].append(to_nuclear_magnetons(mode_moment(r.Lambda, e, phonons.masses).real))
        out["adiabatic"].append(to_nuclear_magnetons(mode_moment(r0.Lambda, e, phonons.masses).real))
        out["fd"].append(max(r.fd_error, r0.fd_error))
    total, adiabatic = np.array(out["total"]), np.array(out["adiabatic"])
    return BranchScan(q, energies[:, branch], np.array(out["Lambda"]), total, adiabatic, total - adiabatic,
                      np.array(out["fd"]))
