"""phonon-moment: the phonon magnetic moment with relaxation (Xue, Qiao, Gao, Niu 2025), computed and checked.

The public API (``import numeric``; units: eV, 1/Å, Å, u, K; moments in μ_N per phonon):

- models: :func:`honeycomb_model` (the paper's gapped graphene), :func:`graphene_phonons`; any model from a TOML
  file: :func:`load_model` (a path or a shipped name, :func:`models` lists them; README "Your own model"); from PythTB:
  :func:`from_pythtb` (Wannier90 ``_tb.dat`` and phonopy: ``numeric.model.importers``);
- one mode: :func:`moment` → :class:`MomentResult` (Λ^{ab}_zz of Eq. 4, the moment and its exact split);
- scans: :func:`path` → :class:`PathResult`, :func:`zone_map` → :class:`ZoneMapResult`,
  :func:`band_structure` → :class:`BandStructure`;
- sweeps: :func:`sweep` → a labelled ``xarray.Dataset`` in a resumable Zarr store, on Dask (local or a cluster);
- the paper: :func:`figure2` (Fig. 2 and REPORT.md), :func:`limits` (the analytic limits);
- :class:`ParameterError`: raised for bad input, with a message naming the parameter and the fix;
  :class:`AccuracyWarning`: a number that may be inaccurate or outside the formalism's validity, with what to change.

The layers below, each a folder (CONVENTIONS.md §0), are implementation and may move:

- ``model/``     lattice, tight-binding model and its vertices, the paper's honeycomb, bands, phonons, zone grids;
- ``response/``  λ of Eq. (4): problem and result types, damping, the referee (``direct``), the fast path (``fast``),
                 the resonance treatment, the moment of a mode;
- ``verify/``    independent checks: magnetic supercell, analytic limits, the Dirac limit at K;
- ``apps/``      scans over many q and the paper's Fig. 2;
- ``output/``    files with provenance, and plots;
- ``units``, ``validation`` (leaves every layer may import), ``api`` (this API), ``cli`` (the ``phonon-moment``
  command, a thin skin over the API).

Importing this package imports neither SymPy nor ``generated/`` (the fast path loads its kernels on first use).
"""

from .api import (
    POINTS,
    AccuracyWarning,
    BandStructure,
    MomentResult,
    PathResult,
    ZoneMapResult,
    band_structure,
    chern_number,
    figure2,
    from_pythtb,
    graphene_phonons,
    honeycomb_model,
    limits,
    load_model,
    models,
    moment,
    path,
    sweep,
    zone_map,
)
from .validation import ParameterError

__all__ = [
    "POINTS",
    "AccuracyWarning",
    "BandStructure",
    "MomentResult",
    "ParameterError",
    "PathResult",
    "ZoneMapResult",
    "band_structure",
    "chern_number",
    "figure2",
    "from_pythtb",
    "graphene_phonons",
    "honeycomb_model",
    "limits",
    "load_model",
    "models",
    "moment",
    "path",
    "sweep",
    "zone_map",
]
