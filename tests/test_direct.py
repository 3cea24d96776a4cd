"""The referee (numeric/response/direct.py) checked on its own (CONVENTIONS.md §10: V1, V4, V8, and the null tests).

Every expected value here comes from an independent route: a Lehmann-form Kubo formula written in this file,
a symmetry of the model, or the referee at another gauge/convention. The time-domain check of its algebra (V1b)
is tests/test_time_domain.py; the Born–Oppenheimer comparison (V7) tests/test_adiabatic.py.
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from numeric.model.brillouin import C3, MIRROR_X
from numeric.validation import ParameterError
from numeric.response.damping import Rates, rates_from_paper
from numeric.response.direct import lambda_matrix, response_functions, uniform_problem
from numeric.model.honeycomb import honeycomb_model
from numeric.model.tight_binding import displacement_basis

EXACT = 1e-12
KUBO = 1e-10
FD_RICHARDSON = 1e-7     # relative error of ∂_{q₀} against a much smaller step
SYMMETRY = 1e-9          # relative, on the same k-grid mapped by the symmetry
NK = 12                  # small grids: these are identities that hold on any symmetric grid
OMEGA = 0.19
Q = np.array([0.31, 0.17])


@pytest.fixture(scope="module")
def model():
    return honeycomb_model()


def problem(model, nk=NK, rates=None, **kw):
    return uniform_problem(model, nk, rates or rates_from_paper(0.04, 0.03, 0.05), **kw)


REFUSED = ("sympy", "mpmath", "derive", "generated")
# Runs in a fresh interpreter whose import system refuses REFUSED (top-level names), then asks the referee for λ through
# the command line and through its Python entry point. Any import of a refused package, at any depth (a module direct.py
# imports, numeric/__init__.py, the CLI's lambda subcommand), raises ImportError and fails the run.
REFEREE_WITHOUT_SYMBOLIC_CODE = f"""
import sys

REFUSED = {REFUSED!r}


class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in REFUSED:
            raise ImportError(f"the referee must not import {{name!r}} (refused by tests/test_direct.py)")
        return None


sys.meta_path.insert(0, Refuse())
import numpy as np
from numeric.cli import main
from numeric.model.honeycomb import honeycomb_model
from numeric.response.damping import rates_from_paper
from numeric.response.direct import lambda_matrix, uniform_problem

assert main(["lambda", "--point", "K", "--method", "direct", "--nk", "6", "--json"]) == 0
model = honeycomb_model()
r = lambda_matrix(uniform_problem(model, 6, rates_from_paper(0.04, 0.04, 0.04)), 0.19, model.lattice.point("K"))
assert np.all(np.isfinite(r.Lambda))
leaked = sorted(m for m in sys.modules if m.split(".")[0] in REFUSED)
assert not leaked, leaked
"""


def test_referee_runs_where_sympy_mpmath_derive_and_generated_cannot_be_imported():
    """The referee's independence held by behaviour, not by reading its import lines: `lambda --method direct` and
    :func:`lambda_matrix` run in an interpreter that refuses SymPy, mpmath, ``derive`` and ``generated``."""
    root = Path(__file__).parents[1]
    run = subprocess.run([sys.executable, "-c", REFEREE_WITHOUT_SYMBOLIC_CODE], cwd=root, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert json.loads(run.stdout)["method"] == "direct", run.stdout[-2000:]


def kubo(model, k, O_fields, V_fields, omega, eta):
    """Lehmann form of linear response, written independently of direct.py:
    δ⟨O⟩ = Σ_k Σ_nm (f_m(k−Q) − f_n(k)) ⟨m,k−Q|O|n,k⟩⟨n,k|V|m,k−Q⟩ / (ω + iη − ε_n(k) + ε_m(k−Q)) / N_k."""
    Q = sum(np.asarray(f.q) for f in V_fields)
    e1, U1 = np.linalg.eigh(model.hamiltonian(k))
    e2, U2 = np.linalg.eigh(model.hamiltonian(k - Q))
    V = np.conj(np.swapaxes(U1, -1, -2)) @ model.vertex(V_fields, k) @ U2              # ⟨n,k|V|m,k−Q⟩
    O = np.conj(np.swapaxes(U2, -1, -2)) @ model.vertex(O_fields, k - Q) @ U1          # ⟨m,k−Q|O|n,k⟩
    f1, f2 = (e1 < 0).astype(float), (e2 < 0).astype(float)
    den = omega + 1j * eta - e1[:, :, None] + e2[:, None, :]
    return np.sum((f2[:, None, :] - f1[:, :, None]) * np.swapaxes(O, -1, -2) * V / den) / len(k)


def test_V1_first_order_is_the_kubo_formula(model):
    """θ³ is Tr ρ_w F_mix: with all η → 0 (η_p tiny, γ = 0) it must equal the Kubo response of F_mix to w."""
    eta = 1e-6
    pb = problem(model, rates=Rates(eta, (0.0, 0.0)))
    q0 = np.array([0.02, -0.01])
    th = response_functions(pb, OMEGA, Q, q0)["theta3"].val       # [k, c, c']
    from numeric.model.tight_binding import vector_potential
    for k_dir, c, cp in [(0, 0, 1), (1, 3, 2), (0, 2, 2)]:
        O = [displacement_basis(Q, 2)[c], vector_potential(q0, k_dir)]
        V = [displacement_basis(-Q - q0, 2)[cp]]
        ref = kubo(model, pb.k, O, V, -OMEGA, eta)
        np.testing.assert_allclose(th[k_dir, c, cp], ref, rtol=KUBO, atol=KUBO * abs(ref),
                                   err_msg=f"θ³[{k_dir},{c},{cp}]")


def test_V4_random_phases_leave_thetas_unchanged(model, random_gauge):
    pb = problem(model)
    ref = response_functions(pb, OMEGA, Q, np.array([1e-3, 2e-3]))
    random_gauge()
    other = response_functions(pb, OMEGA, Q, np.array([1e-3, 2e-3]))
    for name in ref:
        for part in ("val", "der"):               # each against its own size (0.2–1.6 here; observed ≤ 4e-14 of it)
            r = getattr(ref[name], part)
            np.testing.assert_allclose(getattr(other[name], part), r, atol=EXACT * np.abs(r).max(), err_msg=f"{name}.{part}")


def test_parity_of_eq4_under_omega_q_reversal(model):
    """Eq. (4) as printed implies Λ^{ab}(−ω, −q) = Λ^{ba}(ω, q) (even): asserted as the referee finds it
    (CONVENTIONS.md §5)."""
    pb = problem(model)
    plus = lambda_matrix(pb, OMEGA, Q).Lambda
    minus = lambda_matrix(pb, -OMEGA, -Q).Lambda
    np.testing.assert_allclose(minus, plus.T, atol=SYMMETRY * np.abs(plus).max())


def test_q_to_minus_q_by_C2_with_reversed_mass(model):
    """C2 about z maps A ↔ B, q → −q and Δ → −Δ and keeps B_z and (u × u̇)_z: exact at finite η,
    Λ^{ab}(ω, q; Δ) = Λ^{b̄ā}... i.e. Λ(ω, q; Δ) = P Λ(ω, −q; −Δ) P with P the sublattice swap."""
    rates = rates_from_paper(0.04, 0.03, 0.05)
    a = lambda_matrix(uniform_problem(model, NK, rates), OMEGA, Q).Lambda
    b = lambda_matrix(uniform_problem(honeycomb_model(delta=-1.0), NK, rates), OMEGA, -Q).Lambda
    np.testing.assert_allclose(b[::-1, ::-1], a, atol=SYMMETRY * np.abs(a).max())


def test_q_to_minus_q_by_time_reversal_only_in_the_hermitian_limit(model):
    """Damping breaks time reversal, so Λ(ω, −q) ≠ Λ(ω, q) at finite η; the real part's difference vanishes ∝ η."""
    diffs = []
    for eta in (4e-3, 2e-3):
        pb = uniform_problem(model, 24, Rates(eta, (0.0, 0.0)))
        a = lambda_matrix(pb, OMEGA, Q).Lambda
        b = lambda_matrix(pb, OMEGA, -Q).Lambda
        diffs.append(np.abs((a - b).real).max() / np.abs(a).max())
    ratio = diffs[1] / diffs[0]
    assert 0.4 < ratio < 0.6, diffs          # linear in η
    finite = rates_from_paper(0.04, 0.03, 0.05)
    pb = problem(model, rates=finite)
    a, b = lambda_matrix(pb, OMEGA, Q).Lambda, lambda_matrix(pb, OMEGA, -Q).Lambda
    assert np.abs(a - b).max() > 1e-3 * np.abs(a).max()     # reported in CONVENTIONS.md §5: no relation at finite η


@pytest.mark.parametrize("R", [C3, MIRROR_X], ids=["C3", "mirror"])
def test_V8_symmetry(model, R):
    """Λ^{ab}(ω, R q) = Λ^{ab}(ω, q). C3 about an A site maps the model (and the Γ-centred grid) to itself. The mirror
    y → −y maps A → A, B → B and the grid to itself; it reverses B_z and (u × u̇)_z, so Λ is invariant."""
    pb = problem(model)
    a = lambda_matrix(pb, OMEGA, Q).Lambda
    b = lambda_matrix(pb, OMEGA, R @ Q).Lambda
    np.testing.assert_allclose(b, a, atol=SYMMETRY * np.abs(a).max())


def test_imaginary_part_vanishes_in_the_hermitian_limit(model):
    """At finite η, Λ is complex; the symmetric part that enters a moment becomes real as all η → 0.

    On a finite grid a small imaginary remainder stays (intraband terms at k, k − q are not smooth on the grid);
    it shrinks with the grid, so the check takes η → 0 at two grids and asserts both decreases."""
    def imag_ratio(eta, nk):
        L = lambda_matrix(uniform_problem(model, nk, Rates(eta, (0.0, 0.0))), OMEGA, Q).Lambda
        sym = L + L.T
        return np.abs(sym.imag).max() / np.abs(sym.real).max()
    finite = imag_ratio(0.04, 24)
    small = imag_ratio(1e-3, 24)
    finer = imag_ratio(1e-3, 36)
    assert small < 0.2 * finite and finer < small, (finite, small, finer)


def test_origin_shift_and_bloch_convention_leave_lambda_unchanged(model):
    """Moving every orbital by a vector changes no bond and no plane-wave product whose momenta cancel; in Bloch
    convention II (cell positions only in the phase) the same shift does change every matrix element, so the
    check there exercises the vertices' transformation: Λ identical in all four cases."""
    from numeric.model.tight_binding import TightBindingModel
    shifted = TightBindingModel(model.lattice.shifted(np.array([0.37, -0.21])), model.onsite, model.hoppings, model.peierls)
    rates = rates_from_paper(0.04, 0.03, 0.05)
    ref = lambda_matrix(problem(model), OMEGA, Q).Lambda
    for m in (model, shifted):
        for bloch in ("I", "II"):
            other = lambda_matrix(uniform_problem(m, NK, rates, bloch=bloch), OMEGA, Q).Lambda
            np.testing.assert_allclose(other, ref, atol=1e-9 * np.abs(ref).max(), err_msg=f"bloch={bloch}")


def test_second_order_vertices_do_not_contribute(model):
    """Null test (CONVENTIONS.md §5, §10): F^{ab} (two displacements at one vertex) drops out of Λ."""
    with_ = lambda_matrix(problem(model), OMEGA, Q).Lambda
    without = lambda_matrix(uniform_problem(model, NK, rates_from_paper(0.04, 0.03, 0.05), second_order_vertices=False),
                            OMEGA, Q).Lambda
    np.testing.assert_allclose(with_, without, atol=1e-9 * np.abs(with_).max())


def test_q0_finite_difference_error_is_below_1e_7(model):
    pb = problem(model)
    ref = lambda_matrix(pb, OMEGA, Q, step=5e-5).Lambda
    default = lambda_matrix(pb, OMEGA, Q)
    err = np.abs(default.Lambda - ref).max() / np.abs(ref).max()
    assert err < FD_RICHARDSON, err


@pytest.mark.parametrize("bad,match", [
    (dict(eta_p=0.0), "eta_p"), (dict(eta_p=-0.01), "eta_p"), (dict(eta_c=-0.01), "eta_c"),
    (dict(eta_v=np.nan), "eta_v"),
])
def test_bad_damping_is_named(bad, match):
    kw = dict(eta_p=0.04, eta_c=0.04, eta_v=0.04) | bad
    with pytest.raises(ParameterError, match=match):
        rates_from_paper(**kw)


def test_gapless_model_at_the_touching_point_is_refused():
    m = honeycomb_model(delta=0.0)
    pb = uniform_problem(m, 9, rates_from_paper(0.04, 0.04, 0.04))     # 9×9 contains K
    with pytest.raises(ParameterError, match="delta"):
        lambda_matrix(pb, OMEGA, Q)


def test_nonfinite_omega_and_q_are_named(model):
    pb = problem(model)
    with pytest.raises(ParameterError, match="omega"):
        lambda_matrix(pb, np.nan, Q)
    with pytest.raises(ParameterError, match="q"):
        lambda_matrix(pb, OMEGA, [np.inf, 0])
