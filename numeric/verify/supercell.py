"""Born–Oppenheimer phonon magnetic moment at q = Γ from a magnetic supercell (no perturbation theory in A).

An independent referee for the adiabatic limit. The supercell Hamiltonian is written here, in real space, from
the model's geometry and hopping parameters only (``model.lattice``, ``model.onsite``, ``model.hoppings``); it uses
neither ``TightBindingModel.vertex`` nor ``bond_coefficients``. Units: e = ħ = 1, energies eV, lengths Å, magnetic
field ħ/(e Å²) (= ``units.TESLA_PER_NATURAL_FIELD`` T), a flux quantum is 2π.

Physics
-------
Supercell. L×L primitive cells, supercell vectors T1 = L a1, T2 = L a2, N = nsub L² sites; site
``s = (n1 L + n2) nsub + α`` sits at r_s = n1 a1 + n2 a2 + τ_α (0 ≤ n1, n2 < L). A uniform displacement u_α of
every site of sublattice α (the q = Γ phonon) moves it to r'_s = r_s + u_α.

Field and gauge. A uniform B_z = ∂_x A_y − ∂_y A_x with n_flux flux quanta through the supercell,
B = 2π n_flux / (L² A_cell). With oblique coordinates r = s1 T1 + s2 T2 and C = B (T1 × T2)_z = ±2π n_flux,

- gauge 1 (Landau along T2): A·dr = C s1 ds2, so A(r + T1) = A(r) + ∇χ, χ = C s2; A(r + T2) = A(r);
- gauge 2 (Landau along T1): A·dr = −C s2 ds1, so A(r + T2) = A(r) + ∇χ, χ = −C s1; A(r + T1) = A(r).

Both are linear in r, so the Peierls phase of the straight displaced bond j → i is exactly the midpoint rule,
Φ_ij = ∫_{r'_j}^{r'_i} A·dr = A(r'_mid)·D, D = r'_i − r'_j, i.e. Φ = C s1(mid) s2(D) (gauge 1) or −C s2(mid) s1(D)
(gauge 2). The bond term is h_ij = t(|D|) e^{−iΦ_ij} c†_i c_j with t(ℓ) = t₀ exp(−β(ℓ/ℓ₀ − 1)) (as in ``model``).

Magnetic translations. Since h(i + T, j + T) = h(i, j) e^{−i(χ(r'_i) − χ(r'_j))}, the eigenstates can be chosen with

    ψ(r + m1 T1 + m2 T2) = e^{iκ·(m1 T1 + m2 T2)} e^{−i m χ(r')} ψ(r)   (m = m1 in gauge 1, m = m2 in gauge 2),

consistent because C ∈ 2πZ (the two translations commute). A bond from j = j0 + M (j0 in the home supercell)
to a home site i therefore enters the supercell Bloch Hamiltonian as

    H_{i j0}(κ) = t(|D|) e^{−iΦ_ij} e^{iκ·M} e^{−i m χ(r'_{j0})},

κ the supercell Bloch vector (Cartesian, 1/Å), phases carrying supercell translations only. Products of H
elements around any contractible loop give exp(−i B × (signed area)) (counter-clockwise), boundary or not.

Molecular Berry curvature (T = 0, half the sites filled, all states below the mid-gap μ): with μ = (a, i) and
ν = (b, j) a sublattice and a Cartesian direction of the uniform displacement,

    Ω^{ab}_{ij} = −2 Im Σ_κ Σ_{n occ, m unocc} ⟨n|∂H/∂u^a_i|m⟩⟨m|∂H/∂u^b_j|n⟩ / (ε_n − ε_m)²  / (L² nκ²),

per primitive cell, in Å⁻² (ħ = 1); the curvature of A_μ = i⟨Ψ|∂_μΨ⟩ of the Slater determinant, so the adiabatic
Lagrangian gains ½ Σ Ω^{ab}_{ij} u^a_i u̇^b_j. ∂H/∂u is the analytic derivative of the expression above (see
``supercell_hamiltonian_derivative``; checked against central finite differences in the tests).

Basis convention. The site orbitals are a fixed orthonormal basis (they do not move or pick up a gauge phase
with the ion): exactly the model's Eq. (2) with u entering t(|D|) and the Peierls phase only. In that basis a
uniform translation of all sublattices is a gauge transformation plus a shift of κ, so Σ_ab Ω^{ab} vanishes
(up to the Chern number of the filled bands, zero here): the Lorentz force on the electrons' own charge dragged
along with the ions is not part of this curvature.

Symmetry (derived in tests/test_supercell.py). Time reversal makes Ω odd in B; C3 and the mirrors give
Ω^{ab}_{ij} = ω^{ab} ε_ij with ω symmetric; for bipartite hopping (t′ = 0) the sublattice sign gives
Ω(Δ) = −Ω(−Δ) and, with the mirror x → a0 − x, ω^{BB} = −ω^{AA}, ω^{AB} = 0.

Born–Oppenheimer λ. Fitting the antisymmetrized ω^{ab}(B) = ½(Ω^{ab}_{xy} − Ω^{ab}_{yx}) to c0 + c1 B + c2 B²
gives λ^{ab} = ½ c1: with the Lagrangian ½ Ω_xy (u_x u̇_y − u_y u̇_x) and the Zeeman term L_Z = +B·m, i.e. the
energy −B λ (u × u̇)_z, one reads off m^z = λ^{ab} (u^a × u̇^b)_z summed over a, b (λ in units of e).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from ..validation import ParameterError, finite, grid_size
from ..response.moment import cross_z

MIN_GAP_EV = 0.1
"""Smallest allowed gap (eV) between the highest filled and lowest empty level on the κ grid."""

FIT_MIN_DISTINCT_B = 3
"""``born_oppenheimer_lambda`` needs at least this many distinct field values (the fit is quadratic)."""


# --------------------------------------------------------------------------------------------- geometry
@dataclass(frozen=True)
class _Bonds:
    """Supercell bonds grouped by the model's hopping index g (arrays of shape (nhop, L²))."""

    L: int
    nsub: int
    positions: np.ndarray     # (N, 2) equilibrium site positions in the home supercell, Å
    sublattice: np.ndarray    # (N,)
    i: np.ndarray             # (nhop, L²) home index of the site c†_i
    j0: np.ndarray            # (nhop, L²) home index of the image of c_j
    mq: np.ndarray            # (nhop, L², 2) integer supercell translation of j: j = j0 + m1 T1 + m2 T2
    to: np.ndarray            # (nhop,)
    frm: np.ndarray           # (nhop,)
    d: np.ndarray             # (nhop, 2) equilibrium bond vector r_i − r_j, Å
    t0: np.ndarray            # (nhop,)
    l0: np.ndarray
    beta: np.ndarray
    T: np.ndarray             # (2, 2) rows T1, T2, Å
    G: np.ndarray             # (2, 2) columns g1, g2 with s_k = r·g_k (s = r T⁻¹)


def _check_L(L) -> int:
    return grid_size("L (supercell size in primitive cells)", L, minimum=1)


def _check_flux(n_flux) -> int:
    try:
        n = int(n_flux)
    except (TypeError, ValueError):
        raise ParameterError(f"n_flux must be an integer number of flux quanta, got {n_flux!r}.") from None
    if n != n_flux:
        raise ParameterError(f"n_flux must be an integer number of flux quanta, got {n_flux!r}: "
                             "a torus admits only whole flux quanta.")
    return n


def _check_gauge(gauge) -> int:
    if gauge not in (1, 2):
        raise ParameterError(f"gauge must be 1 (Landau gauge along T2) or 2 (along T1), got {gauge!r}.")
    return int(gauge)


def _build_bonds(model, L: int) -> _Bonds:
    lat = model.lattice
    vec, tau, nsub = lat.vectors, lat.positions, lat.nsub
    n1, n2 = np.meshgrid(np.arange(L), np.arange(L), indexing="ij")
    cells = np.stack([n1.ravel(), n2.ravel()], axis=-1)            # (L², 2), cell c = n1 L + n2
    cidx = cells[:, 0] * L + cells[:, 1]
    positions = (np.repeat(cells @ vec, nsub, axis=0) + np.tile(tau, (L * L, 1)))
    sublattice = np.tile(np.arange(nsub), L * L)
    I, J0, MQ, D = [], [], [], []
    for h in model.hoppings:
        R = np.asarray(h.R, dtype=int)
        m = cells + R
        m0 = np.mod(m, L)
        I.append(cidx * nsub + h.to)
        J0.append((m0[:, 0] * L + m0[:, 1]) * nsub + h.frm)
        MQ.append((m - m0) // L)
        D.append(tau[h.to] - (R @ vec + tau[h.frm]))
    T = L * vec
    return _Bonds(
        L=L, nsub=nsub, positions=positions, sublattice=sublattice,
        i=np.array(I), j0=np.array(J0), mq=np.array(MQ), d=np.array(D),
        to=np.array([h.to for h in model.hoppings]), frm=np.array([h.frm for h in model.hoppings]),
        t0=np.array([h.t0 for h in model.hoppings], complex), l0=np.array([h.length for h in model.hoppings], float),
        beta=np.array([h.beta for h in model.hoppings], float), T=T, G=np.linalg.inv(T),
    )


def _bonds(model, L) -> _Bonds:
    if not model.hoppings:
        raise ParameterError("the model has no hoppings: a supercell needs at least one bond.")
    return _build_bonds(model, _check_L(L))


def supercell_field(model, L, n_flux) -> float:
    """Uniform field B = 2π n_flux / (L² A_cell) in ħ/(e Å²) (multiply by ``TESLA_PER_NATURAL_FIELD`` for T)."""
    L = _check_L(L)
    return 2 * np.pi * _check_flux(n_flux) / (L * L * model.lattice.cell_area)


def site_positions(model, L) -> tuple[np.ndarray, np.ndarray]:
    """Equilibrium positions (N, 2) (Å) and sublattice indices (N,) of the home supercell's sites."""
    b = _bonds(model, L)
    return b.positions.copy(), b.sublattice.copy()


def kappa_grid(model, L, nkappa) -> np.ndarray:
    """The nκ × nκ grid κ = (i1 B1 + i2 B2)/nκ, 0 ≤ i < nκ, B_k = b_k / L (1/Å), shape (nκ², 2).

    It is mapped onto itself by κ → −κ (time reversal) modulo the supercell reciprocal lattice.
    """
    L = _check_L(L)
    nk = grid_size("nkappa (supercell Bloch grid per direction)", nkappa, minimum=1)
    i1, i2 = np.meshgrid(np.arange(nk), np.arange(nk), indexing="ij")
    frac = np.stack([i1.ravel(), i2.ravel()], axis=-1) / nk
    return frac @ (model.lattice.reciprocal / L)


def _check_u(model, u) -> np.ndarray:
    if u is None:
        return np.zeros((model.nsub, 2))
    u = np.array(finite("u (sublattice displacements, Å)", u), dtype=float)
    if u.shape != (model.nsub, 2):
        raise ParameterError(f"u must have shape (nsub, 2) = ({model.nsub}, 2), got {u.shape}.")
    return u


def _check_kappa(kappa) -> np.ndarray:
    k = np.array(finite("kappa (supercell Bloch vector, 1/Å)", kappa), dtype=float)
    if k.shape != (2,):
        raise ParameterError(f"kappa must be one Cartesian 2-vector in 1/Å, got shape {k.shape}.")
    return k


# ---------------------------------------------------------------------------------------- bond values
def _modulation_weights(b: _Bonds, modulation):
    """Per-site weights f_s of the displacement coordinates, as (f at the site c†_i, f at the site c_j) per bond:
    uniform sublattice displacements (``modulation`` None: f = 1, coordinates (nsub, 2)), or the real and imaginary
    parts of the amplitudes c of u_s = Re[c e^{iq·r_s}] at q = ``modulation`` (f = cos q·r_s and −sin q·r_s,
    coordinates (2, nsub, 2)). q must be periodic on the supercell, e^{iq·T_k} = 1, so that the image j = j0 + M moves
    with j0."""
    if modulation is None:
        return [(np.ones(b.i.shape), np.ones(b.i.shape))]
    q = np.array(finite("q (modulation wave vector, 1/Å)", modulation), dtype=float)
    if q.shape != (2,):
        raise ParameterError(f"the modulation q must be one Cartesian 2-vector in 1/Å, got shape {q.shape}.")
    if np.abs(np.exp(1j * (b.T @ q)) - 1.0).max() > 1e-9:
        raise ParameterError(f"q = {q.tolist()} 1/Å is not periodic on the {b.L}×{b.L} supercell (e^(iq·T) ≠ 1): "
                             "choose L so that q is a supercell reciprocal vector (at K, L a multiple of 3).")
    ph_i, ph_j = b.positions[b.i] @ q, b.positions[b.j0] @ q
    return [(np.cos(ph_i), np.cos(ph_j)), (-np.sin(ph_i), -np.sin(ph_j))]


def _bond_terms(model, b: _Bonds, n_flux, kappa, u, gauge, derivative: bool, modulation=None):
    """Bond amplitudes H_{i j0}(κ) (nhop, L²) and, optionally, their derivatives with respect to the displacement
    coordinates (:func:`_modulation_weights`): (nsub, 2, nhop, L²) for uniform ones, (2, nsub, 2, nhop, L²) for
    modulated ones."""
    n_flux, gauge = _check_flux(n_flux), _check_gauge(gauge)
    kappa, u = _check_kappa(kappa), _check_u(model, u)
    C = 2 * np.pi * n_flux * np.sign(np.linalg.det(b.T))           # = B (T1 × T2)_z
    g1, g2 = b.G[:, 0], b.G[:, 1]
    M = b.mq @ b.T                                                   # (nhop, L², 2) Cartesian translation of j
    rj0 = b.positions[b.j0] + u[b.frm][:, None, :]                   # displaced image of j in the home cell
    D = (b.d + u[b.to] - u[b.frm])[:, None, :]                       # (nhop, 1, 2) displaced bond r'_i − r'_j
    ell = np.linalg.norm(D, axis=-1)
    moving_path = model.peierls == "displaced"
    if not moving_path:                                              # Peierls path on the equilibrium bond
        rj0 = b.positions[b.j0] + 0.0 * u[b.frm][:, None, :]
        D_path = np.broadcast_to(b.d[:, None, :], D.shape)
    else:
        D_path = D
    mid = rj0 + M + 0.5 * D_path                                     # midpoint of the Peierls path, actual position
    hop = b.t0[:, None] * np.exp(-b.beta[:, None] * (ell / b.l0[:, None] - 1.0))
    if gauge == 1:
        sa, sb, m_wrap = mid @ g1, D_path @ g2, b.mq[..., 0]
        gw = g2                                                       # χ = C s2, wrapped along T1
        wrap = -m_wrap * C * (rj0 @ g2)
        ga, gb, sign = g1, g2, 1.0
    else:
        sa, sb, m_wrap = mid @ g2, D_path @ g1, b.mq[..., 1]
        gw = g1                                                       # χ = −C s1, wrapped along T2
        wrap = m_wrap * C * (rj0 @ g1)
        ga, gb, sign = g2, g1, -1.0
    phi = sign * C * sa * sb                                          # Peierls phase, exact midpoint rule
    val = hop * np.exp(-1j * phi + 1j * (M @ kappa) + 1j * wrap)
    if not derivative:
        return val, None
    nsub = model.nsub
    weights = _modulation_weights(b, modulation)
    dval = np.empty((len(weights), nsub, 2) + val.shape, dtype=complex)
    Dhat = D / ell[..., None]
    for r, (f_to, f_frm) in enumerate(weights):
        for c in range(nsub):
            on_i, on_j = (b.to == c)[:, None] * f_to, (b.frm == c)[:, None] * f_frm
            sD = on_i - on_j                                         # ∂D/∂x = sD e_k
            sM = 0.5 * (on_i + on_j)                                 # ∂mid/∂x = sM e_k
            sJ = on_j                                                # ∂r'_{j0}/∂x = sJ e_k
            for k in range(2):
                dlogt = -(b.beta / b.l0)[:, None] * sD * Dhat[..., k]
                dphi = sign * C * (sM * ga[k] * sb + sa * sD * gb[k])
                dwrap = (-1.0 if gauge == 1 else 1.0) * m_wrap * C * sJ * gw[k]
                dval[r, c, k] = val * (dlogt - 1j * dphi + 1j * dwrap) if moving_path else val * dlogt
    return val, (dval[0] if modulation is None else dval)


def supercell_hamiltonian(model, L, n_flux, kappa, u=None, *, gauge: int = 1) -> np.ndarray:
    """Supercell Bloch Hamiltonian in a uniform field, built in real space (eV), shape (N, N), N = nsub L².

    H_{ss'}(κ) = ε_α δ_{ss'} + Σ_{bonds i←j, i = s, j = s' + M} t(|D|) e^{−iΦ_ij} e^{iκ·M} e^{−i m χ(r'_{s'})},
    with t(ℓ) = t₀ exp(−β(ℓ/ℓ₀ − 1)), D = r'_i − r'_j, Φ_ij = ∫_{r'_j}^{r'_i} A·dr on the straight displaced bond and
    the magnetic-translation factor of the module docstring (m = m1 in gauge 1, m2 in gauge 2).

    Parameters
    ----------
    model : TightBindingModel
        Only its lattice, on-site energies and hopping parameters are read.
    L : int ≥ 1
        Supercell of L × L primitive cells (T_k = L a_k).
    n_flux : int
        Flux quanta through the supercell: B = 2π n_flux / (L² A_cell) in ħ/(e Å²) (B_z = ∂_x A_y − ∂_y A_x).
    kappa : (2,) array
        Supercell Bloch vector, Cartesian, 1/Å.
    u : (nsub, 2) array, optional
        Uniform displacement of each sublattice (Å); zero by default.
    gauge : 1 or 2
        Landau gauge along T2 (1) or along T1 (2); spectra agree.

    Returns
    -------
    (N, N) complex array, eV; site order ``s = (n1 L + n2) nsub + α``.
    """
    b = _bonds(model, L)
    val, _ = _bond_terms(model, b, n_flux, kappa, u, gauge, derivative=False)
    N = b.positions.shape[0]
    H = np.zeros((N, N), dtype=complex)
    np.add.at(H, (b.i.ravel(), b.j0.ravel()), val.ravel())
    H[np.diag_indices(N)] += model.onsite[b.sublattice]
    return H


def supercell_hamiltonian_derivative(model, L, n_flux, kappa, u=None, *, gauge: int = 1) -> np.ndarray:
    """Analytic ∂H/∂u^c_k of ``supercell_hamiltonian``, shape (nsub, 2, N, N), eV/Å.

    For each bond, ∂h/∂u^c_k = h [ −(β/ℓ₀) D̂_k ∂D − i ∂Φ + i ∂(wrap phase) ] with ∂D = (δ_{c,to} − δ_{c,frm}),
    ∂(midpoint) = ½(δ_{c,to} + δ_{c,frm}), ∂r'_{j0} = δ_{c,frm} (times e_k); Φ is bilinear in oblique coordinates.
    """
    b = _bonds(model, L)
    _, dval = _bond_terms(model, b, n_flux, kappa, u, gauge, derivative=True)
    N = b.positions.shape[0]
    out = np.zeros((model.nsub, 2, N, N), dtype=complex)
    for c in range(model.nsub):
        for k in range(2):
            np.add.at(out[c, k], (b.i.ravel(), b.j0.ravel()), dval[c, k].ravel())
    return out


# ----------------------------------------------------------------------------------- Berry curvature
@dataclass(frozen=True)
class MolecularGeometry:
    """Ground-state geometry of uniform sublattice displacements, per primitive cell.

    Attributes
    ----------
    curvature : (nsub, 2, nsub, 2) array, Å⁻²
        Ω^{ab}_{ij} [a, i, b, j] (see ``molecular_berry_curvature``).
    metric : (nsub, 2, nsub, 2) array, Å⁻²
        Quantum metric g = Re Σ ⟨n|∂H|m⟩⟨m|∂H|n⟩/(ε_n − ε_m)² / (L² nκ²); |Ω_μν| ≤ 2 √(g_μμ g_νν).
    gap : float
        Lowest empty minus highest filled level on the κ grid, eV.
    mu : float
        Mid-gap chemical potential, eV.
    B : float
        Field in ħ/(e Å²).
    """

    curvature: np.ndarray
    metric: np.ndarray
    gap: float
    mu: float
    B: float


_GEOMETRIES: dict = {}
"""Results of :func:`molecular_geometry` already computed in this process (the V7 checks and their tests ask for the
same supercells), keyed by the model's whole description and the arguments."""
_GEOMETRIES_KEPT = 64


def molecular_geometry(model, L, n_flux, nkappa, *, gauge: int = 1, modulation=None) -> MolecularGeometry:
    """Molecular Berry curvature, quantum metric, gap and μ of the filled supercell (see the module docstring).
    Remembered per process: the same model and arguments return the same (immutable) result.

    ``modulation`` q (1/Å, periodic on the supercell): the coordinates are the real and imaginary parts of the
    amplitudes c^a_i of u_s = Re[c e^{iq·r_s}] (s on sublattice a), and curvature and metric have shape
    (2, nsub, 2, 2, nsub, 2) [Re/Im, a, i, Re/Im, b, j]; by default uniform displacements, (nsub, 2, nsub, 2).

    Raises
    ------
    ParameterError
        If the number of sites is odd, or the gap between the filled (lowest half) and empty states is below
        ``MIN_GAP_EV`` at the given L, n_flux.
    """
    key = (json.dumps(model.describe()), L, n_flux, nkappa, gauge,
           None if modulation is None else tuple(float(x) for x in np.ravel(modulation)))
    if key not in _GEOMETRIES:
        if len(_GEOMETRIES) >= _GEOMETRIES_KEPT:
            _GEOMETRIES.pop(next(iter(_GEOMETRIES)))
        geometry = _molecular_geometry(model, L, n_flux, nkappa, gauge, modulation)
        for value in vars(geometry).values():
            if isinstance(value, np.ndarray):
                value.setflags(write=False)           # shared between callers: nobody may change it in place
        _GEOMETRIES[key] = geometry
    return _GEOMETRIES[key]


def _molecular_geometry(model, L, n_flux, nkappa, gauge, modulation) -> MolecularGeometry:
    b = _bonds(model, L)
    n_flux = _check_flux(n_flux)
    kgrid = kappa_grid(model, L, nkappa)
    N = b.positions.shape[0]
    if N % 2:
        raise ParameterError(f"half filling needs an even number of sites, got {N} (nsub L² with L = {b.L}).")
    nocc = N // 2
    coords = ((2,) if modulation is not None else ()) + (model.nsub, 2)
    nmu = int(np.prod(coords))
    G = np.zeros((nmu, nmu), dtype=complex)
    top, bottom = -np.inf, np.inf
    onsite = model.onsite[b.sublattice]
    I, J0 = b.i, b.j0
    for kappa in kgrid:
        val, dval = _bond_terms(model, b, n_flux, kappa, None, gauge, derivative=True, modulation=modulation)
        H = np.zeros((N, N), dtype=complex)
        np.add.at(H, (I.ravel(), J0.ravel()), val.ravel())
        H[np.diag_indices(N)] += onsite
        eps, V = np.linalg.eigh(H)
        top, bottom = max(top, eps[nocc - 1]), min(bottom, eps[nocc])
        if eps[nocc] - eps[nocc - 1] < MIN_GAP_EV:
            _gap_error(model, b.L, n_flux, eps[nocc] - eps[nocc - 1])
        Vo, Vu = V[:, :nocc], V[:, nocc:]
        # Y_μ = ∂_μH V_u, one hopping group at a time (rows i are distinct within a group).
        Y = np.zeros((nmu, N, N - nocc), dtype=complex)
        dv = dval.reshape(nmu, *val.shape)
        for g in range(I.shape[0]):
            rows, Vj = I[g], Vu[J0[g]]
            for mu in range(nmu):
                Y[mu, rows] += dv[mu, g][:, None] * Vj
        X = np.einsum("sn,usm->unm", Vo.conj(), Y, optimize=True)    # ⟨n|∂_μH|m⟩
        W = X / (eps[:nocc, None] - eps[None, nocc:])
        Wf = W.reshape(nmu, -1)
        G += Wf @ Wf.conj().T                                         # Σ ⟨n|∂_μH|m⟩⟨m|∂_νH|n⟩/(ε_n − ε_m)²
    if bottom - top < MIN_GAP_EV:
        _gap_error(model, b.L, n_flux, bottom - top)
    norm = b.L * b.L * len(kgrid)
    shape = coords + coords
    return MolecularGeometry(
        curvature=(-2.0 * G.imag / norm).reshape(shape), metric=(G.real / norm).reshape(shape),
        gap=float(bottom - top), mu=float(0.5 * (top + bottom)), B=supercell_field(model, b.L, n_flux))


def _gap_error(model, L, n_flux, gap):
    raise ParameterError(
        f"the half-filling gap is {gap:.3g} eV < {MIN_GAP_EV} eV at L = {L}, n_flux = {n_flux} "
        f"(onsite = {model.onsite.tolist()} eV): open the gap (larger staggered potential) or lower the field "
        "(smaller n_flux or larger L).")


def molecular_berry_curvature(model, L, n_flux, nkappa, *, gauge: int = 1) -> np.ndarray:
    """Ground-state molecular Berry curvature of uniform sublattice displacements per primitive cell (Å⁻²).

    Ω^{ab}_{ij} = −2 Im Σ_κ Σ_{n occ, m unocc} ⟨n|∂H/∂u^a_i|m⟩⟨m|∂H/∂u^b_j|n⟩ / (ε_n − ε_m)² / (L² nκ²),

    T = 0 with the lowest half of the states filled (μ mid-gap), κ on ``kappa_grid(model, L, nkappa)``, ∂H/∂u the
    analytic derivative at u = 0 (``supercell_hamiltonian_derivative``).

    Parameters
    ----------
    model : TightBindingModel
    L : int ≥ 1
        Supercell size (primitive cells per side).
    n_flux : int
        Flux quanta through the supercell, B = 2π n_flux/(L² A_cell).
    nkappa : int ≥ 1
        Supercell Bloch grid per direction.
    gauge : 1 or 2
        Landau gauge (the result does not depend on it beyond exponentially small finite-size terms).

    Returns
    -------
    (nsub, 2, nsub, 2) array [a, i, b, j], Å⁻² (ħ = 1); antisymmetric under (a, i) ↔ (b, j).
    """
    return molecular_geometry(model, L, n_flux, nkappa, gauge=gauge).curvature


# --------------------------------------------------------------------------------------------- fit
@dataclass(frozen=True)
class BornOppenheimerLambda:
    """Result of ``born_oppenheimer_lambda``.

    Attributes
    ----------
    lam : (nsub, nsub) array
        λ^{ab}_BO = ½ c1 of the quadratic fit ω^{ab}(B) ≈ c0 + c1 B + c2 B², ω^{ab} = ½(Ω^{ab}_{xy} − Ω^{ab}_{yx});
        units of e (e = ħ = 1). Symmetric in a, b (C3 and time reversal make Ω^{ab}_{ij} = ω^{ab} ε_ij).
    B_values : (npairs,) array
        Fields of the (L, n_flux) pairs, ħ/(e Å²).
    curvatures : (npairs, nsub, 2, nsub, 2) array
        Ω^{ab}_{ij} [a, i, b, j] at each pair, Å⁻².
    residual : (nsub, nsub) array
        RMS residual of the quadratic fit of ω^{ab}(B), Å⁻².
    error_estimate : (nsub, nsub) array
        max(|λ − λ_drop|, |λ − lam_odd|), units of e: λ_drop from the fit without the largest |B| (degree lowered
        if fewer than three distinct fields remain; skipped if fewer than two), lam_odd from the odd fit. The
        quadratic fit's error is ≈ 4.7 c3 B1² for B = 0, B1, 2B1, 3B1; the drop comparison alone (≈ 2.7 c3 B1²)
        would underestimate it, the odd-fit comparison does not.
    lam_odd : (nsub, nsub) array
        ½ c1 of the odd fit ω ≈ c1 B + c3 B³ (time reversal makes ω odd in B; its error starts at B⁵), units of e.
    coefficients : (3, nsub, nsub) array
        c0 (Å⁻²), c1 (e), c2 (e Å²) of the quadratic fit.
    pairs : tuple
        The (L, n_flux) pairs used.
    nkappa : int
    """

    lam: np.ndarray
    B_values: np.ndarray
    curvatures: np.ndarray
    residual: np.ndarray
    error_estimate: np.ndarray
    lam_odd: np.ndarray
    coefficients: np.ndarray
    pairs: tuple
    nkappa: int


DEFAULT_PAIRS = ((24, 0), (24, 1), (24, 2), (24, 3))
"""Default (L, n_flux): B = 0 … 6.2e-3 ħ/(eÅ²) (0 … 411 T); v²B/Δ ≤ 0.22 eV ≪ 2Δ for the default model."""


def _fit(B, y, powers):
    """Least-squares c of y ≈ Σ_p c_p B^p over ``powers``; y (npts, ...). Returns c (len(powers), ...) and residuals."""
    A = B[:, None] ** np.asarray(powers)[None, :]
    Y = y.reshape(len(B), -1)
    coef, *_ = np.linalg.lstsq(A, Y, rcond=None)
    return coef.reshape((len(powers),) + y.shape[1:]), (Y - A @ coef).reshape(y.shape)


def _distinct(values) -> int:
    return len(np.unique(np.round(np.asarray(values), 14)))


def born_oppenheimer_lambda(model, pairs=DEFAULT_PAIRS, nkappa: int = 2, *, gauge: int = 1) -> BornOppenheimerLambda:
    """λ^{ab}_BO from the B-linear part of the molecular Berry curvature.

    Computes Ω^{ab}_{ij} (``molecular_berry_curvature``) at every (L, n_flux) of ``pairs``, fits the
    xy-antisymmetrized ω^{ab}(B) = ½(Ω^{ab}_{xy} − Ω^{ab}_{yx}) by least squares to c0 + c1 B + c2 B², and returns

        λ^{ab} = ½ c1 = ½ ∂ω^{ab}/∂B |_{B=0}.

    Sign convention: the adiabatic Lagrangian is ½ Σ Ω^{ab}_{ij} u^a_i u̇^b_j ⊃ ½ ω^{ab} (u^a_x u̇^b_y − u^a_y u̇^b_x);
    its B-linear part is L_Z = +B m_z with m_z = Σ_ab λ^{ab} (u^a × u̇^b)_z, i.e. the Zeeman energy −B λ (u × u̇).
    Time reversal makes ω odd in B, so c0 = c2 = 0 up to noise and the quadratic fit's error is set by the B³
    term; ``error_estimate`` compares with a fit without the largest field and with the odd fit c1 B + c3 B³.

    Parameters
    ----------
    model : TightBindingModel
    pairs : sequence of (L, n_flux)
        Supercells and flux quanta, B = 2π n_flux/(L² A_cell); at least ``FIT_MIN_DISTINCT_B`` distinct fields
        (include n_flux = 0). Keep v²B/Δ well below the gap.
    nkappa : int ≥ 1
        Supercell Bloch grid per direction, the same for every pair. Finite-size errors fall off exponentially
        with the torus size L·nkappa (relative ~1e-5 at L·nkappa = 24, ~1e-9 at 48, default model).
    gauge : 1 or 2

    Returns
    -------
    BornOppenheimerLambda
    """
    nk = grid_size("nkappa (supercell Bloch grid per direction)", nkappa, minimum=1)
    pairs = tuple((_check_L(L), _check_flux(n)) for L, n in pairs)
    B = np.array([supercell_field(model, L, n) for L, n in pairs])
    if _distinct(B) < FIT_MIN_DISTINCT_B:
        raise ParameterError(f"pairs must give at least {FIT_MIN_DISTINCT_B} distinct fields for the quadratic fit, "
                             f"got {pairs}: add (L, n_flux) pairs (include n_flux = 0).")
    curv = np.array([molecular_berry_curvature(model, L, n, nk, gauge=gauge) for L, n in pairs])
    omega = 0.5 * (curv[:, :, 0, :, 1] - curv[:, :, 1, :, 0])          # (npairs, nsub, nsub)
    coef, res = _fit(B, omega, (0, 1, 2))
    lam = 0.5 * coef[1]
    odd, _ = _fit(B, omega, (1, 3))
    lam_odd = 0.5 * odd[0]
    error = np.abs(lam - lam_odd)
    keep = np.abs(B) < np.max(np.abs(B))
    if _distinct(B[keep]) >= 2:                 # a slope survives dropping the largest |B|
        coef_drop, _ = _fit(B[keep], omega[keep], tuple(range(min(3, _distinct(B[keep])))))
        error = np.maximum(error, np.abs(lam - 0.5 * coef_drop[1]))
    return BornOppenheimerLambda(
        lam=lam, B_values=B, curvatures=curv, residual=np.sqrt(np.mean(res**2, axis=0)), error_estimate=error,
        lam_odd=lam_odd, coefficients=coef, pairs=pairs, nkappa=nk)


# ------------------------------------------------------------------------- modulated displacements (q ≠ Γ)
@dataclass(frozen=True)
class BornOppenheimerMoment:
    """Result of ``born_oppenheimer_moment``.

    Attributes
    ----------
    moment : (npol,) array
        m_BO per polarization, the whole B-linear Berry term of the mode (odd fit in B), in the units of
        ``numeric.response.moment.mode_moment`` with unit masses: compare with (i/2) Σ_ab (Λ^{ab} + Λ^{ba}) X_ab.
    moment_zz : (npol,) array
        The part of ``moment`` that Eq. (4)'s form B Σ_ab Λ^{ab} (u^a × u̇^b)_z can hold: −Σ_ab lam_zz^{ab} Im X_ab.
    lam_zz : (nsub, nsub) array
        λ^{ab} of the ε_ij part of the slope: ¼ (A^{ab}_xy − A^{ab}_yx), A = S_rr + S_ii the Re–Re plus Im–Im blocks
        of S = ∂Ω/∂B; the supercell's counterpart of Eq. (4)'s Λ^{ab}_zz (= λ_BO of ``born_oppenheimer_lambda`` at Γ).
    slope : (2, nsub, 2, 2, nsub, 2) array
        S = ∂Ω_μν/∂B over x = (Re c, Im c), from the odd fit c1 B + c3 B³, e (e = ħ = 1).
    error_estimate : (npol,) array
        |moment(odd fit) − moment(quadratic fit c0 + c1 B + c2 B²)|.
    B_values : (npairs,) array
        Fields, ħ/(e Å²).
    q : (2,) array
        The modulation wave vector, 1/Å.
    pairs : tuple
    nkappa : int
    """

    moment: np.ndarray
    moment_zz: np.ndarray
    lam_zz: np.ndarray
    slope: np.ndarray
    error_estimate: np.ndarray
    B_values: np.ndarray
    q: np.ndarray
    pairs: tuple
    nkappa: int


def _cross_im(e):
    """Im X_ab = Im (e^a × e^{b*})_z for polarizations e (npol, 2 nsub): (npol, nsub, nsub)."""
    v = e.reshape(len(e), -1, 2)
    return np.imag(cross_z(v[:, :, None, :], np.conj(v)[:, None, :, :]))


def born_oppenheimer_moment(model, q, polarizations, pairs=DEFAULT_PAIRS, nkappa: int = 2, *,
                            gauge: int = 1) -> BornOppenheimerMoment:
    """Born–Oppenheimer moment of phonon modes at wave vector q (V7 away from Γ), from a magnetic supercell.

    A displacement modulated at q, u_s = Re[c^a e^{iq·r_s}] for site s of sublattice a (site positions, as the
    fields of Eq. 4: numeric/model/tight_binding.py ``bond_coefficients``), has the real coordinates x = (Re c, Im c); the filled
    bands give the molecular curvature Ω_μν(B) over them per primitive cell (``molecular_geometry`` with
    ``modulation``). The mode u^a(r, t) = e^a Q e^{i(q·r − ωt)} + c.c. (|Q|² = ħ/2ω, unit masses, as in
    numeric/response/moment.py) is c(t) = 2 e Q e^{−iωt}, i.e. x = Re[z e^{−iωt}] with z = 2Q (e, −ie), and

        ⟨½ xᵀ Ω ẋ⟩ = −(ω/4) Σ Ω_μν Im(z_μ z_ν*) = −½ Σ Ω_μν Im(ζ_μ ζ_ν*),   ζ = (e, −ie),

    so its B-linear part is the moment per phonon m = −½ Σ_μν S_μν Im(ζ_μ ζ_ν*), S = ∂Ω/∂B. Written on e,
    m = −½ Σ A_μν Im(e_μ e_ν*) − ½ Σ Y_μν Re(e_μ e_ν*) with A = S_rr + S_ii (antisymmetric) and Y = S_ri + S_riᵀ
    (symmetric). Eq. (4)'s form B Σ Λ^{ab} (u^a × u̇^b)_z holds only the ε_ij part of A's sublattice blocks,
    ``lam_zz``; at q = Γ nothing else survives (x real: S_ii = S_ri = 0, and C3v leaves A^{ab} ∝ ε) and
    lam_zz = λ_BO of ``born_oppenheimer_lambda``; away from Γ, A and Y have δ_ij and traceless parts too, which
    ``moment`` includes and ``moment_zz`` does not (CONVENTIONS.md §8: at K ``moment`` equals the referee's
    uncontracted tensor's, ``numeric.response.moment.tensor_mode_moment``).

    Parameters
    ----------
    model : TightBindingModel
    q : (2,) array
        Wave vector (1/Å), a reciprocal vector of every supercell in ``pairs`` (at K: L a multiple of 3).
    polarizations : (npol, 2 nsub) array
        Complex polarizations e (component 2a + i), not mass-weighted.
    pairs, nkappa, gauge
        As for ``born_oppenheimer_lambda`` (at least ``FIT_MIN_DISTINCT_B`` distinct fields).
    """
    nk = grid_size("nkappa (supercell Bloch grid per direction)", nkappa, minimum=1)
    pairs = tuple((_check_L(L), _check_flux(n)) for L, n in pairs)
    e = np.asarray(polarizations, dtype=complex)
    if e.ndim != 2 or e.shape[1] != 2 * model.nsub:
        raise ParameterError(f"polarizations must have shape (npol, 2 nsub) = (npol, {2 * model.nsub}), got {e.shape}.")
    B = np.array([supercell_field(model, L, n) for L, n in pairs])
    if _distinct(B) < FIT_MIN_DISTINCT_B:
        raise ParameterError(f"pairs must give at least {FIT_MIN_DISTINCT_B} distinct fields for the fit, got {pairs}: "
                             "add (L, n_flux) pairs (include n_flux = 0).")
    nsub, nmu = model.nsub, 4 * model.nsub
    curv = np.array([molecular_geometry(model, L, n, nk, gauge=gauge, modulation=q).curvature for L, n in pairs])
    curv = curv.reshape(len(B), nmu, nmu)
    zeta = np.concatenate([e, -1j * e], axis=1)                        # (npol, nmu): (Re c, Im c) of c = e
    weight = np.imag(zeta[:, :, None] * np.conj(zeta)[:, None, :])     # Im(ζ_μ ζ_ν*)
    odd, _ = _fit(B, curv, (1, 3))
    quad, _ = _fit(B, curv, (0, 1, 2))
    S = odd[0]
    moment = -0.5 * np.einsum("mn,pmn->p", S, weight)
    A = (S[: nmu // 2, : nmu // 2] + S[nmu // 2:, nmu // 2:]).reshape(nsub, 2, nsub, 2)
    lam_zz = 0.25 * (A[:, 0, :, 1] - A[:, 1, :, 0])
    return BornOppenheimerMoment(
        moment=moment, moment_zz=-np.einsum("ab,pab->p", lam_zz, _cross_im(e)), lam_zz=lam_zz,
        slope=S.reshape((2, nsub, 2) * 2), error_estimate=np.abs(moment + 0.5 * np.einsum("mn,pmn->p", quad[1], weight)),
        B_values=B, q=np.asarray(q, float), pairs=pairs, nkappa=nk)
