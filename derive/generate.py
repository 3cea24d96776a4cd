"""Build the text of every printed file from the derivation.

:func:`build_files` is ``generated/``, what ``python -m derive`` writes and the package runs: the Eq. (4) kernels of the
fast path (eq4_n{N}.py), the K-point form of Eq. (10) (dirac_k.py, ``phonon-moment limits``) and FORMULAS.md.
:func:`test_kernel_files` are the kernels only tests evaluate (theta_n{N}.py: θ at finite q₀; theta_dq0_n{N}.py: every
q₀-derivative of θ and of θ¹'s split); tests/conftest.py prints them into a temporary directory once per test session
(``python -m derive --test-kernels DIR`` prints them too).
"""

from __future__ import annotations

import sympy as sp

from . import codegen
from .poles import pole_bands, pole_expansion
from .density_matrix import (FIELD_ORDER, OBSERVABLES, POPULATION_SPLIT, DensityMatrixTemplate, canonical, momentum,
                             omega, point_latex, sub)

NBANDS = 2                 # the honeycomb model; FORMULAS.md is written for it
KERNEL_BANDS = (2, 3)      # θ kernels are generated for these band counts

THETA_DOC = {
    "theta1": "θ¹ = Tr ρ_{uw}(k) v(k+q₀) (Eq. 3, from ρ₂) and ∂_ω θ¹, per k-point.",
    "theta2": "θ² = Tr ρ_{wA}(k) F(k+q) (Eq. 3, from ρ₂) and ∂_ω θ², per k-point.",
    "theta3": "θ³ = Tr ρ_w(k) F_mix(k+q+q₀) (Eq. 3, from ρ₁) and ∂_ω θ³, per k-point.",
}

ARG_DOC = """Arguments (all broadcast together; a leading k axis, then component axes of u, w, A):
omega, eta_p: the phonon frequency ω and switching rate η_p (Ω_u = ω + iη_p, Ω_w = −ω + iη_p, Ω_A = 0);
gamma: (N,) band damping rates γ_n; e_<pt>, f_<pt>: (..., N) band energies and occupations at the k-point <pt>
(k, kpq = k+q, kmq0 = k−q₀, kpqpq0 = k+q+q₀, ...); V_<T>_<pt>: (..., N, N) band-basis vertex of the fields T,
⟨n, pt|V_T|m, pt − Q_T⟩. ARGUMENTS[name] lists them in order as (argname, kind, data), data = shift (a, b) meaning
k + a q + b q₀, or (fields, shift) for a vertex. Returns (θ, ∂_ω θ)."""


def theta_module(nbands=NBANDS):
    """Source of theta_n{N}.py (a test kernel, :func:`test_kernel_files`) and the template used."""
    tpl = DensityMatrixTemplate(nbands)
    functions = []
    for name in OBSERVABLES:
        th, dth = tpl.theta_and_domega(name)
        src, desc = codegen.function_source(name, [th, dth], tpl, THETA_DOC[name] + "\n\n" + ARG_DOC)
        functions.append((name, src, desc))
    doc = (f"Integrands of the response functions θ¹, θ², θ³ (paper Eq. 3) and their ω-derivatives, N = {nbands} bands,\n"
           "at finite q₀, derived by derive/density_matrix.py from Eq. (5) as read in CONVENTIONS.md §1.\n"
           "Evaluated on a k-grid by numeric/response/fast.py.")
    return codegen.module_source(doc, functions), tpl


Q0_DOC = {
    "theta1": "θ¹ = Tr ρ_{uw} v at q₀ = 0 with ∂_ω, ∂_{q₀ℓ} and ∂_{q₀ℓ}∂_ω, per k-point.",
    "theta2": "θ² = Tr ρ_{wA} F at q₀ = 0 with ∂_ω, ∂_{q₀ℓ} and ∂_{q₀ℓ}∂_ω, per k-point.",
    "theta3": "θ³ = Tr ρ_w F_mix at q₀ = 0 with ∂_ω, ∂_{q₀ℓ} and ∂_{q₀ℓ}∂_ω, per k-point.",
}

SPLIT_DOC = {
    "adiabatic": "{name}^A: coherences of ρ_S plus the adiabatic populations ρ^A_nn (CONVENTIONS.md §1.2)",
    "nonadiabatic": "{name}^NA: the non-adiabatic populations, Σ_n ρ^NA_nn O_nn (CONVENTIONS.md §1.2)",
    "skew_scattering": "{name}^SS: Σ_n ρ^NA_nn O_nn with ∂_{{q₀ℓ}} acting on O_nn only (CONVENTIONS.md §1.2)",
    "side_jump": "{name}^SJ: Σ_n ρ^NA_nn O_nn with ∂_{{q₀ℓ}} acting on ρ^NA_nn only (CONVENTIONS.md §1.2)",
}

Q0_ARG_DOC = ARG_DOC.replace(" Returns (θ, ∂_ω θ).", "") + """
All at q₀ = 0 (k-points k + a q only), plus, along the direction ℓ of q₀ (an extra leading axis of these arrays):
v_<pt> (..., N, N) the band-basis velocity ∂_ℓH; fp_<pt> (..., N) f'(ε_n); dV_<T>_<s> (..., N, N) the orbital-matrix
derivative D of the vertex T at the q₀-dependent point s (derive/q0_expansion.py).
Returns (θ, ∂_ω θ, ∂_{q₀ℓ} θ, ∂_{q₀ℓ} ∂_ω θ)."""


def theta_q0_module(nbands=NBANDS):
    """Source of theta_dq0_n{N}.py (a test kernel, :func:`test_kernel_files`): the q₀ → 0 derivative of Eq. (4), derived
    by derive/q0_expansion.py."""
    from .q0_expansion import split_q0_derivative, theta_q0_derivative

    tpl = DensityMatrixTemplate(nbands)
    functions = []
    for name in OBSERVABLES:
        exprs = theta_q0_derivative(tpl, name)
        src, desc = codegen.function_source(name, list(exprs), tpl, Q0_DOC[name] + "\n\n" + Q0_ARG_DOC)
        functions.append((name, src, desc))
    for name in POPULATION_SPLIT:
        for piece, exprs in split_q0_derivative(tpl, name).items():
            fname = f"{name}_{piece}"
            doc = SPLIT_DOC[piece].format(name=name) + ", at q₀ = 0 with ∂_ω, ∂_{q₀ℓ} and ∂_{q₀ℓ}∂_ω, per k-point."
            src, desc = codegen.function_source(fname, list(exprs), tpl, doc + "\n\n" + Q0_ARG_DOC)
            functions.append((fname, src, desc))
    doc = (f"θ¹, θ², θ³ (paper Eq. 3) at q₀ = 0 and their derivatives ∂_ω, ∂_{{q₀ℓ}}, ∂_{{q₀ℓ}}∂_ω (Eq. 4), N = {nbands}\n"
           "bands, derived by derive/q0_expansion.py (first-order rules for matrix elements between k and k + q₀);\n"
           "θ¹'s exact split into adiabatic/non-adiabatic and skew-scattering/side-jump pieces (CONVENTIONS.md §1.2).\n"
           "Evaluated on a k-grid by numeric/response/fast.py.")
    return codegen.module_source(doc, functions), tpl


EQ4_DOC = ("{doc} Only what Eq. (4) uses: θ at q₀ = 0 (a diagnostic) and ∂_{{q₀ℓ}}∂_ω θ, per k-point; the same "
           "expressions as the test kernel theta_dq0_n{n}.py (test_kernel_files), printed without ∂_ω θ and ∂_{{q₀ℓ}} θ "
           "so that the fast path does not pay for them.")


JOINT_PIECES = ("adiabatic", "skew_scattering", "side_jump")
JOINT_DOC = ("∂_{{q₀ℓ}}∂_ω θ of the pieces adiabatic, skew_scattering and side_jump of {name}'s exact split "
             "(derive/q0_expansion.py split_q0_derivative, CONVENTIONS.md §1.2) in one function, in that order, at q₀ = 0 per k-point: the three share most "
             "subexpressions (one CSE prints about half the operations of three). Their θ(q₀ = 0), a diagnostic reported "
             "for θ¹ as a whole only, is not printed, nor is {name} itself: the fast path sums the three pieces.")

POLES_DOC = """∂_{q₀ℓ}∂_ω θ² (the second output of theta2) as an explicit rational function of ω (derive/poles.py):

    ∂_{q₀ℓ}∂_ω θ²(ω) = Σ_m C_m Π_j (ω − ω_j)^{−e_{mj}}.

Returns (ω_0, …, ω_{J−1}, C_0, …, C_{M−1}); POLES["theta2_poles"] gives, per pole j, the bands (n, m) of
ω_j = ε_n(k+q) − ε_m(k) + iη_p + i(γ_n + γ_m) ("bands") and, per coefficient, the exponents (e_{m0}, …) ("exponents").
Arguments as theta2's, without omega: no coefficient depends on ω, so numeric/response/resonance.py evaluates them once
per k-point and reads the Laurent coefficients at each intraband pole in closed form."""


def eq4_module(nbands=NBANDS):
    """Source of generated/eq4_n{N}.py: (θ, ∂_{q₀ℓ}∂_ω θ) of θ², θ³ and ∂_{q₀ℓ}∂_ω θ of the pieces of θ¹'s split, for
    Eq. (4) (θ¹ is their sum)."""
    from .q0_expansion import split_q0_derivative, theta_q0_derivative

    tpl = DensityMatrixTemplate(nbands)
    functions = []
    for name in OBSERVABLES:
        if name in POPULATION_SPLIT:                   # evaluated as the sum of its pieces, below
            continue
        exprs = theta_q0_derivative(tpl, name)
        doc = EQ4_DOC.format(doc=Q0_DOC[name].split(" with ")[0] + ".", n=nbands)
        src, desc = codegen.function_source(name, [exprs[0], exprs[3]], tpl, doc + "\n\n" + Q0_ARG_DOC.replace(
            "Returns (θ, ∂_ω θ, ∂_{q₀ℓ} θ, ∂_{q₀ℓ} ∂_ω θ).", "Returns (θ, ∂_{q₀ℓ} ∂_ω θ)."))
        functions.append((name, src, desc))
    for name in POPULATION_SPLIT:                      # the split's pieces, one function (the fast path's use)
        pieces = split_q0_derivative(tpl, name)
        joint = [pieces[piece][3] for piece in JOINT_PIECES]
        src, desc = codegen.function_source(f"{name}_split", joint, tpl, JOINT_DOC.format(name=name) + "\n\n" + Q0_ARG_DOC
                                            .replace("Returns (θ, ∂_ω θ, ∂_{q₀ℓ} θ, ∂_{q₀ℓ} ∂_ω θ).",
                                                     "Returns ∂_{q₀ℓ} ∂_ω θ of each piece."))
        functions.append((f"{name}_split", src, desc))
    poles, terms = pole_expansion(theta_q0_derivative(tpl, "theta2")[3], omega)
    src, desc = codegen.function_source("theta2_poles", poles + list(terms.values()), tpl, POLES_DOC)
    functions.append(("theta2_poles", src, desc))
    constants = {"POLES": {"theta2_poles": {"bands": tuple(pole_bands(tpl, p) for p in poles),
                                            "exponents": tuple(terms)}}}
    doc = (f"The Eq. (4) kernels of the fast path, N = {nbands} bands: θ at q₀ = 0 and ∂_{{q₀ℓ}}∂_ω θ of θ², θ³, and\n"
           "∂_{q₀ℓ}∂_ω θ of the pieces of θ¹'s exact split (CONVENTIONS.md §1.2), derived by derive/q0_expansion.py; θ²'s ∂_{q₀ℓ}∂_ω θ also as a\n"
           "rational function of ω (theta2_poles, derive/poles.py). Evaluated by numeric/response/fast.py and numeric/response/resonance.py.")
    return codegen.module_source(doc, functions, constants), tpl


def _latex(expr, tpl):
    return sp.latex(expr, symbol_names=tpl.latex_names)


def formulas_markdown(nbands=NBANDS):
    """generated/FORMULAS.md: the derived ρ_S in LaTeX, first order explicit, second order via the first."""
    tpl = DensityMatrixTemplate(nbands)
    out = [codegen.HEADER.replace("# ", "<!-- ", 1).rstrip("\n") + " -->\n",
           f"# Derived density-matrix orders, N = {nbands} bands\n",
           "Solved by SymPy (`derive/density_matrix.py`) from the frequency-domain equation of motion (paper Eq. 5 as read in "
           "CONVENTIONS.md §1)\n",
           r"$$-i\Omega_S \rho_S = -i(E_L\rho_S - \rho_S E_R) - (\Gamma_L\rho_S + \rho_S\Gamma_R) - i\sum_{T\subset S,T\neq\emptyset}[V_T,\rho_{S\setminus T}],$$" "\n",
           r"$[V_T,\rho_R](k) = V_T(k)\rho_R(k-Q_T) - \rho_R(k)V_T(k-Q_R)$, $\rho_\emptyset = \mathrm{diag}\, f_n$. "
           r"Fields: $u$ (momentum $q$, $\Omega_u=\omega+i\eta_p$), $w$ ($-q-q_0$, $\Omega_w=-\omega+i\eta_p$), $A$ ($q_0$, $\Omega_A=0$). "
           r"Elements $\rho^S_{nm}(k) = \langle n,k|\rho_S|m,k-Q_S\rangle$; "
           r"$V^T_{nm}(p) = \langle n,p|V_T|m,p-Q_T\rangle$.", "\n\n"]
    out.append("## First order\n\n")
    for f in FIELD_ORDER:
        rho = tpl.solve((f,), (0, 0))
        for n in range(nbands):
            for m in range(nbands):
                out.append(f"$$\\rho^{{{f}}}_{{{n}{m}}}(k) = {_latex(rho[n, m], tpl)}$$\n\n")
    out.append("## Second order (in terms of the first)\n\n")
    for S in (("u", "w"), ("w", "A")):
        rho = tpl.solve_with(S, (0, 0), tpl.lower_rho_symbol)
        name = "".join(S)
        for n in range(nbands):
            for m in range(nbands):
                out.append(f"$$\\rho^{{{name}}}_{{{n}{m}}}(k) = {_latex(rho[n, m], tpl)}$$\n\n")
    out.append("## Observables (Eq. 3), per k-point before the Brillouin-zone sum\n\n")
    for name, (S, O) in OBSERVABLES.items():
        S, O = canonical(S), canonical(O)
        at = point_latex(sub((0, 0), momentum(S)))
        out.append(f"- $\\{name[:-1]}^{name[-1]} = \\sum_{{nm}} \\rho^{{{''.join(S)}}}_{{nm}}(k)\\, "
                   f"V^{{{''.join(O)}}}_{{mn}}({at})$\n")
    out.append("\nThe ω-derivatives (Eq. 4) are taken by `sympy.diff` and printed as code only (eq4_n2.py; theta_n2.py, a kernel the tests print).\n")
    out.append(small_eta_markdown(tpl))
    return "".join(out)


def small_eta_markdown(tpl):
    """FORMULAS.md section: the labelled small-η limit of the non-adiabatic populations (derive/small_eta.py), to read
    beside the paper's Eqs. (7)–(8); the readings are those of CONVENTIONS.md §1.3 (tested in tests/test_eq7.py)."""
    from .density_matrix import omega
    from .small_eta import _grouped, small_eta_populations

    out = ["\n## Small-η limit of the non-adiabatic populations (beside the paper's Eqs. 7–8)\n\n",
           "`derive/small_eta.py` takes η_p, γ → 0 at fixed ratios in the exact split of CONVENTIONS.md §1.2 (q₀ = 0, "
           "damping scaled by s → 0, no `limit`): the non-adiabatic population of band n fed through the intermediate "
           "band m is δ^m_n X^{(m)}_{nn}, with δ and X as SymPy returns them (X checked to be damping-free; γ = η/2 turns "
           "δ^m_n into η_m/(2η_p + η_n), the paper's δ with the intermediate band as upper index):\n\n"]
    for (n, m), (d, X) in small_eta_populations(tpl).items():
        out.append(f"$$\\delta^{{{m}}}_{{{n}}} = {_latex(d, tpl)},\\qquad X^{{({m})}}_{{{n}{n}}}(k) = {_latex(X, tpl)}$$\n\n")
        out.append(f"$$\\partial_\\omega X^{{({m})}}_{{{n}{n}}}(k) = {_latex(_grouped(sp.diff(X, omega)), tpl)}$$\n\n")
    out.append(
        "The product rule labels the two terms (per k, before the swapped (−ω, −q) term of Eq. 4 and the contraction with "
        "ε_{ℓk} ε_{k₁k₂}; J = the current vertex at k + q₀):\n\n"
        r"$$\lambda^{SS} \leftarrow \tfrac{1}{32}\,\partial_\omega \sum_{n,m} \delta^m_n X^{(m)}_{nn}\, \partial_{q_0} J_{nn}, "
        r"\qquad \lambda^{SJ} \leftarrow \tfrac{1}{32}\,\partial_\omega \sum_{n,m} \delta^m_n\, \partial_{q_0}X^{(m)}_{nn}\, J_{nn},$$"
        "\n\nwith ε_{ℓk}∂_{q₀ℓ}J^k_{nn} = −2i m_n (the gauge-invariant orbital moment) and J_nn = v_nn at q₀ = 0. "
        "∂_ω X has the cubic denominators of the paper's G₁ (Eq. 8), and ε_{k₁k₂}V^u V^w is Eq. 8's Ω^{m}_{nn} (times "
        "Δε²). Against the paper's Eq. (7), with the readings of CONVENTIONS.md §1.3 (δ indexed by the intermediate band, "
        "i × the printed Ω, gauge-invariant m, the (−ω, −q) term as Eq. 4's swapped-index term): λ^SS = −½ × Eq. 7's first "
        "term, k-point by k-point; the Berry-connection part of λ^SJ = −(i/4) × its second term with T complex, and λ^SJ has "
        "further terms Eq. 7 lacks (the vertices' q₀-dependence, intermediate states at k + q + q₀) — "
        "tests/test_eq7.py.\n")
    return "".join(out)


def build_files():
    """{relative path under generated/: text} for every file of generated/ (what the package runs)."""
    files = {"__init__.py": codegen.HEADER + '"""NumPy modules printed by derive/ (python -m derive). Do not edit."""\n'}
    for nbands in KERNEL_BANDS:
        files[f"eq4_n{nbands}.py"] = eq4_module(nbands)[0]
    from .generate_dirac import dirac_files       # paper Eq. (10), derive/dirac.py

    dirac_code, dirac_section = dirac_files()
    files.update(dirac_code)
    files["FORMULAS.md"] = formulas_markdown(NBANDS) + dirac_section
    return files


def test_kernel_files():
    """{file name: text} of the kernels only tests evaluate, not committed: θ and ∂_ω θ at finite q₀ (theta_n{N}.py,
    numeric.response.fast.theta_generated) and (θ, ∂_ω θ, ∂_{q₀ℓ} θ, ∂_{q₀ℓ}∂_ω θ) at q₀ = 0 of θ¹, θ², θ³ and of the
    pieces of θ¹'s split (theta_dq0_n{N}.py, theta_q0_generated), of which eq4_n{N}.py prints the outputs Eq. (4) uses."""
    files = {}
    for nbands in KERNEL_BANDS:
        files[f"theta_n{nbands}.py"] = theta_module(nbands)[0]
        files[f"theta_dq0_n{nbands}.py"] = theta_q0_module(nbands)[0]
    return files
