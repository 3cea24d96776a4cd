"""Independent checks of the response layer: the magnetic supercell (Born–Oppenheimer limit, no perturbation theory in
the field), the analytic limits (V5, V7, V9), the Dirac-limit comparison at K (CONVENTIONS.md §1.4, §8) and an adaptive
cubature of Λ's k-integrand that checks the resonance treatment (zone_quadrature.py, CONVENTIONS.md §7.1).

Imports the model and response layers; nothing imports it but the API and the CLI.
"""
