"""Text of generated/dirac_k.py and of FORMULAS.md's sections on Eq. (10) and λ^A at K, from derive/dirac.py (``python -m derive``)."""

from __future__ import annotations

import sympy as sp

from . import codegen, dirac

ARG_DOC = """Arguments (broadcast together): omega (eV), the phonon frequency ω; eta_p (eV), the phonon switching rate;
gamma (2,) (eV), the band damping rates γ_n = η_n/2 (valence, conduction; numeric.response.damping.rates_from_paper);
epsilon0 (eV), the conduction energy ε₀(p) = √(Δ² + v_f²p²) at the momentum p from the valley; Delta (eV); t (eV), the
hopping; beta, −∂ln t/∂ln a₀ (the bond length a₀ cancels).
Returns (Λ^AA, Λ^AB, Λ^BA, Λ^BB), dimensionless (e = ħ = 1, CONVENTIONS.md §5): the k-resolved integrand of the
skew-scattering part of Λ^{ab}_zz(ω, q = K) (CONVENTIONS.md §1.2; numeric.response.fast.lambda_generated "skew_scattering"
with one k-point of unit weight), insulator at T = 0, leading order in Δ/t and in η at fixed ratios."""

VALLEY_DOC = {
    "K": "Paper Eq. (10), derived (derive/dirac.py): the k-point K + p, phonon q = K.",
    "Kp": "Paper Eq. (10), derived (derive/dirac.py): the k-point K′ + p (K′ = −K), phonon q = K.",
}


ADIABATIC_ARG_DOC = """Arguments (broadcast together): omega (eV), the phonon frequency ω; epsilon0 (eV), ε₀(p) = √(Δ² + v_f²p²) at
the momentum p from the valley; Delta (eV); t (eV), the hopping; beta, −∂ln t/∂ln a₀ (a₀ cancels).
Returns (Λ^AA, Λ^AB, Λ^BA, Λ^BB), dimensionless (e = ħ = 1, CONVENTIONS.md §5): the k-resolved integrand of the adiabatic
part λ^A of Λ^{ab}_zz(ω, q = K) (CONVENTIONS.md §1.2; numeric.response.fast.lambda_generated "adiabatic" with one
k-point of unit weight), insulator at T = 0, γ_n = 0, η_p → 0, leading order in Δ/t (the off-diagonal part is of
higher order)."""

ADIABATIC_DOC = {
    "K": "The adiabatic part λ^A at q = K in the Dirac limit, derived (derive/dirac.py): the k-point K + p.",
    "Kp": "The adiabatic part λ^A at q = K in the Dirac limit, derived (derive/dirac.py): the k-point K′ + p (K′ = −K).",
}

ZONE_DOC = """The adiabatic part λ^A at q = K in the Dirac limit, summed over the zone (derive/dirac.py): the per-k-point
forms integrated over p around both valleys with the per-cell measure of CONVENTIONS.md §5, ∝ (t/Δ)² at fixed ω/Δ.

Arguments (broadcast together): omega (eV), the phonon frequency ω (|ω| < 2Δ); Delta (eV); t (eV); beta.
Returns Λ^AA of λ^A (Λ^BB = −Λ^AA, Λ^AB = Λ^BA = 0 at this order), dimensionless, γ_n = 0, η_p → 0."""


def dirac_module(form, adiabatic) -> str:
    """Source of generated/dirac_k.py: the derived K-point skew-scattering integrand per valley, and λ^A's K-point form
    per valley and summed over the zone."""
    tpl, _ = dirac.skew_kernel()
    extra = [(s.name, "parameter", None, {s: None}) for s in (dirac.eps0, dirac.Delta, dirac.t, dirac.a0, dirac.beta)]
    functions = []
    for prefix, derived, docs, args in (("skew_scattering", form, VALLEY_DOC, ARG_DOC),
                                        ("adiabatic", adiabatic, ADIABATIC_DOC, ADIABATIC_ARG_DOC)):
        for v in dirac.VALLEYS:
            L = derived.per_valley[v]
            name = f"{prefix}_{v}"
            src, desc = codegen.function_source(name, [L[0, 0], L[0, 1], L[1, 0], L[1, 1]], tpl,
                                                docs[v] + "\n\n" + args, extra)
            functions.append((name, src, desc))
    zone = adiabatic.zone.xreplace({dirac.x_ratio: dirac.omega / dirac.Delta})
    src, desc = codegen.function_source("adiabatic_zone", [zone], tpl, ZONE_DOC, extra)
    functions.append(("adiabatic_zone", src, desc))
    doc = ("The K-point forms in the Dirac limit, derived by derive/dirac.py from the lattice model and the N = 2\n"
           "kernels of derive/q0_expansion.py: the skew-scattering term (paper Eq. 10) and the adiabatic part λ^A.\n"
           "Compared with the lattice kernels by tests/test_dirac.py (V9, V11; CONVENTIONS.md §1.4, §10).")
    return codegen.module_source(doc, functions)


NAMES = {dirac.eps0: r"\varepsilon_0", dirac.x_ratio: "x", dirac.delta_cv: r"\delta^c_v", dirac.delta_vc: r"\delta^v_c",
         dirac.v_f: "v_f", dirac.a0: "a_0", dirac.Delta: r"\Delta"}
DELTA_TEX = {"delta_cv": r"\delta^c_v", "delta_vc": r"\delta^v_c"}
VALLEY_TEX = {"K": "K", "Kp": "K'"}


def _tex(e):
    return sp.latex(e, symbol_names=NAMES)


def dirac_markdown(form) -> str:
    """FORMULAS.md section: the derived K-point form beside the printed Eq. (10), with the readings."""
    t_vf = (2 * dirac.v_f / (3 * dirac.a0)) ** 2
    out = ["\n## Eq. (10): the skew-scattering term at q = K (derive/dirac.py)\n\n",
           "Massive Dirac expansion of the same real-space model (numeric/model/honeycomb.py read as data), "
           f"$v_f = {_tex(form.v_f)}$ (derived). Per k-point $K_\\tau + p$ (insulator, $T = 0$, leading order in "
           r"$\Delta/t$, $\eta \to 0$ at fixed ratios, $\gamma_n = \eta_n/2$ of CONVENTIONS.md §1.1) the skew part of "
           r"$\Lambda^{ab}_{zz}(\omega, q = K)$ is $\mathrm{diag}(\lambda_\tau, -\lambda_\tau)$, with" "\n\n"]
    for v in dirac.VALLEYS:
        p = form.poles[v]
        out.append(f"$$\\lambda_{{{VALLEY_TEX[v]}}} = |m_c|\\, g \\left[\\frac{{{DELTA_TEX[p['minus'][0]]}}}"
                   f"{{(2\\varepsilon_0 - \\omega)^3}} + \\frac{{{DELTA_TEX[p['plus'][0]]}}}{{(2\\varepsilon_0 + \\omega)^3}}"
                   f"\\right], \\qquad m_c = {_tex(form.m_c[v].subs(dirac.t ** 2, t_vf))}$$\n\n")
    out.append(f"$m_c$ is the conduction-band orbital moment at $p$ (CONVENTIONS.md §3) and $g = {_tex(form.coupling)}$. "
               "Summed over the two valley pairings:\n\n")
    out.append(f"$$\\lambda_K + \\lambda_{{K'}} = {_tex(form.valley_sum)} "
               r"= -\frac{1}{2}(\delta^v_c + \delta^c_v)\, m_c^{(K)}\, \tilde\Omega\, \tilde G,$$" "\n\n"
               r"$\tilde G = \frac{(2\varepsilon_0)^2}{(2\varepsilon_0 - \omega)^3} + (\omega \to -\omega)$ (Eq. 8's $G_1$ "
               r"with $\Delta\varepsilon = 2\varepsilon_0$; even in $\omega$), "
               r"$\tilde\Omega = \frac{\beta^2 v_f^2}{4 a_0^4 \varepsilon_0^2}$." "\n\n")
    out.append("Printed (paper Eq. 10): "
               r"$\lambda^{SS,NA}_{z,K} = -\frac{1}{2}(\delta^v_c + \delta^c_v)\, m^z_0\, \Omega^z_0\, G_0$, "
               r"$G_0 = \frac{1}{-\omega + 2\varepsilon_0} - (\omega \to -\omega)$, "
               r"$\Omega^z_0 = \frac{4\beta^2 v_f^2}{a_0^4}\frac{\Delta}{\varepsilon_0}$." "\n\n"
               "Readings (tests/test_dirac.py): the (δ^v_c + δ^c_v) structure holds for the sum of the two valley "
               "pairings (each alone weighs δ^c_v and δ^v_c with opposite ω-poles); "
               r"$G_0 \to \tilde G$ (cubic, and even in ω where the printed $G_0$ is odd); "
               r"$\Omega^z_0 \to \tilde\Omega = \frac{\Omega^z_0}{(2\varepsilon_0)^2}\cdot\frac{\varepsilon_0}{4\Delta}$ "
               "(the 1/(2ε₀)² of a molecular Berry curvature restored; no Δ/ε₀; a factor 1/4); "
               r"$m^z_0 = m_c$ of the valley K ($<0$ for $\Delta > 0$)." "\n")
    return "".join(out)


def adiabatic_markdown(adiabatic) -> str:
    """FORMULAS.md section: the derived K-point form of λ^A."""
    lam = adiabatic.per_valley["K"][0, 0]
    return ("\n## The adiabatic part λ^A at q = K in the Dirac limit (derive/dirac.py)\n\n"
            "The kernels of θ¹'s adiabatic piece, θ² and θ³ (λ^A = (1/32) D[Θ¹_A + Θ² + 2Θ³]) at the valley pairing, "
            r"$\gamma_n = 0$, $\eta_p \to 0$, leading order in $\Delta/t$ (the valley expansion is complete there; "
            r"CONVENTIONS.md §1.4). Per k-point $K_\tau + p$, the same at both valleys, "
            r"$\Lambda^{ab}_A = \mathrm{diag}(\lambda_A, -\lambda_A)$ with" "\n\n"
            rf"$$\lambda_A = {_tex(lam)},$$" "\n\n"
            rf"of order $(t/\Delta)^{{{-adiabatic.order}}}$. Summed over the zone (per cell, both valleys), with "
            r"$x = \omega/\Delta$:" "\n\n"
            rf"$$\lambda^A_{{AA}}(q = K) = {_tex(adiabatic.zone)} \propto \Delta^{{{adiabatic.exponent}}},$$" "\n\n"
            "which grows without bound as the gap closes (V11, `phonon-moment limits`).\n")


def dirac_files() -> tuple:
    """({"dirac_k.py": text}, FORMULAS.md sections)."""
    form = dirac.derive_k_point()
    adiabatic = dirac.derive_adiabatic_k_point()
    return {"dirac_k.py": dirac_module(form, adiabatic)}, dirac_markdown(form) + adiabatic_markdown(adiabatic)
