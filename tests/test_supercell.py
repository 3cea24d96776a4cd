"""Tests of numeric.verify.supercell: the magnetic-supercell gauge construction, the analytic ∂H/∂u, and the symmetries
and B-linearity of the Born–Oppenheimer molecular Berry curvature.

Symmetries used below (derived for the infinite system; on the torus they hold exactly or up to finite-size terms
that fall off exponentially with L·nkappa, as stated per test):

- time reversal (complex conjugation; exact on the torus): H(n_flux, κ)* = H(−n_flux, −κ), so Ω(−B) = −Ω(B)
  and Ω(B = 0) = 0;
- C3 about an A site and the mirror y → −y (A → A, B → B, B_z → −B_z) with time reversal: Ω^{ab}_{ij} = ω^{ab} ε_ij
  with ω symmetric in a, b (the δ_ij part is even and odd in B at once, hence zero);
- the mirror x → a0 − x (A ↔ B, Δ → −Δ, B_z → −B_z, u_x → −u_x) with time reversal:
  ω^{ab}(Δ, B) = ω^{āb̄}(−Δ, B), so λ^{AA}(Δ) = λ^{BB}(−Δ), λ^{AB}(Δ) = λ^{AB}(−Δ) (λ^{AA} + λ^{BB} is even in Δ,
  it does not change sign);
- for t′ = 0 (bipartite), the sublattice sign S gives H(Δ) = −S H(−Δ) S with S independent of u, so filled and
  empty states swap and Ω(Δ) = −Ω(−Δ) exactly; with the mirror, ω^{BB} = −ω^{AA} and ω^{AB} = 0;
- a uniform translation of all sublattices is a gauge transformation times a shift of κ (linear gauge), so
  Σ_ab Ω^{ab}_{ij} = 0 (filled bands of zero Chern number) for any t′.
"""

from __future__ import annotations

import ctypes
import glob
import os

import numpy as np
import pytest

from numeric.model.bands import diagonalize
from numeric.validation import ParameterError
from numeric.model.honeycomb import HoneycombParameters, honeycomb_model
from numeric.model.lattice import Lattice
from numeric.model.tight_binding import TightBindingModel
from numeric.verify.supercell import (
    _bond_terms,
    _bonds,
    _modulation_weights,
    born_oppenheimer_lambda,
    born_oppenheimer_moment,
    kappa_grid,
    molecular_berry_curvature,
    molecular_geometry,
    site_positions,
    supercell_field,
    supercell_hamiltonian,
    supercell_hamiltonian_derivative,
)

HERMITIAN_ATOL = 1e-12          # eV
PHASE_ATOL = 1e-10              # plaquette phases (rad-scale, unit-modulus numbers)
EIGENVALUE_ATOL = 1e-10           # eV: folding and gauge comparisons
FD_STEP = 1e-5                  # Å; central differences: truncation h²|t'''|/6 ≈ 6e-10, round-off ≈ 3e-11 eV/Å
FD_ATOL = 1e-8                  # eV/Å
TR_RTOL = 1e-12                 # Ω(B = 0) relative to the quantum-metric scale |∂H|²/gap²
EXACT_RTOL = 1e-10              # identities exact on the torus (round-off), relative to max|Ω|
FINITE_SIZE_RTOL = 1e-7         # symmetries of the infinite system, at L·nkappa = 36 (observed ≲ 1e-9)
LINEARITY_RTOL = 5e-3           # |ω(2B)/ω(B) − 2| at L = 12 (B = 8.3e-3): the B³ term, (v²B/Δ²)² ~ 0.1 × c3/c1
CUBIC_RATIO_RTOL = 0.05         # B⁵ corrections to the 3/8 ratio of the B² terms at L = 12
LAMBDA_REFERENCE = 0.610417     # λ^{AA}_BO, default model (converged odd fit to L·nκ ≥ 36, B ≤ 8e-3; see bench)

RNG = np.random.default_rng(7)
KAPPAS = RNG.uniform(-1.0, 1.0, size=(3, 2))            # 1/Å, generic supercell Bloch vectors
DISPLACEMENTS = RNG.normal(scale=0.05, size=(3, 2, 2))   # Å, generic sublattice displacements

# The displaced Peierls path gives a nonzero λ at t′ = 0, which the structure tests below need; the
# equilibrium path (the package default) is compared with the referee in tests/test_adiabatic.py.
MODEL = honeycomb_model(peierls="displaced")
CONVERGED = dict(L=12, nkappa=3)                         # torus of 36 × 36 cells


@pytest.fixture(scope="module", autouse=True)
def single_blas_thread():
    """Run this module's small dense eigh (N ≤ 288) on one OpenBLAS thread, restoring the count afterwards.

    On a loaded 2-core machine multithreaded OpenBLAS spins in these small LAPACK calls (measured 30–100× slower);
    one thread is the fastest choice at these sizes. No-op unless NumPy bundles scipy-openblas.
    """
    libs = glob.glob(os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs", "libscipy_openblas*.so*"))
    try:
        lib = ctypes.CDLL(libs[0])
        get, put = lib.scipy_openblas_get_num_threads64_, lib.scipy_openblas_set_num_threads64_
    except (IndexError, OSError, AttributeError):
        yield
        return
    get.restype = ctypes.c_int
    before = get()
    put(ctypes.c_int(1))
    try:
        yield
    finally:
        put(ctypes.c_int(before))


def _omega(curv):
    """ω^{ab} = ½(Ω^{ab}_{xy} − Ω^{ab}_{yx})."""
    return 0.5 * (curv[..., :, 0, :, 1] - curv[..., :, 1, :, 0])


def displaced_model(model, u):
    """The same hoppings on a lattice whose sublattice positions are moved by u (nsub, 2)."""
    lat = model.lattice
    moved = Lattice(lat.vectors, lat.positions + u, lat.labels, dict(lat.points))
    return TightBindingModel(moved, model.onsite, model.hoppings, model.peierls)


# ------------------------------------------------------------------------------------- the Hamiltonian
@pytest.mark.parametrize("gauge", [1, 2])
@pytest.mark.parametrize("n_flux", [0, 1, 3])
def test_hermitian(gauge, n_flux):
    for kappa, u in zip(KAPPAS, DISPLACEMENTS):
        H = supercell_hamiltonian(MODEL, 4, n_flux, kappa, u, gauge=gauge)
        assert np.abs(H - H.conj().T).max() < HERMITIAN_ATOL


def _hexagons(model, L):
    """Every hexagon of the L×L torus as 6 home indices (counter-clockwise) and its 6 sublattice labels.

    Hexagon of cell n: centre n·a + 2τ_A − τ_B, vertices at a0 (cos kπ/3, sin kπ/3) from it.
    """
    lat = model.lattice
    tau, vec = lat.positions, lat.vectors
    a0 = np.linalg.norm(tau[1] - tau[0])
    inv = np.linalg.inv(vec)
    out, crossing = [], 0
    for n1 in range(L):
        for n2 in range(L):
            centre = np.array([n1, n2]) @ vec + 2 * tau[0] - tau[1]
            ids, subs = [], []
            for k in range(6):
                p = centre + a0 * np.array([np.cos(k * np.pi / 3), np.sin(k * np.pi / 3)])
                for alpha in range(lat.nsub):
                    m = (p - tau[alpha]) @ inv
                    if np.allclose(m, np.round(m), atol=1e-9):
                        m = np.round(m).astype(int)
                        break
                else:
                    raise AssertionError("hexagon vertex is not a lattice site")
                crossing += bool(np.any((m < 0) | (m >= L)))
                ids.append((np.mod(m[0], L) * L + np.mod(m[1], L)) * lat.nsub + alpha)
                subs.append(alpha)
            out.append((ids, subs, centre))
    return out, crossing


def _shoelace(points):
    x, y = points[:, 0], points[:, 1]
    return 0.5 * np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y)


@pytest.mark.parametrize("gauge", [1, 2])
@pytest.mark.parametrize("n_flux", [1, 3])
def test_plaquette_flux(gauge, n_flux):
    """(i) Π H_{s_{k+1} s_k} around every hexagon (counter-clockwise) = |…| exp(−i B A'_hex), A' the displaced area."""
    L = 4
    hexes, crossing = _hexagons(MODEL, L)
    assert len(hexes) == L * L and crossing > 0          # all plaquettes, some across the boundary
    B = supercell_field(MODEL, L, n_flux)
    a0 = HoneycombParameters().a0
    assert np.isclose(_shoelace(np.array([[np.cos(k * np.pi / 3), np.sin(k * np.pi / 3)] for k in range(6)]) * a0),
                      1.5 * np.sqrt(3) * a0**2)
    for kappa, u in zip(KAPPAS, [np.zeros((2, 2)), *DISPLACEMENTS[:2]]):
        H = supercell_hamiltonian(MODEL, L, n_flux, kappa, u, gauge=gauge)
        for ids, subs, centre in hexes:
            verts = centre + a0 * np.array([[np.cos(k * np.pi / 3), np.sin(k * np.pi / 3)] for k in range(6)])
            area = _shoelace(verts + u[subs])
            prod = np.prod([H[ids[(k + 1) % 6], ids[k]] for k in range(6)])
            assert abs(prod / abs(prod) - np.exp(-1j * B * area)) < PHASE_ATOL


def test_zero_field_folding():
    """(ii) n_flux = 0: the supercell spectrum at κ is the primitive spectrum at κ + (i b1 + j b2)/L."""
    L = 3
    b = MODEL.lattice.reciprocal
    shifts = np.array([(i * b[0] + j * b[1]) / L for i in range(L) for j in range(L)])
    for kappa, u in zip(KAPPAS, [np.zeros((2, 2)), *DISPLACEMENTS[:2]]):
        e_sc = np.linalg.eigvalsh(supercell_hamiltonian(MODEL, L, 0, kappa, u))
        e_prim = diagonalize(displaced_model(MODEL, u).hamiltonian(kappa + shifts))[0]
        assert np.abs(e_sc - np.sort(e_prim.ravel())).max() < EIGENVALUE_ATOL


@pytest.mark.parametrize("n_flux", [1, 2, 5])
def test_gauge_independent_spectrum(n_flux):
    """(iii) Landau gauge along T2 vs along T1: the same spectrum (same κ), also with displacements."""
    for kappa, u in zip(KAPPAS, DISPLACEMENTS):
        e1 = np.linalg.eigvalsh(supercell_hamiltonian(MODEL, 5, n_flux, kappa, u, gauge=1))
        e2 = np.linalg.eigvalsh(supercell_hamiltonian(MODEL, 5, n_flux, kappa, u, gauge=2))
        assert np.abs(e1 - e2).max() < EIGENVALUE_ATOL


@pytest.mark.parametrize("gauge", [1, 2])
def test_analytic_derivative_matches_finite_differences(gauge):
    L, n_flux = 4, 2
    for kappa, u in zip(KAPPAS, DISPLACEMENTS):
        dH = supercell_hamiltonian_derivative(MODEL, L, n_flux, kappa, u, gauge=gauge)
        for c in range(2):
            for k in range(2):
                step = np.zeros((2, 2))
                step[c, k] = FD_STEP
                fd = (supercell_hamiltonian(MODEL, L, n_flux, kappa, u + step, gauge=gauge)
                      - supercell_hamiltonian(MODEL, L, n_flux, kappa, u - step, gauge=gauge)) / (2 * FD_STEP)
                assert np.abs(fd - dH[c, k]).max() < FD_ATOL


@pytest.mark.parametrize("L", [1, 2])
def test_zero_field_derivative_is_primitive_derivative(L):
    """B = 0: ∂H/∂u of the supercell, folded to primitive k, equals ∂/∂u of a displaced primitive model.

    Bloch convention II (phases carry cell positions only) on both sides: the supercell phase e^{iκ·M} and the
    fold basis φ_{(k, α)}(s) = δ_{α_s α} e^{ik·n_s a}/L make ⟨k α|∂H_sc|k′ β⟩ = δ_kk′ ∂H^{II}_{αβ}(k).
    """
    b = MODEL.lattice.reciprocal
    pos, sub = site_positions(MODEL, L)
    cellpos = pos - MODEL.lattice.positions[sub]
    for kappa in KAPPAS:
        ks = np.array([kappa + (i * b[0] + j * b[1]) / L for i in range(L) for j in range(L)])
        fold = np.zeros((len(sub), len(ks) * 2), dtype=complex)
        for q, k in enumerate(ks):
            for alpha in range(2):
                fold[:, 2 * q + alpha] = (sub == alpha) * np.exp(1j * cellpos @ k) / L
        dH = supercell_hamiltonian_derivative(MODEL, L, 0, kappa)
        for c in range(2):
            for d in range(2):
                step = np.zeros((2, 2))
                step[c, d] = FD_STEP
                fd = (displaced_model(MODEL, step).hamiltonian(ks, bloch="II")
                      - displaced_model(MODEL, -step).hamiltonian(ks, bloch="II")) / (2 * FD_STEP)
                expected = np.zeros((2 * len(ks), 2 * len(ks)), dtype=complex)
                for q in range(len(ks)):
                    expected[2 * q:2 * q + 2, 2 * q:2 * q + 2] = fd[q]
                assert np.abs(fold.conj().T @ dH[c, d] @ fold - expected).max() < FD_ATOL


# ------------------------------------------------------------------------------------- Berry curvature
def test_zero_field_curvature_vanishes():
    """Time reversal: Ω(B = 0) = 0, relative to the quantum-metric scale |∂H|²/gap² (|Ω_μν| ≤ 2√(g_μμ g_νν))."""
    for L, nk in [(1, 6), (4, 2)]:
        geo = molecular_geometry(MODEL, L, 0, nk)
        scale = np.max(np.abs(geo.metric))
        assert scale > 1.0
        assert np.abs(geo.curvature).max() < TR_RTOL * scale


def test_time_reversal_odd_in_field():
    """Exact on the torus: Ω(−n_flux) = −Ω(n_flux)."""
    plus = molecular_berry_curvature(MODEL, 6, 1, 2)
    minus = molecular_berry_curvature(MODEL, 6, -1, 2)
    assert np.abs(plus + minus).max() < EXACT_RTOL * np.abs(plus).max()


@pytest.fixture(scope="module")
def bo_converged():
    """born_oppenheimer_lambda of the default model at L = 12, n_flux = 0…3, nkappa = 3 (shared by tests)."""
    L, nk = CONVERGED["L"], CONVERGED["nkappa"]
    return born_oppenheimer_lambda(MODEL, pairs=[(L, 0), (L, 1), (L, 2), (L, 3)], nkappa=nk)


def test_curvature_structure_and_gauge_independence(bo_converged):
    """Ω antisymmetric in (a, i) ↔ (b, j) (exact); Ω^{ab}_{ij} = ω^{ab} ε_ij with ω symmetric, ω^{BB} = −ω^{AA},
    ω^{AB} = 0 (C3, mirrors, time reversal, chiral: up to finite size); the same in both Landau gauges."""
    c1 = bo_converged.curvatures[1]                      # L = 12, n_flux = 1, gauge 1
    c2 = molecular_berry_curvature(MODEL, CONVERGED["L"], 1, CONVERGED["nkappa"], gauge=2)
    scale = np.abs(c1).max()
    assert scale > 1e-3
    M = c1.reshape(4, 4)
    assert np.abs(M + M.T).max() < EXACT_RTOL * scale
    eps = np.array([[0.0, 1.0], [-1.0, 0.0]])
    w = _omega(c1)
    assert np.abs(c1 - w[:, None, :, None] * eps[None, :, None, :]).max() < FINITE_SIZE_RTOL * scale
    assert abs(w[0, 0] + w[1, 1]) < FINITE_SIZE_RTOL * scale
    assert abs(w[0, 1]) < FINITE_SIZE_RTOL * scale
    assert np.abs(c1 - c2).max() < FINITE_SIZE_RTOL * scale


def test_chiral_symmetry_delta_sign():
    """t′ = 0: Ω(Δ) = −Ω(−Δ), exact on the torus."""
    plus = molecular_berry_curvature(MODEL, 6, 1, 2)
    minus = molecular_berry_curvature(honeycomb_model(delta=-1.0, peierls="displaced"), 6, 1, 2)
    assert np.abs(plus + minus).max() < EXACT_RTOL * np.abs(plus).max()


@pytest.mark.parametrize("tprime", [-0.3, 0.3])
def test_mirror_and_translation_sum_rule_with_tprime(tprime):
    """t′ ≠ 0 (no chiral symmetry; ω^{AB} ≠ 0): mirror ω^{ab}(Δ) = ω^{āb̄}(−Δ), sum rule Σ_ab Ω^{ab}_{ij} = 0."""
    model = honeycomb_model(tprime=tprime, peierls="displaced")
    c = molecular_berry_curvature(model, CONVERGED["L"], 1, CONVERGED["nkappa"])
    cm = molecular_berry_curvature(honeycomb_model(tprime=tprime, delta=-1.0, peierls="displaced"), CONVERGED["L"], 1,
                                   CONVERGED["nkappa"])
    scale = np.abs(c).max()
    w, wm = _omega(c), _omega(cm)
    assert abs(w[0, 1]) > 0.1 * scale                  # the test is not empty
    assert np.abs(w - wm[::-1, ::-1]).max() < FINITE_SIZE_RTOL * scale
    assert np.abs(c.sum(axis=(0, 2))).max() < FINITE_SIZE_RTOL * scale


def test_b_linearity(bo_converged):
    """ω(B) is B-linear at small B with an odd (B³) correction: ω(2B)/ω(B) = 2 within LINEARITY_RTOL, and the
    B² terms of ω/B at B, 2B, 3B stand in the ratio (4 − 1)/(9 − 1) = 3/8."""
    res = bo_converged
    slope = _omega(res.curvatures[1:])[:, 0, 0] / res.B_values[1:]
    assert abs(slope[1] / slope[0] - 1.0) < LINEARITY_RTOL
    ratio = (slope[1] - slope[0]) / (slope[2] - slope[0])
    assert abs(ratio / 0.375 - 1.0) < CUBIC_RATIO_RTOL


def test_born_oppenheimer_lambda(bo_converged):
    """λ = ½ c1, λ^{BB} = −λ^{AA}, λ^{AB} = 0, and the reference value within the fit's own error estimate."""
    L, res = CONVERGED["L"], bo_converged
    assert res.lam.shape == (2, 2) and res.curvatures.shape == (4, 2, 2, 2, 2)
    assert np.allclose(res.B_values, [supercell_field(MODEL, L, n) for n in range(4)])
    assert np.abs(res.curvatures[0]).max() < 1e-12
    lam, err = res.lam, res.error_estimate
    assert abs(lam[0, 0] + lam[1, 1]) < 1e-6 and abs(lam[0, 1]) < 1e-6
    assert abs(lam[0, 0] - LAMBDA_REFERENCE) < err[0, 0]
    assert abs(res.lam_odd[0, 0] - LAMBDA_REFERENCE) < err[0, 0]
    assert abs(res.coefficients[0, 0, 0]) < 2 * res.residual[0, 0]     # c0 = 0 (time reversal) up to the B³ misfit


# ------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("L", [0, -2, 1.5])
def test_bad_L(L):
    with pytest.raises(ParameterError, match="L"):
        supercell_hamiltonian(MODEL, L, 0, np.zeros(2))


@pytest.mark.parametrize("nkappa", [0, -1, 2.5])
def test_bad_nkappa(nkappa):
    with pytest.raises(ParameterError, match="nkappa"):
        molecular_berry_curvature(MODEL, 2, 0, nkappa)
    with pytest.raises(ParameterError, match="nkappa"):
        kappa_grid(MODEL, 2, nkappa)


def test_bad_other_input():
    with pytest.raises(ParameterError, match="n_flux"):
        supercell_hamiltonian(MODEL, 2, 0.5, np.zeros(2))
    with pytest.raises(ParameterError, match="gauge"):
        supercell_hamiltonian(MODEL, 2, 1, np.zeros(2), gauge=3)
    with pytest.raises(ParameterError, match="u"):
        supercell_hamiltonian(MODEL, 2, 1, np.zeros(2), np.zeros(2))
    with pytest.raises(ParameterError, match="kappa"):
        supercell_hamiltonian(MODEL, 2, 1, np.zeros(3))
    with pytest.raises(ParameterError, match="distinct fields"):
        born_oppenheimer_lambda(MODEL, pairs=[(4, 0), (4, 1)], nkappa=1)


def test_bad_modulation_input():
    """Displacements modulated at q need q periodic on the supercell (at K, L a multiple of 3) and polarizations of
    shape (npol, 2 nsub)."""
    K = MODEL.lattice.point("K")
    with pytest.raises(ParameterError, match="not periodic on the 4×4 supercell"):
        born_oppenheimer_moment(MODEL, K, np.eye(4), pairs=[(4, 0), (4, 1), (4, 2)], nkappa=1)
    with pytest.raises(ParameterError, match="polarizations must have shape"):
        born_oppenheimer_moment(MODEL, K, np.eye(3), pairs=[(3, 0), (3, 1), (3, 2)], nkappa=1)
    with pytest.raises(ParameterError, match="modulation q"):
        molecular_geometry(MODEL, 3, 1, 1, modulation=np.zeros(3))


def test_modulated_derivative_of_a_commensurate_pattern():
    """At q = 0 the modulated derivative is the uniform one (cos = 1) with vanishing imaginary coordinates; at K the
    cosine and sine patterns of each sublattice move it by opposite-signed weights that sum to zero over the supercell
    (Σ_s e^{iK·r_s} = 0 over the cells of a 3×3 supercell)."""
    b = _bonds(MODEL, 3)
    kappa = np.array([0.1, -0.2])
    _, uniform = _bond_terms(MODEL, b, 1, kappa, None, 1, derivative=True)
    _, at_gamma = _bond_terms(MODEL, b, 1, kappa, None, 1, derivative=True, modulation=np.zeros(2))
    assert np.array_equal(at_gamma[0], uniform) and not np.any(at_gamma[1])
    (cos_i, cos_j), (sin_i, sin_j) = _modulation_weights(b, MODEL.lattice.point("K"))
    for f in (cos_i, cos_j, sin_i, sin_j):                      # per bond family, over the L² cells
        assert np.abs(f.sum(axis=1)).max() < 1e-12 and np.abs(f).max() > 0.5


def test_closed_gap_raises():
    with pytest.raises(ParameterError, match=r"L = 6, n_flux = 1"):
        molecular_berry_curvature(honeycomb_model(delta=0.01), 6, 1, 1)
