"""Keldysh kernels of the junction: damping (slope), noise, fluctuation-dissipation, direct check.

Physics checks:
- fluctuation-dissipation at V = 0, T > 0: j = 2 k_B T alpha for every (a, b), iso and an parts,
  so T_eff = T; its violation under bias (T_eff > T); at T = 0 no noise in equilibrium and a shot
  noise under bias with T_eff growing with |V| (linearly at small V);
- positivity: alpha_aa > 0 and alpha symmetric PSD in equilibrium (passive), the noise covariance
  PSD at any bias (it is a covariance);
- an independent evaluation of the defining bubble
      chi_AB(w) = i int dE/2pi Tr[A G^R(E+w) B G^<(E) + A G^<(E+w) B G^A(E)]
  from the 4 x 4 lab-frame greens_functions (general t_hat, composite Gauss-Legendre quadrature),
  of the noise C_AB and of the spin density, against spin_kernels: static kernel under bias
  (T = 0 and 10 K), slope -i (chi(w) - chi(-w)) / 2w, noise, spin, as full 3 x 3 tensors
  (so the decomposition iso delta + an tt + dm eps.t and the sign of dm are checked too);
- the Sommerfeld T^2 approach of the static kernel to its T = 0 value.
The default junction has no bound states (tests/junction/test_greens.py checks the band sum rule),
so the in-band G^< of greens_functions is the whole lesser function here.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest

from spinbath.baths.leads import fermi
from spinbath.junction import JunctionModel, couplings_from_kernels, greens_functions, spin_kernels
from spinbath.junction.model import PAULI
from spinbath.units import KB_MEV

T_HAT = tuple(np.random.default_rng(11).normal(size=3))  # general direction (JunctionModel normalizes)


def tensor(iso, an, dm, n) -> np.ndarray:
    """3 x 3 tensor iso delta_ij + an n_i n_j + dm eps_ijk n_k, built here independently of src."""
    n = np.asarray(n, dtype=float)
    eps = np.zeros((3, 3, 3))
    for i, j, k in ((0, 1, 2), (1, 2, 0), (2, 0, 1)):
        eps[i, j, k], eps[j, i, k] = 1.0, -1.0
    return iso * np.eye(3) + an * np.outer(n, n) + dm * np.einsum("ijk,k->ij", eps, n)


def full_tensors(comp: np.ndarray, n) -> np.ndarray:
    """(2, 2, 3) components -> (2, 2, 3, 3) tensors [a, b, i, j]."""
    return np.array([[tensor(*comp[a, b], n) for b in range(2)] for a in range(2)])


def full_6x6(comp: np.ndarray, n) -> np.ndarray:
    """(2, 2, 3) components -> the 6 x 6 matrix M[(a, i), (b, j)]."""
    return full_tensors(comp, n).transpose(0, 2, 1, 3).reshape(6, 6)


# ------------------------------------------------------------------------------------------------
# Fluctuation-dissipation
# ------------------------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def kernels(V, T: float, t: float, mu_F=(0.0, 1.3)):
    """spin_kernels of the default junction with hopping t, at V (tuple or float) and mu_F (tuple)."""
    return spin_kernels(JunctionModel(t=t), np.asarray(V), np.asarray(mu_F), T)


def equilibrium(T: float, t: float):
    """Couplings at V = 0 for mu_F = 0 and 1.3 meV (leading axis)."""
    return couplings_from_kernels(kernels(0.0, T, t))


@pytest.mark.parametrize("t", [0.1, 1.0])
@pytest.mark.parametrize("T", [5.0, 30.0])
def test_fluctuation_dissipation_in_equilibrium(T, t):
    """V = 0, T > 0: j_i = 2 k_B T alpha_i and j_an = 2 k_B T alpha_an for all a, b; T_eff = T.

    Tolerance 1e-6 relative (to max|j_i| for the small or vanishing entries): both sides are
    quad_vec integrals at epsrel 1e-9.
    """
    c = equilibrium(T, t)
    kT = KB_MEV * T
    s = np.max(np.abs(c["j_i"]))
    for j, alpha in (("j_i", "alpha_i"), ("j_an", "alpha_an")):
        np.testing.assert_allclose(c[j], 2 * kT * c[alpha], rtol=1e-6, atol=1e-6 * s)
    np.testing.assert_allclose(c["T_eff1"], T, rtol=1e-6)
    np.testing.assert_allclose(c["T_eff2"], T, rtol=1e-6)


@pytest.mark.parametrize("t", [0.1, 1.0])
@pytest.mark.parametrize("T", [5.0, 30.0])
def test_equilibrium_damping_is_passive_and_onsager_symmetric(T, t):
    """V = 0: alpha_i[a, a] > 0; alpha_i, j_i symmetric (1e-12) and PSD; full 6 x 6 noise PSD.

    A passive (equilibrium) bath can only absorb energy: the symmetric damping matrix is PSD.
    The noise C_ab^ij is a covariance: PSD as a 6 x 6 matrix over (site, component).
    """
    c = equilibrium(T, t)
    k = kernels(0.0, T, t)
    n = JunctionModel().t_hat
    for p in range(2):
        for key in ("alpha_i", "j_i"):
            m = c[key][p]
            assert np.all(np.diag(m) > 0)
            np.testing.assert_allclose(m, m.T, rtol=1e-12)
            assert np.min(np.linalg.eigvalsh(m)) > -1e-12 * np.max(np.abs(m))
        for full in (full_6x6(k.noise[p], n), full_6x6(k.slope[p], n)):
            sym = 0.5 * (full + full.T)  # the dm part of the slope is antisymmetric (reactive)
            assert np.min(np.linalg.eigvalsh(sym)) > -1e-12 * np.max(np.abs(full))


def test_bias_violates_fluctuation_dissipation_and_heats():
    """V = 3 mV, T = 5 K: j_i[a, a] != 2 k_B T alpha_i[a, a] (by > 10%) and T_eff > T on both sites."""
    T = 5.0
    for t in (0.1, 1.0):
        c = couplings_from_kernels(kernels(3.0, T, t))
        for a in range(2):
            j, alpha = c["j_i"][:, a, a], c["alpha_i"][:, a, a]
            assert np.all(np.abs(j - 2 * KB_MEV * T * alpha) > 0.1 * np.abs(j))
        assert np.all(c["T_eff1"] > 1.2 * T) and np.all(c["T_eff2"] > 1.2 * T)


def test_zero_temperature_equilibrium_has_no_noise():
    """T = 0, V = 0: the noise vanishes identically and T_eff = 0 (the damping stays finite)."""
    c = couplings_from_kernels(spin_kernels(JunctionModel(t=1.0), 0.0, [0.0, 1.3, -3.0], 0.0))
    assert np.all(c["j_i"] == 0.0) and np.all(c["j_an"] == 0.0)
    assert np.all(c["T_eff1"] == 0.0) and np.all(c["T_eff2"] == 0.0)
    assert np.all(c["alpha_i"][:, [0, 1], [0, 1]] > 0)


def test_zero_temperature_effective_temperature_grows_with_bias():
    """T = 0: T_eff_a(V) increases with |V| (shot noise) and T_eff1(V) = T_eff2(-V) (site swap).

    At small V it is linear in |V| (noise ~ |V|, damping finite): the bias-symmetrized
    T_eff1(V) + T_eff1(-V) doubles from V = 0.125 to 0.25 mV within 2% (the symmetrized value has
    O(V^2) corrections only; a single site at mu_F != 0 has O(V) ones, measured 3-4%).
    The full 6 x 6 noise covariance stays PSD under bias.
    """
    V = np.array([0.125, 0.25, 0.5, 1.0, 2.0, 4.0])
    V_all = np.concatenate([V, -V])
    n = V.size
    for mu_F in (0.0, 1.3):
        k = spin_kernels(JunctionModel(t=1.0), V_all, mu_F, 0.0)
        c = couplings_from_kernels(k)
        for key in ("T_eff1", "T_eff2"):
            assert np.all(np.diff(c[key][:n]) > 0) and np.all(np.diff(c[key][n:]) > 0)
        np.testing.assert_allclose(c["T_eff1"][:n], c["T_eff2"][n:], rtol=1e-9)
        sym = c["T_eff1"][:n] + c["T_eff1"][n:]
        assert abs(sym[1] / sym[0] - 2.0) < 0.04
        for p in range(V_all.size):
            C = full_6x6(k.noise[p], JunctionModel().t_hat)
            assert np.min(np.linalg.eigvalsh(0.5 * (C + C.T))) > -1e-12 * np.max(np.abs(C))


def test_imaginary_residues_are_round_off():
    """slope_imag and noise_imag (imaginary parts that must cancel) < 1e-10 of the real values."""
    for V, T, t in ((0.0, 5.0, 1.0), (0.0, 30.0, 0.1), (3.0, 5.0, 1.0), (3.0, 0.0, 1.0)):
        k = kernels(V, T, t)
        assert k.slope_imag < 1e-10 * np.max(np.abs(k.slope))
        assert k.noise_imag <= 1e-10 * np.max(np.abs(k.noise))


# ------------------------------------------------------------------------------------------------
# Direct real-axis evaluation from the 4 x 4 Green's functions
# ------------------------------------------------------------------------------------------------

def _nodes(model: JunctionModel, V: float, mu_F: float, T: float, w: float, n_gl: int = 16):
    """Composite Gauss-Legendre nodes/weights on [-2t_e - |w|, mu_hi + 40 k_B T + |w|].

    Panels of 0.25 meV on [-20, 20] (resonances ~1 meV wide), breakpoints at the Fermi steps
    mu_{L,R}, mu_{L,R} -+ w (T = 0), geometric grading towards the band bottom (sqrt edge).
    """
    be = 2 * model.t_e
    mu_L, mu_R = mu_F + V / 2, mu_F - V / 2
    hi = min(max(mu_L, mu_R) + 40 * KB_MEV * T + abs(w), be)
    lo = -be - abs(w)
    bps = [lo, -be, -be + abs(w), hi]
    bps += list(-be + 100 * 2.0 ** -np.arange(30))
    bps += list(np.arange(-20.0, 20.0 + 1e-9, 0.25))
    bps += list(-be + 100 + np.arange(0.0, 81.0, 5.0))
    bps += [mu_L, mu_R, mu_L - w, mu_R - w, mu_L + w, mu_R + w]
    bps = np.unique(np.clip(bps, lo, hi))
    x, wt = np.polynomial.legendre.leggauss(n_gl)
    a, b = bps[:-1], bps[1:]
    E = (0.5 * (b - a)[:, None] * x + 0.5 * (a + b)[:, None]).ravel()
    W = (0.5 * (b - a)[:, None] * wt).ravel()
    return E, W


def _site_spin_operators() -> np.ndarray:
    """sigma^i on site a in the 4 x 4 basis (1up, 1dn, 2up, 2dn): shape (6, 4, 4), index 3a + i."""
    P = (np.diag([1.0, 0.0]), np.diag([0.0, 1.0]))
    return np.array([np.kron(P[a], PAULI[i]) for a in range(2) for i in range(3)])


def _pair_trace(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Tr[O_p X O_q Y] for all operator pairs: shape (nE, 6, 6)."""
    O = _site_spin_operators()
    OX = np.einsum("pij,njk->npik", O, X)
    OY = np.einsum("qij,njk->nqik", O, Y)
    return np.einsum("npik,nqki->npq", OX, OY)


def direct_chi(model, V, mu_F, T, w) -> np.ndarray:
    """chi_AB(w) of the module docstring, (2, 2, 3, 3) [a, b, i, j], complex, meV^-1."""
    E, W = _nodes(model, V, mu_F, T, w)
    _, GA0, GL0, _ = greens_functions(model, E, V, mu_F, T)
    GR1, _, GL1, _ = greens_functions(model, E + w, V, mu_F, T)
    integrand = _pair_trace(GR1, GL0) + _pair_trace(GL1, GA0)
    chi = 1j / (2 * np.pi) * np.einsum("n,npq->pq", W, integrand)
    return chi.reshape(2, 3, 2, 3).transpose(0, 2, 1, 3)


def direct_noise(model, V, mu_F, T) -> np.ndarray:
    """C_AB = 1/2 int dE/2pi sum_cd [(1-f_c) f_d + f_c (1-f_d)] Tr[A X_c B X_d], X_c = G^R Gamma_c G^A."""
    E, W = _nodes(model, V, mu_F, T, 0.0)
    GR, GA, _, _ = greens_functions(model, E, V, mu_F, T)
    sL, sR = model.self_energies(E)
    X, f = [], []
    for gam, P, mu in ((-2 * sL.imag, np.diag([1, 1, 0, 0]), mu_F + V / 2),
                       (-2 * sR.imag, np.diag([0, 0, 1, 1]), mu_F - V / 2)):
        X.append(GR @ (gam[:, None, None] * P) @ GA)
        f.append(fermi(E, mu, T))
    total = 0.0
    for c in range(2):
        for d in range(2):
            weight = (1 - f[c]) * f[d] + f[c] * (1 - f[d])
            total = total + np.einsum("n,npq->pq", W * weight, _pair_trace(X[c], X[d]))
    C = 0.5 / (2 * np.pi) * total
    return C.reshape(2, 3, 2, 3).transpose(0, 2, 1, 3)


def direct_spin(model, V, mu_F, T) -> np.ndarray:
    """<s_a . t_hat> = -i int dE/2pi Tr[(P_a x t_hat.sigma) G^<(E)], shape (2,)."""
    E, W = _nodes(model, V, mu_F, T, 0.0)
    GL = greens_functions(model, E, V, mu_F, T)[2]
    tsig = np.einsum("i,ijk->jk", model.axis, PAULI)
    out = []
    for P in (np.diag([1.0, 0.0]), np.diag([0.0, 1.0])):
        op = np.kron(P, tsig)
        out.append((-1j / (2 * np.pi) * np.einsum("n,nij,nji->", W, op[None], GL)).real)
    return np.array(out)


DIRECT_MODEL = JunctionModel(t=1.0, t_hat=T_HAT)


@pytest.mark.parametrize("T", [0.0, 10.0])
def test_static_kernel_under_bias_matches_direct_quadrature(T):
    """chi(0) at V = 2 mV, mu_F = 1.5 meV, general t_hat: kernels' (iso, an, dm) rebuilt into 3 x 3
    tensors equal the lab-frame bubble, all (a, b) and (i, j), to 1e-6 of max|chi|.

    The direct integral is real to round-off (Hermitian A, B). It also shows J1 != J2 under bias
    at mu_F != 0 from the definition itself (non-reciprocal exchange).
    """
    k = spin_kernels(DIRECT_MODEL, 2.0, 1.5, T)
    ref = full_tensors(k.static[0], DIRECT_MODEL.t_hat)
    got = direct_chi(DIRECT_MODEL, 2.0, 1.5, T, 0.0)
    s = np.max(np.abs(ref))
    assert np.max(np.abs(got.imag)) < 1e-10 * s
    assert np.max(np.abs(got.real - ref)) < 1e-6 * s
    J1, J2 = -k.static[0, 0, 1, 0], -k.static[0, 1, 0, 0]
    assert abs(J1 - J2) > 0.1 * max(abs(J1), abs(J2))


def test_static_kernel_at_zero_bias_matches_direct_quadrature():
    """Same check in equilibrium at T = 0 (mu_F = -1.0): no DM, tensors agree to 1e-6."""
    k = spin_kernels(DIRECT_MODEL, 0.0, -1.0, 0.0)
    ref = full_tensors(k.static[0], DIRECT_MODEL.t_hat)
    got = direct_chi(DIRECT_MODEL, 0.0, -1.0, 0.0, 0.0).real
    assert np.max(np.abs(got - ref)) < 1e-6 * np.max(np.abs(ref))


def test_slope_under_bias_matches_finite_frequency_quadrature():
    """chi' = -i d chi/dw at 0 versus -i (chi(w) - chi(-w)) / 2w, w = 0.02 meV, V = 2 mV, T = 10 K.

    Full tensors (iso, an and dm parts), sites 11, 12, 21, 22. The central difference has a
    truncation error ~ w^2 chi'''/6 (measured 7e-5 of max|chi'|; resonance width ~1 meV):
    tolerance 1e-3. Richardson extrapolation with w/2 removes the w^2 term: tolerance 1e-6
    (measured 2e-9). The same nodes serve +w and -w, so quadrature errors cancel in the difference.
    """
    V, mu_F, T, w = 2.0, 0.4, 10.0, 0.02
    k = spin_kernels(DIRECT_MODEL, V, mu_F, T)
    ref = full_tensors(k.slope[0], DIRECT_MODEL.t_hat)

    def central(h):
        plus = direct_chi(DIRECT_MODEL, V, mu_F, T, h)
        minus = direct_chi(DIRECT_MODEL, V, mu_F, T, -h)
        return -1j * (plus - minus) / (2 * h)

    d_w, d_half = central(w), central(w / 2)
    s = np.max(np.abs(ref))
    assert np.max(np.abs(d_w.imag)) < 1e-8 * s
    assert np.max(np.abs(d_w.real - ref)) < 1e-3 * s
    assert np.max(np.abs((4 * d_half - d_w).real / 3 - ref)) < 1e-6 * s
    assert np.max(np.abs(ref[..., 0, 1] - ref[..., 1, 0])) > 1e-3 * s  # dm part present, checked too


@pytest.mark.parametrize("V, T", [(2.0, 10.0), (0.0, 10.0), (2.0, 0.0)])
def test_noise_matches_direct_quadrature(V, T):
    """C_ab^ij from the kernels = direct real-axis integral of the documented formula (1e-6 of max)."""
    mu_F = 0.4
    k = spin_kernels(DIRECT_MODEL, V, mu_F, T)
    ref = full_tensors(k.noise[0], DIRECT_MODEL.t_hat)
    got = direct_noise(DIRECT_MODEL, V, mu_F, T)
    s = np.max(np.abs(ref))
    assert np.max(np.abs(got.imag)) < 1e-10 * s
    assert np.max(np.abs(got.real - ref)) < 1e-6 * s


@pytest.mark.parametrize("V, T", [(2.0, 10.0), (0.0, 0.0)])
def test_spin_density_matches_direct_quadrature(V, T):
    """<s_a . t_hat> from the kernels = -i int dE/2pi Tr[s_a G^<] (1e-6 absolute; it is O(0.1))."""
    k = spin_kernels(DIRECT_MODEL, V, 0.4, T)
    np.testing.assert_allclose(k.spin[0], direct_spin(DIRECT_MODEL, V, 0.4, T), rtol=0, atol=1e-6)


# ------------------------------------------------------------------------------------------------
# Low-temperature limit
# ------------------------------------------------------------------------------------------------

def test_static_kernel_approaches_zero_temperature_as_T_squared():
    """Sommerfeld: chi(T) - chi(0) = a T^2 + b T^4 + ..., so the ratio r of the differences at T and
    T/2 tends to 4, and r - 4 itself shrinks like T^2 (by ~4 per halving).

    V = 0 and V = 2 mV at mu_F = 0.3 meV, T = 0.5, 0.25, 0.125 K (k_B T << resonance width ~1 meV).
    For every component whose difference is resolved (> 1e-3 of the largest): |r(0.25 K) - 4| < 2%
    of 4 (measured <= 1.1%) and |r(0.25 K) - 4| < 0.5 |r(0.5 K) - 4| + 4e-3 (measured factor ~4).
    """
    model = JunctionModel(t=1.0)
    V, mu = [0.0, 2.0], [0.3, 0.3]
    s0 = spin_kernels(model, V, mu, 0.0).static
    d = {T: spin_kernels(model, V, mu, T).static - s0 for T in (0.5, 0.25, 0.125)}
    for p in range(2):
        mask = np.abs(d[0.125][p]) > 1e-3 * np.max(np.abs(d[0.125][p]))
        assert mask.sum() >= 4
        r1 = d[0.5][p][mask] / d[0.25][p][mask]
        r2 = d[0.25][p][mask] / d[0.125][p][mask]
        assert np.all(np.abs(r2 - 4.0) < 0.08), r2
        assert np.all(np.abs(r2 - 4.0) < 0.5 * np.abs(r1 - 4.0) + 4e-3), (r1, r2)
