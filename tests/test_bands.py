"""Band data against independent routes (CONVENTIONS.md §3).

- closed-form 2×2 solution vs numpy.linalg.eigh;
- Berry curvature and orbital moment vs gauge-invariant finite differences of band projectors
  (Ω = i ε_μν Tr P ∂_μP ∂_νP, m = −(i/2) ε_μν Tr P ∂_μP (H − ε) ∂_νP), which use eigenvectors only;
- Chern number from Fukui–Hatsugai–Suzuki link variables (an integer by construction) and from ∑Ω;
- the massive-Dirac closed form near K;
- invariance under random U(1) phases of the eigenvectors.
"""

import numpy as np
import pytest

from numeric.model.bands import BandData, band_data, diagonalize, eigh2, valence_isoenergy
from numeric.validation import ParameterError
from numeric.model.honeycomb import HoneycombParameters, honeycomb_model

EXACT = 1e-12
FD_STEP = 1e-4
FINITE_DIFF = 1e-6   # relative error of the O(h²) projector differences
rng = np.random.default_rng(7)


@pytest.fixture(params=[dict(), dict(tprime=0.3, delta=0.6)], ids=["paper", "tprime"])
def model(request):
    return honeycomb_model(**request.param)


def test_closed_form_matches_eigh(model):
    k = rng.uniform(-3, 3, size=(200, 2))
    H = model.hamiltonian(k)
    e, v = eigh2(H)
    e_ref = np.linalg.eigvalsh(H)
    np.testing.assert_allclose(e, e_ref, atol=EXACT * 10)
    np.testing.assert_allclose(H @ v, v * e[..., None, :], atol=EXACT * 10)
    np.testing.assert_allclose(np.conj(np.swapaxes(v, -1, -2)) @ v, np.broadcast_to(np.eye(2), H.shape), atol=EXACT)


def test_closed_form_handles_negative_mass_gauge():
    """h_z < 0 takes the other closed form; eigenvectors stay finite and orthonormal."""
    H = honeycomb_model(delta=-1.0).hamiltonian(rng.uniform(-3, 3, size=(50, 2)))
    e, v = eigh2(H)
    assert np.all(np.isfinite(v))
    np.testing.assert_allclose(H @ v, v * e[..., None, :], atol=EXACT * 10)


def projector_geometry(model, k, n):
    """Ω_n and m_n from central differences of the band projector (gauge invariant, eigenvectors only)."""
    def P(kk):
        _, v = diagonalize(model.hamiltonian(kk))
        return v[..., :, n, None] * np.conj(v[..., :, n])[..., None, :]
    P0 = P(k)
    dP = []
    for mu in range(2):
        step = np.zeros(2)
        step[mu] = FD_STEP
        dP.append((P(k + step) - P(k - step)) / (2 * FD_STEP))
    e, _ = diagonalize(model.hamiltonian(k))
    Hs = model.hamiltonian(k) - e[..., n, None, None] * np.eye(model.nsub)
    tr = lambda M: np.trace(M, axis1=-2, axis2=-1)
    omega = 1j * tr(P0 @ (dP[0] @ dP[1] - dP[1] @ dP[0]))
    moment = -0.5j * tr(P0 @ (dP[0] @ Hs @ dP[1] - dP[1] @ Hs @ dP[0]))
    return omega.real, moment.real


@pytest.mark.parametrize("n", [0, 1])
def test_curvature_and_moment_match_projector_differences(model, n):
    k = rng.uniform(-3, 3, size=(30, 2))
    bd = band_data(model, k)
    omega, moment = projector_geometry(model, k, n)
    scale_o = np.abs(omega).max()
    np.testing.assert_allclose(bd.berry_curvature()[:, n], omega, atol=FINITE_DIFF * scale_o)
    np.testing.assert_allclose(bd.orbital_moment()[:, n], moment, atol=FINITE_DIFF * np.abs(moment).max())


def test_gauge_invariance_under_random_phases(model):
    k = rng.uniform(-3, 3, size=(40, 2))
    bd = band_data(model, k)
    phases = np.exp(2j * np.pi * rng.random((40, 1, 2)))
    v = bd.vectors * phases
    dH = model.velocity(k)
    vel = np.conj(np.swapaxes(v, -1, -2))[:, None] @ dH @ v[:, None]
    other = BandData(k, bd.energies, v, vel)
    np.testing.assert_allclose(other.berry_curvature(), bd.berry_curvature(), atol=EXACT * 100)
    np.testing.assert_allclose(other.orbital_moment(), bd.orbital_moment(), atol=EXACT * 100)
    # products that enter λ: |v_nm|² and A_nm A_mn are gauge invariant
    np.testing.assert_allclose(np.abs(other.velocity) ** 2, np.abs(bd.velocity) ** 2, atol=EXACT * 100)
    AA = np.einsum("kinm,kjmn->kijn", other.berry_connection(), other.berry_connection())
    AA0 = np.einsum("kinm,kjmn->kijn", bd.berry_connection(), bd.berry_connection())
    np.testing.assert_allclose(AA, AA0, atol=EXACT * 1e3)


def fukui_chern(model, n, N):
    b = model.lattice.reciprocal
    i, j = np.meshgrid(np.arange(N), np.arange(N), indexing="ij")
    frac = np.stack([i, j], -1) / N
    def states(shift):
        _, v = diagonalize(model.hamiltonian((frac + shift) @ b))
        return v[..., n]
    u00 = states(np.zeros(2))
    u10 = states(np.array([1 / N, 0]))
    u01 = states(np.array([0, 1 / N]))
    u11 = states(np.array([1 / N, 1 / N]))
    link = lambda a, c: np.sum(np.conj(a) * c, axis=-1)
    F = -np.angle(link(u00, u10) * link(u10, u11) * link(u11, u01) * link(u01, u00))
    return F.sum() / (2 * np.pi)


def test_chern_number_is_zero_and_curvature_integrates_to_it(model):
    N = 60
    assert abs(fukui_chern(model, 0, N)) < 1e-8
    b = model.lattice.reciprocal
    i, j = np.meshgrid(np.arange(N), np.arange(N), indexing="ij")
    k = (np.stack([i, j], -1).reshape(-1, 2) / N) @ b
    area = abs(np.linalg.det(b)) / N**2
    chern = band_data(model, k).berry_curvature()[:, 0].sum() * area / (2 * np.pi)
    assert abs(chern) < 1e-10


def test_valley_chern_number_is_half_in_the_dirac_limit():
    """Small Δ/t: Ω is concentrated at K, and ∫_valley Ω d²k/2π → ±½ (sign: the valence band at K)."""
    model = honeycomb_model(delta=0.05)
    K = model.lattice.point("K")
    N = 801
    p = np.linspace(-0.4, 0.4, N)
    k = K + np.stack(np.meshgrid(p, p, indexing="ij"), -1).reshape(-1, 2)
    omega = band_data(model, k).berry_curvature()[:, 0]
    valley = omega.sum() * (p[1] - p[0]) ** 2 / (2 * np.pi)
    # the tail outside |p| < 0.4 Å⁻¹ is ≈ Δ/(2 v |p|) ~ 1 % for Δ = 0.05 eV, v = 5.96 eV·Å
    assert abs(abs(valley) - 0.5) < 0.02, valley


def test_orbital_moment_massive_dirac_closed_form():
    """Near K, H ≈ Δσ_z + h_x(p)σ_x + h_y(p)σ_y with linear h: m_c = m_v = −½ Δ det(∂h)/ε², Ω_c = −½ Δ det(∂h)/ε³.

    det(∂h) = ∂_x h_x ∂_y h_y − ∂_y h_x ∂_x h_y from the linearization at K; the formula is the solid-angle
    curvature of a two-level system, Ω_± = ∓ ½ ĥ·(∂_x ĥ × ∂_y ĥ), and m = Ω (ε_n − ε_m)/2.
    """
    delta = 0.02
    model = honeycomb_model(delta=delta)
    K = model.lattice.point("K")
    v = model.velocity(K[None])[0]               # (2, 2, 2): ∂_μ H at K
    jac = np.array([[v[mu, 0, 1].real for mu in range(2)], [-v[mu, 0, 1].imag for mu in range(2)]])
    det = np.linalg.det(jac)                     # rows h_x, h_y; columns ∂_x, ∂_y
    p = rng.uniform(-1, 1, size=(20, 2)) * 1e-4
    eps = np.sqrt(delta**2 + np.sum((p @ jac.T) ** 2, axis=-1))
    bd = band_data(model, K + p)
    np.testing.assert_allclose(bd.orbital_moment()[:, 1], -0.5 * delta * det / eps**2, rtol=2e-3)
    np.testing.assert_allclose(bd.orbital_moment()[:, 0], -0.5 * delta * det / eps**2, rtol=2e-3)
    np.testing.assert_allclose(bd.berry_curvature()[:, 1], -0.5 * delta * det / eps**3, rtol=2e-3)


def test_degenerate_bands_raise_a_named_error():
    model = honeycomb_model(delta=0.0)
    bd = band_data(model, model.lattice.point("K")[None])
    with pytest.raises(ParameterError, match="delta"):
        bd.berry_curvature()


def test_valence_isoenergy_map_tops_out_at_the_gap_edge_near_K():
    """Fig. 2(a)'s map: the mesh reaches past the zone corner K, the valence band stays below −Δ (t′ = 0: its maximum
    −Δ is at K, K′) and reaches −√(Δ² + (v_F h)²) on a mesh of step h (some mesh point lies within h/√2 of K)."""
    par = HoneycombParameters(delta=0.5)
    n = 101
    kx, ky, ev = valence_isoenergy(honeycomb_model(par), n)
    assert ev.shape == kx.shape == ky.shape == (n, n)
    assert kx.max() > np.linalg.norm(honeycomb_model(par).lattice.point("K"))
    v_f, h = 1.5 * abs(par.t) * par.a0, kx[0, 1] - kx[0, 0]
    assert -np.hypot(par.delta, v_f * h) < ev.max() <= -par.delta + EXACT, ev.max()
    with pytest.raises(ParameterError, match="iso-energy"):
        valence_isoenergy(honeycomb_model(par), 1)
