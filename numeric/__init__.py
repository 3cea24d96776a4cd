"""Numerical side of the phonon-moment toolkit (layers, each a folder; CONVENTIONS.md §0):

- ``model/``     lattice, tight-binding model and its vertices, the paper's honeycomb, bands, phonons, zone grids;
- ``response/``  λ of Eq. (4): problem and result types, damping, the referee (``direct``), the fast path (``fast``),
                 the resonance treatment, the moment of a mode;
- ``verify/``    independent checks: magnetic supercell, analytic limits, the Dirac limit at K;
- ``apps/``      scans over many q and the paper's Fig. 2;
- ``output/``    files with provenance, and plots;
- ``units``, ``validation`` (leaves every layer may import), ``cli`` (the ``phonon-moment`` command).

Nothing here imports SymPy; only ``response.fast`` imports ``generated/``, on first use.
"""
