"""Green's functions of the two-site junction (spinbath.junction.greens).

Physics checks: the Keldysh identity G^> - G^< = G^R - G^A inside the band, the equilibrium
fluctuation-dissipation form G^< = -f (G^R - G^A) at V = 0, G^R = [E - H_D - Sigma]^-1 against the
spin-block closed form after an explicit SU(2) rotation of t_hat to z (spin conservation along
t_hat), causality (positive semidefinite spectral function and occupations), the spectral sum
rule in the band for the default junction (no bound states), and the bound states of a junction
whose device levels lie below the band: real poles of G^R whose residues 1/(1 - Sigma') make up the
spectral weight that the band is missing.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.linalg import expm
from scipy.optimize import brentq

from spinbath.baths.leads import chain_self_energy, chain_self_energy_derivative, fermi
from spinbath.junction.greens import block_retarded, block_retarded_derivative, greens_functions
from spinbath.junction.model import PAULI, JunctionModel

RNG_SEED = 20240611


def spin_rotation_to_z(n) -> np.ndarray:
    """SU(2) matrix U with U (n . sigma) U^+ = sigma_z: rotation by angle(n, z) about n x z."""
    n = np.asarray(n, dtype=float) / np.linalg.norm(n)
    axis = np.cross(n, [0.0, 0.0, 1.0])
    s = np.linalg.norm(axis)
    if s < 1e-14:  # n = +-z: identity, or a pi rotation about x
        return np.eye(2, dtype=complex) if n[2] > 0 else -1j * PAULI[0]
    theta = np.arctan2(s, n[2])
    return expm(-0.5j * theta * np.einsum("i,ijk->jk", axis / s, PAULI))


def random_models(rng, k=4):
    out = []
    for _ in range(k):
        n = rng.normal(size=3)
        out.append(JunctionModel(t_L=rng.uniform(3, 30), t_R=rng.uniform(3, 30), t0=rng.uniform(-3, 3),
                                 t=rng.uniform(-2, 2), t_hat=tuple(n), eps0=rng.uniform(-2, 2)))
    return out


# ------------------------------------------------------------------------------------------------
# Keldysh identities
# ------------------------------------------------------------------------------------------------

def test_greater_minus_lesser_equals_retarded_minus_advanced_in_the_band():
    """G^> - G^< = G^R - G^A (random energies in the band, random bias, T and junctions).

    Exact algebra: Gamma_L P_1 + Gamma_R P_2 = i (Sigma^R - Sigma^A) and
    G^R - G^A = G^R (Sigma^R - Sigma^A) G^A. Tolerance 1e-12 relative to max |G^R - G^A|.
    """
    rng = np.random.default_rng(RNG_SEED)
    for model in random_models(rng):
        E = np.concatenate([rng.uniform(-199.0, 199.0, 200), rng.uniform(-6.0, 6.0, 200)])
        V, mu_F, T = rng.uniform(-5, 5), rng.uniform(-3, 3), rng.uniform(0, 60)
        GR, GA, Gl, Gg = greens_functions(model, E, V, mu_F, T)
        spec = GR - GA
        scale = np.max(np.abs(spec), axis=(1, 2))[:, None, None]
        assert np.all(np.abs((Gg - Gl) - spec) <= 1e-12 * scale)
        np.testing.assert_allclose(GA, np.conj(np.swapaxes(GR, 1, 2)), atol=0)


@pytest.mark.parametrize("T", [0.0, 4.0, 50.0])
def test_equilibrium_lesser_is_minus_f_times_spectral(T):
    """At V = 0: G^< = -f (G^R - G^A) and G^> = (1 - f)(G^R - G^A), f = f(E; mu_F, T).

    Tolerance 1e-12 of max |G^R - G^A| per energy (round-off of two 4 x 4 products).
    """
    rng = np.random.default_rng(RNG_SEED + 1)
    model = JunctionModel(t=0.7, t_hat=(0.2, -0.4, 0.9))
    mu_F = 1.3
    E = np.sort(np.concatenate([rng.uniform(-199, 199, 100), mu_F + rng.uniform(-5, 5, 100)]))
    GR, GA, Gl, Gg = greens_functions(model, E, 0.0, mu_F, T)
    f = fermi(E, mu_F, T)[:, None, None]
    spec = GR - GA
    scale = np.max(np.abs(spec), axis=(1, 2))[:, None, None]
    assert np.all(np.abs(Gl + f * spec) <= 1e-12 * scale)
    assert np.all(np.abs(Gg - (1 - f) * spec) <= 1e-12 * scale)


def test_bias_enters_only_through_the_occupations():
    """G^R does not depend on V or T (the lead bands do not move); G^< does."""
    model = JunctionModel(t=0.5)
    E = np.linspace(-20, 20, 81)
    GR0, _, Gl0, _ = greens_functions(model, E, 0.0, 0.0, 0.0)
    GR1, _, Gl1, _ = greens_functions(model, E, 4.0, 0.5, 30.0)
    np.testing.assert_array_equal(GR0, GR1)
    assert np.max(np.abs(Gl1 - Gl0)) > 1e-3


# ------------------------------------------------------------------------------------------------
# Retarded function: definition, spin blocks, derivative
# ------------------------------------------------------------------------------------------------

def test_retarded_is_the_resolvent_of_the_device_with_lead_self_energies():
    """G^R(E) (E - H_D - Sigma_L P_1 - Sigma_R P_2) = 1, built here from model and lead functions."""
    rng = np.random.default_rng(RNG_SEED + 2)
    for model in random_models(rng, 3):
        E = rng.uniform(-300, 300, 50)
        GR = greens_functions(model, E)[0]
        H = model.device_hamiltonian()
        sL = chain_self_energy(E, model.t_e, model.t_L)
        sR = chain_self_energy(E, model.t_e, model.t_R)
        M = E[:, None, None] * np.eye(4) - H - np.einsum("n,ij->nij", sL, np.diag([1, 1, 0, 0])) \
            - np.einsum("n,ij->nij", sR, np.diag([0, 0, 1, 1]))
        np.testing.assert_allclose(GR @ M, np.broadcast_to(np.eye(4), GR.shape), atol=1e-10)


@pytest.mark.parametrize("t_hat", [(1.0, 0.0, 0.0), (0.0, 0.0, 1.0), (0.0, 0.0, -1.0), "random"])
def test_rotated_4x4_retarded_function_is_the_spin_block_function(t_hat):
    """With U (t_hat . sigma) U^+ = sigma_z, (1 x U) G^R (1 x U)^+ = diag over spins of block_retarded.

    Spin along t_hat is conserved, so the rotated G^R has no spin-flip elements, and its
    up (down) block is the 2 x 2 site Green's function with hopping t0 + t (t0 - t).
    Tolerance 1e-12 relative to max |G|: round-off of a 4 x 4 inverse and a unitary rotation.
    """
    if t_hat == "random":
        t_hat = tuple(np.random.default_rng(RNG_SEED + 3).normal(size=3))
    model = JunctionModel(t=0.8, t0=2.0, t_L=12.0, t_R=7.0, eps0=0.4, t_hat=t_hat)
    U = spin_rotation_to_z(model.axis)
    tdots = np.einsum("i,ijk->jk", model.axis, PAULI)
    np.testing.assert_allclose(U @ tdots @ U.conj().T, PAULI[2], atol=1e-14)
    U4 = np.kron(np.eye(2), U)  # site-major basis (1up, 1dn, 2up, 2dn)
    E = np.concatenate([np.linspace(-250, 250, 101), np.linspace(-3, 3, 61)])
    GR = greens_functions(model, E)[0]
    rot = U4 @ GR @ U4.conj().T
    blocks = block_retarded(E, model)  # (nE, spin, site, site)
    expected = np.zeros_like(rot)
    for s in range(2):
        for a in range(2):
            for b in range(2):
                expected[:, 2 * a + s, 2 * b + s] = blocks[:, s, a, b]
    scale = np.max(np.abs(GR))
    assert np.max(np.abs(rot - expected)) < 1e-12 * scale


def test_block_function_in_the_upper_half_plane_is_the_resolvent():
    """block_retarded(z) = [z - eps0 - Sigma(z) - b_s sigma_x]^-1 per spin, for complex z (Im z > 0)."""
    model = JunctionModel(t=0.3, t_L=15.0, t_R=5.0, eps0=-1.0)
    rng = np.random.default_rng(RNG_SEED + 4)
    z = rng.uniform(-300, 300, 40) + 1j * 10 ** rng.uniform(-3, 2, 40)
    G = block_retarded(z, model)
    sL = chain_self_energy(z, model.t_e, model.t_L)
    sR = chain_self_energy(z, model.t_e, model.t_R)
    for k, hop in enumerate(model.spin_hoppings()):
        M = np.zeros((z.size, 2, 2), dtype=complex)
        M[:, 0, 0] = z - model.eps0 - sL
        M[:, 1, 1] = z - model.eps0 - sR
        M[:, 0, 1] = M[:, 1, 0] = -hop
        np.testing.assert_allclose(G[:, k] @ M, np.broadcast_to(np.eye(2), M.shape), atol=1e-12)


def test_block_derivative_matches_finite_differences():
    """block_retarded_derivative = dG/dz (central differences, h = 1e-5 meV, relative 1e-6).

    Points away from the band edges (where dG/dz diverges as |E -+ 2t_e|^-1/2) and off the axis.
    """
    model = JunctionModel(t=0.4, eps0=0.3)
    z = np.array([0.0, 1.9, -2.2, 50.0, -180.0, 260.0, 1.0 + 0.3j, -230.0 + 1.0j])
    h = 1e-5
    fd = (block_retarded(z + h, model) - block_retarded(z - h, model)) / (2 * h)
    an = block_retarded_derivative(z, model)
    scale = np.max(np.abs(an), axis=(1, 2, 3))[:, None, None, None]
    assert np.all(np.abs(fd - an) < 1e-6 * scale)


# ------------------------------------------------------------------------------------------------
# Causality and sum rules
# ------------------------------------------------------------------------------------------------

def test_spectral_function_and_occupations_are_positive_semidefinite():
    """i (G^R - G^A), -i G^< and i G^> are Hermitian positive semidefinite at every energy.

    They are G^R Gamma G^A, G^R (f Gamma) G^A and G^R ((1 - f) Gamma) G^A with Gamma >= 0; also
    under bias. Eigenvalues >= -1e-12 max|G|^2 (round-off).
    """
    rng = np.random.default_rng(RNG_SEED + 5)
    for model in random_models(rng, 3):
        E = np.concatenate([rng.uniform(-199, 199, 300), rng.uniform(-5, 5, 300)])
        GR, GA, Gl, Gg = greens_functions(model, E, rng.uniform(-4, 4), rng.uniform(-2, 2), 15.0)
        for M in (1j * (GR - GA), -1j * Gl, 1j * Gg):
            np.testing.assert_allclose(M, np.conj(np.swapaxes(M, 1, 2)), atol=1e-12 * np.max(np.abs(M)))
            ev = np.linalg.eigvalsh(0.5 * (M + np.conj(np.swapaxes(M, 1, 2))))
            assert np.all(ev >= -1e-12 * np.max(np.abs(M)))


def _in_band_weight(model: JunctionModel) -> float:
    """int_{-2t_e}^{2t_e} dE/2pi Tr i(G^R - G^A), by adaptive quadrature with the levels as breakpoints."""
    def spectral(E):
        GR, GA, _, _ = greens_functions(model, np.array([E]))
        return float(np.trace(1j * (GR[0] - GA[0])).real) / (2 * np.pi)

    be = 2 * model.t_e
    pts = [x for x in model.device_levels() if -be < x < be]
    total, _ = quad(spectral, -be, be, points=pts or None, limit=2000, epsabs=1e-11, epsrel=1e-11)
    return total


def test_spectral_sum_rule_default_junction_has_no_bound_states():
    """The band holds all 4 device states: int dE/2pi Tr A(E) = 4 (to 1e-7, adaptive quadrature).

    So for the default junction a real-axis integral over the band sees all of the device.
    """
    assert abs(_in_band_weight(JunctionModel()) - 4.0) < 1e-7
    assert abs(_in_band_weight(JunctionModel(t=1.0, t_hat=(0, 1, 0))) - 4.0) < 1e-7


def test_bound_states_below_the_band_carry_the_missing_weight():
    """eps0 = -260 meV (device levels below the band bottom -200): G^R has real poles E_b < -2t_e.

    Per spin block (t_L = t_R) the poles solve E - eps0 - Sigma(E) = +-b_s and their residue in
    Tr G is 1/(1 - Sigma'(E_b)). In-band weight + sum of residues = 4 (to 1e-7). The residues
    are ~0.997, so almost all weight sits outside the band: the reason the kernels never build the
    equilibrium part from G^R Sigma^< G^A.
    """
    model = JunctionModel(eps0=-260.0, t=0.1)
    sig = lambda E: chain_self_energy(E, model.t_e, model.t_L).real  # noqa: E731  (real below the band)
    residues = []
    for hop in model.spin_hoppings():
        for sign in (1, -1):
            E_b = brentq(lambda E: E - model.eps0 - sig(E) - sign * hop, -400.0, -200.0 - 1e-9, xtol=1e-13)
            G = block_retarded(np.array([E_b + 1e-7j]), model)  # close to the real pole
            assert np.max(np.abs(G)) > 1e5
            residues.append(1.0 / (1.0 - chain_self_energy_derivative(E_b, model.t_e, model.t_L).real))
    residues = np.array(residues)
    assert np.all((residues > 0.99) & (residues < 1.0))
    in_band = _in_band_weight(model)
    assert abs(in_band + residues.sum() - 4.0) < 1e-7
    assert in_band < 0.02
