"""The model layer: what the electrons and ions are, before any response is asked of them.

- ``lattice``       Bravais lattice, sublattice positions, high-symmetry points;
- ``taylor``        truncated multilinear Taylor arithmetic used to differentiate the model;
- ``tight_binding`` the one real-space tight-binding description and every vertex derived from it (CONVENTIONS.md §2);
- ``honeycomb``     the paper's gapped-graphene model (a factory for ``TightBindingModel``);
- ``random_model``  random N-band models, for checks away from the honeycomb;
- ``bands``         energies, eigenvectors, velocities, Berry connection and curvature, orbital moment (§3);
- ``occupation``    Fermi–Dirac occupations;
- ``phonons``       force-constant phonons, polarization vectors, phonon angular momentum (§5);
- ``brillouin``     Brillouin-zone grids, symmetry operations and the high-symmetry path;
- ``zone``          the C3v wedge of the zone and the unfolding of pseudoscalars from it.

Imports nothing of ``numeric`` above it (only ``numeric.units`` and ``numeric.validation``), and no SymPy.
"""
