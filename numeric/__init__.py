"""Numerical side of the phonon-moment toolkit.

Layout (one direction of knowledge, see CONVENTIONS.md §0):

- ``units``      every physical constant and unit conversion;
- ``checks``     input validation with messages that name the parameter and the fix;
- ``lattice``    Bravais lattice, sublattice positions, high-symmetry points;
- ``taylor``     truncated multilinear Taylor arithmetic used to differentiate the model;
- ``model``      the one real-space tight-binding description and every vertex derived from it;
- ``honeycomb``  the paper's honeycomb model (a factory for ``model.TightBindingModel``);
- ``bands``      band data (energies, eigenvectors, velocities, Berry connection/curvature, orbital moment);
- ``phonons``    force-constant phonons, polarization vectors, phonon angular momentum;
- ``brillouin``  Brillouin-zone grids and the high-symmetry path.

Nothing here imports SymPy.
"""
