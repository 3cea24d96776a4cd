"""Independent checks of the response layer: the magnetic supercell (Born–Oppenheimer limit, no perturbation theory in
the field), the analytic limits (V5, V7, V9) and the Dirac-limit comparison at K (CONVENTIONS.md §1.4, §8).

Imports the model and response layers; nothing imports it but the API and the CLI.
"""
