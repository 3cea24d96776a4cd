"""The response layer: λ (Λ^{ab}_zz of the paper's Eq. 4) and the moment of a mode, by two independent routes.

- ``problem``     the question (model, k-grid, damping, occupations) and the answer type ``LambdaResult``;
- ``damping``     the one map from the paper's (η_p, η_c, η_v) to decay rates (CONVENTIONS.md §1.1);
- ``contraction`` Eq. (4)'s ε contraction of the response tensors;
- ``direct``      **the referee**: Eq. (5) solved numerically order by order; imports neither SymPy nor ``derive``
                  nor ``generated`` (a test runs it with those imports refused);
- ``fast``        **the fast path**: the kernels printed by ``derive/`` into ``generated/``, summed over k;
- ``resonance``   the force route's intraband resonances integrated analytically on triangles (§7.1);
- ``moment``      the moment of a phonon mode from Λ, unit conversions to μ_N and μ_B, the ions' own moment (§5);
- ``angular``     phonons in a field: Zeeman splitting and field-induced angular momentum.

Imports the model layer, never the layers above it.
"""
