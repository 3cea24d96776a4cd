"""The model's vertices against independent constructions (CONVENTIONS.md §2, §4).

- q = 0: finite differences of the Bloch Hamiltonian of a rigidly displaced model / of H(k + A);
- commensurate q (K, M): derivatives of a real-space 6×6 supercell Hamiltonian with a frozen phonon and a
  frozen plane-wave vector potential, written here from the hopping formula with an analytic Peierls integral;
- the continuity identities q₀·J(q₀) = [H, n(q₀)] and its u-derivative, at arbitrary q₀.
"""

import numpy as np
import pytest

from numeric.validation import ParameterError
from numeric.model.honeycomb import honeycomb_model
from numeric.model.lattice import Lattice
from numeric.model.tight_binding import Displacement, TightBindingModel, VectorPotential, displacement, vector_potential

EXACT = 1e-12
FD_STEP = 1e-5
FINITE_DIFF = 1e-8   # relative, central differences with FD_STEP
rng = np.random.default_rng(7)

MODELS = {"paper": dict(), "tprime": dict(tprime=0.3, delta=0.7), "displaced": dict(tprime=0.2, peierls="displaced")}


@pytest.fixture(params=list(MODELS))
def model(request):
    return honeycomb_model(**MODELS[request.param])


def random_k(n=5):
    return rng.uniform(-2, 2, size=(n, 2))


def displaced(model, shifts):
    """The same model with sublattice positions moved by ``shifts`` (nsub, 2): a uniform frozen displacement."""
    lat = model.lattice
    moved = Lattice(lat.vectors, lat.positions + shifts, lat.labels, dict(lat.points))
    return TightBindingModel(moved, model.onsite, model.hoppings, model.peierls)


def scale(M):
    return max(np.abs(M).max(), 1.0)


@pytest.mark.parametrize("sub,axis", [(0, 0), (0, 1), (1, 0), (1, 1)])
def test_F_at_gamma_is_derivative_of_displaced_hamiltonian(model, sub, axis):
    k = random_k()
    shift = np.zeros((2, 2))
    shift[sub, axis] = FD_STEP
    # Convention II keeps positions out of the Bloch phase, so a rigid shift changes only the hoppings.
    fd = (displaced(model, shift).hamiltonian(k, bloch="II") - displaced(model, -shift).hamiltonian(k, bloch="II")) / (2 * FD_STEP)
    F = model.vertex([displacement([0, 0], sub, axis)], k, bloch="II")
    np.testing.assert_allclose(F, fd, atol=FINITE_DIFF * scale(F), err_msg=f"F sub={sub} axis={axis}")


@pytest.mark.parametrize("axis", [0, 1])
def test_current_at_zero_q_is_velocity(model, axis):
    k = random_k()
    step = np.zeros(2)
    step[axis] = FD_STEP
    fd = (model.hamiltonian(k + step) - model.hamiltonian(k - step)) / (2 * FD_STEP)
    J = model.vertex([vector_potential([0, 0], axis)], k)
    np.testing.assert_allclose(J, fd, atol=FINITE_DIFF * scale(J))
    np.testing.assert_allclose(model.velocity(k)[:, axis], J, atol=EXACT)


@pytest.mark.parametrize("sub,axis,adir", [(0, 0, 1), (1, 1, 0), (0, 1, 1)])
def test_mixed_vertex_at_zero_q_is_derivative_of_displaced_current(sub, axis, adir):
    """With Peierls phases on the displaced bonds a rigid shift moves the path too: F_mix = ∂J/∂u exactly.
    (The equilibrium-path variant is checked against the supercell below.)"""
    model = honeycomb_model(**MODELS["displaced"])
    k = random_k()
    shift = np.zeros((2, 2))
    shift[sub, axis] = FD_STEP
    A = [vector_potential([0, 0], adir)]
    fd = (displaced(model, shift).vertex(A, k, bloch="II") - displaced(model, -shift).vertex(A, k, bloch="II")) / (2 * FD_STEP)
    mixed = model.vertex([displacement([0, 0], sub, axis)] + A, k, bloch="II")
    np.testing.assert_allclose(mixed, fd, atol=FINITE_DIFF * scale(mixed))


def test_continuity_identity_for_current(model):
    """q₀·J(q₀)(k) = H(k) − H(k − q₀): the Peierls phase of a pure gauge ∇χ, at any q₀ (not only small)."""
    k = random_k()
    for q0 in rng.uniform(-3, 3, size=(4, 2)):
        J = [model.vertex([vector_potential(q0, c)], k) for c in range(2)]
        lhs = q0[0] * J[0] + q0[1] * J[1]
        rhs = model.hamiltonian(k) - model.hamiltonian(k - q0)
        np.testing.assert_allclose(lhs, rhs, atol=EXACT * scale(rhs), err_msg=f"q0={q0}")


def test_continuity_identity_for_mixed_vertex(model):
    """∂/∂u of the identity: q₀·J_u(q, q₀) = F_q(k) − F_q(k − q₀) + H(k) N − N H(k − q − q₀), with N the density
    vertex: diag(i q₀·U_α) for densities at the displaced sites e^{iq₀·(r + u)} (peierls="displaced"), 0 when the
    Peierls path and the gauge function stay on the equilibrium sites (peierls="equilibrium")."""
    k = random_k()
    for q, q0 in rng.uniform(-3, 3, size=(3, 2, 2)):
        U = rng.normal(size=(2, 2)) + 1j * rng.normal(size=(2, 2))
        u = Displacement(tuple(q), U)
        Jmix = [model.vertex([u, vector_potential(q0, c)], k) for c in range(2)]
        lhs = q0[0] * Jmix[0] + q0[1] * Jmix[1]
        N = np.diag(1j * U @ q0) if model.peierls == "displaced" else np.zeros((2, 2))
        rhs = (model.vertex([u], k) - model.vertex([u], k - q0)
               + model.hamiltonian(k) @ N - N @ model.hamiltonian(k - q - q0))
        np.testing.assert_allclose(lhs, rhs, atol=EXACT * scale(rhs), err_msg=f"q={q}, q0={q0}")


def test_vertex_hermiticity_relation(model):
    """For real amplitudes, V(q)† = V(−q): ⟨α k|F_q|β k−q⟩* = ⟨β k−q|F_{−q}|α k⟩."""
    k = random_k()
    q = rng.uniform(-2, 2, size=2)
    U = rng.normal(size=(2, 2))
    Fq = model.vertex([Displacement(tuple(q), U)], k)
    Fmq = model.vertex([Displacement(tuple(-q), U)], k - q)
    np.testing.assert_allclose(np.conj(np.swapaxes(Fq, -1, -2)), Fmq, atol=EXACT * scale(Fq))


# --- independent real-space supercell ------------------------------------------------------------

NSC = 6  # a 6×6 supercell is commensurate with K (3-periodic) and M (2-periodic)


def supercell_hamiltonian(model, u_field, A_amp, q0):
    """Real-space H of an NSC×NSC torus with site displacements u_field(r) and A(r) = Re-free plane wave.

    Written from the hopping formula alone: t(ℓ) = t0 exp(−β(ℓ/ℓ0 − 1)) and Peierls phase
    exp(−i ∫ A·dl) on the displaced straight bond, ∫_{r_j}^{r_i} a e^{iq₀·r}·dl = a·D e^{iq₀·r_j}(e^{iq₀·D} − 1)/(iq₀·D).
    Sites are indexed (n1, n2, α) → ((n1·NSC + n2)·nsub + α).
    """
    lat = model.lattice
    nsub = lat.nsub
    N = NSC * NSC * nsub
    H = np.zeros((N, N), dtype=complex)
    idx = lambda n1, n2, a: ((n1 % NSC) * NSC + (n2 % NSC)) * nsub + a
    for n1 in range(NSC):
        for n2 in range(NSC):
            for a in range(nsub):
                H[idx(n1, n2, a), idx(n1, n2, a)] += model.onsite[a]
            for h in model.hoppings:
                ri = np.array([n1, n2]) @ lat.vectors + lat.positions[h.to]
                rj = (np.array([n1, n2]) + np.array(h.R)) @ lat.vectors + lat.positions[h.frm]
                ri_p, rj_p = ri + u_field(ri, h.to), rj + u_field(rj, h.frm)
                D = ri_p - rj_p
                ell = np.sqrt(D @ D)                       # complex amplitudes: analytic continuation
                t = h.t0 * np.exp(-h.beta * (ell / h.length - 1.0))
                start, span = (rj_p, D) if model.peierls == "displaced" else (rj, ri - rj)
                x = q0 @ span
                ratio = 1.0 if abs(x) < 1e-14 else (np.exp(1j * x) - 1.0) / (1j * x)
                flux = (A_amp @ span) * np.exp(1j * q0 @ start) * ratio
                H[idx(n1, n2, h.to), idx(n1 + h.R[0], n2 + h.R[1], h.frm)] += t * np.exp(-1j * flux)
    return H


def bloch_state(model, k, alpha):
    lat = model.lattice
    v = np.zeros(NSC * NSC * lat.nsub, dtype=complex)
    for n1 in range(NSC):
        for n2 in range(NSC):
            r = np.array([n1, n2]) @ lat.vectors + lat.positions[alpha]
            v[(n1 * NSC + n2) * lat.nsub + alpha] = np.exp(1j * k @ r)
    return v / NSC


def supercell_k(model, count):
    b = model.lattice.reciprocal
    ij = rng.integers(0, NSC, size=(count, 2))
    return ij @ b / NSC


def project(model, M, k, Q):
    return np.array([[bloch_state(model, k, a).conj() @ M @ bloch_state(model, k - Q, b)
                      for b in range(model.nsub)] for a in range(model.nsub)])


def assert_vertices_match_supercell(model, q, q0, U, a, frozen, label):
    """H, F (field ``frozen(eps)``: (r, orbital) ↦ displacement), J and ∂J/∂u of ``model`` against the supercell."""
    h = 1e-4
    zero = lambda r, s: np.zeros(2)
    H0 = supercell_hamiltonian(model, zero, np.zeros(2), q0)
    dHu = (supercell_hamiltonian(model, frozen(h), 0 * a, q0) - supercell_hamiltonian(model, frozen(-h), 0 * a, q0)) / (2 * h)
    dHA = (supercell_hamiltonian(model, zero, h * a, q0) - supercell_hamiltonian(model, zero, -h * a, q0)) / (2 * h)
    d2 = sum(s1 * s2 * supercell_hamiltonian(model, frozen(s1 * h), s2 * h * a, q0)
             for s1 in (1, -1) for s2 in (1, -1)) / (4 * h * h)
    for k in supercell_k(model, 3):
        np.testing.assert_allclose(project(model, H0, k, np.zeros(2)), model.hamiltonian(k), atol=EXACT * 10)
        F = model.vertex([Displacement(tuple(q), U)], k)
        np.testing.assert_allclose(project(model, dHu, k, q), F, atol=1e-7 * scale(F), err_msg=f"F at q={label}")
        J = model.vertex([VectorPotential(tuple(q0), a)], k)
        np.testing.assert_allclose(project(model, dHA, k, q0), J, atol=1e-7 * scale(J), err_msg="J")
        Jmix = model.vertex([Displacement(tuple(q), U), VectorPotential(tuple(q0), a)], k)
        np.testing.assert_allclose(project(model, d2, k, q + q0), Jmix, atol=1e-6 * scale(Jmix), err_msg="mixed")


@pytest.mark.parametrize("peierls", ["equilibrium", "displaced"])
@pytest.mark.parametrize("label", ["K", "M"])
def test_vertices_at_commensurate_q_match_frozen_phonon_supercell(label, peierls):
    model = honeycomb_model(tprime=0.2, peierls=peierls)
    q = model.lattice.point(label)
    q0 = model.lattice.point("M" if label == "K" else "K")
    U = np.array([[0.3, -0.8], [0.5, 0.1j]])

    def frozen(eps_u):
        return lambda r, s: eps_u * U[s] * np.exp(1j * q @ r)

    assert_vertices_match_supercell(model, q, q0, U, np.array([0.4, -0.9]), frozen, label)


def test_second_order_vertex_is_symmetric_in_its_two_displacements(model):
    """F^{ab}: the coefficient of u u' does not depend on the order of the two fields."""
    k = random_k()
    u1 = Displacement((0.3, -0.2), rng.normal(size=(2, 2)) + 0j)
    u2 = Displacement((-0.5, 0.7), rng.normal(size=(2, 2)) + 1j * rng.normal(size=(2, 2)))
    np.testing.assert_allclose(model.vertex([u1, u2], k), model.vertex([u2, u1], k), atol=EXACT)


def test_bloch_convention_leaves_spectrum_unchanged(model):
    k = random_k(20)
    np.testing.assert_allclose(np.linalg.eigvalsh(model.hamiltonian(k)),
                               np.linalg.eigvalsh(model.hamiltonian(k, bloch="II")), atol=EXACT * 10)


@pytest.mark.parametrize("bad", [{"t": np.nan}, {"delta": np.inf}, {"a0": -1.0}, {"a0": 0.0}])
def test_bad_parameters_are_named(bad):
    with pytest.raises(ParameterError, match=list(bad)[0]):
        honeycomb_model(**bad)


def test_nonfinite_k_is_named(model):
    with pytest.raises(ParameterError, match="k"):
        model.hamiltonian(np.array([[np.nan, 0.0]]))
