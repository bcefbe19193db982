"""Symmetries and limits of the junction couplings (spinbath.junction.couplings).

Structure used throughout. G^< = i (f_L X_L + f_R X_R) is linear in the lead occupations, and the
kernels split it exactly as -fbar (G^R - G^A) + i (f_L - f_R)/2 (X_L - X_R). Every coupling is
therefore an even part (1/2)[c_eq(mu_L) + c_eq(mu_R)] plus a bias part linear in f_L - f_R, odd
under V -> -V (mu_L <-> mu_R). In equilibrium the static kernel is a second derivative of a free
energy, so the fields derive from E = J S1.S2 + D t.(S1 x S2) + A (t.S1)(t.S2) + sum K_a (t.S_a)^2
(J1 = J2, A1 = A2, D1 = -D2); moreover the spin blocks of G^R are complex symmetric (real
hoppings), so the equilibrium DM part Im i(G_dn,12 G_up,21 - G_up,12 G_dn,21) vanishes: D is odd
in V for any junction. A symmetric junction (t_L = t_R) is invariant under the site swap 1 <-> 2
with L <-> R, i.e. V -> -V: c_1(V) = c_2(-V). At eps0 = 0 the chain is bipartite and particle-hole
symmetry maps (V, mu_F) -> (-V, -mu_F) (with t_hat along x the DM part changes sign, J, A, K do
not): only there are J, A, K even in V and J1 = J2 under bias.

Physics checks: the equilibrium energy structure (also for an asymmetric junction), D odd in V and
D2 = -D1, the site-swap and particle-hole relations, t = 0 (no anisotropy, no DM), and the
isolated-dimer limit against a second-order
perturbation formula derived in :func:`dimer_couplings`.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest

from spinbath.junction import JunctionModel, couplings, couplings_from_kernels, spin_kernels

SCALARS = ("J1", "J2", "D1", "D2", "A1", "A2", "K1", "K2", "Dloc1", "Dloc2")
V_GRID = (-3.0, -1.0, 0.0, 1.0, 3.0)
MU_GRID = (0.0, 1.5, -1.5, -3.0)
# Round-off scale of the kernels: quad_vec at epsrel = 1e-9 on couplings of size ~0.1 meV^-1;
# +V and -V are computed on the same nodes, so their symmetry relations hold to ~1e-12.
SYM_TOL = 1e-10


@lru_cache(maxsize=None)
def grid(t: float, eps0: float = 0.0, t_L: float = 10.0, t_R: float = 10.0, T: float = 0.0):
    """Couplings on the (mu_F, V) grid, each an array of shape (len(MU_GRID), len(V_GRID))."""
    model = JunctionModel(t=t, eps0=eps0, t_L=t_L, t_R=t_R)
    V, mu = np.meshgrid(V_GRID, MU_GRID)
    named = couplings_from_kernels(spin_kernels(model, V.ravel(), mu.ravel(), T))
    return {k: np.asarray(v).reshape(V.shape + np.shape(v)[1:]) for k, v in named.items()}


def scale(c) -> float:
    return float(np.max(np.abs(c["J1"])))


IV0 = V_GRID.index(0.0)
FLIP = [V_GRID.index(-v) for v in V_GRID]  # column of -V


def test_vectorized_kernels_match_the_single_point_function():
    """couplings(V, mu_F, ...) returns the same numbers as the vectorized grid (to 1e-12 relative)."""
    c = grid(1.0)
    i, j = MU_GRID.index(1.5), V_GRID.index(-1.0)
    single = couplings(-1.0, 1.5, 0.0, t=1.0)
    for key in SCALARS:
        assert abs(single[key] - c[key][i, j]) <= 1e-12 * scale(c)
    np.testing.assert_allclose(single["alpha_i"], c["alpha_i"][i, j], rtol=1e-12, atol=1e-15)


# ------------------------------------------------------------------------------------------------
# Equilibrium: the fields derive from one energy, no DM
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("t", [0.1, 1.0])
@pytest.mark.parametrize("eps0, t_L, t_R", [(0.0, 10.0, 10.0), (0.7, 10.0, 10.0), (0.3, 10.0, 5.0)])
def test_equilibrium_couplings_derive_from_an_energy(t, eps0, t_L, t_R):
    """At V = 0, for every mu_F: D1 = D2 = Dloc1 = Dloc2 = 0 (< 1e-14), J1 = J2 and A1 = A2 (1e-9).

    Includes an asymmetric junction (t_L != t_R, eps0 != 0): the equilibrium static kernel is
    chi_12^ij = chi_21^ji (second derivative of a free energy), and its DM part vanishes for any
    junction because the spin blocks of G^R are complex symmetric.
    """
    c = grid(t, eps0, t_L, t_R)
    s = scale(c)
    for key in ("D1", "D2", "Dloc1", "Dloc2"):
        assert np.all(np.abs(c[key][:, IV0]) < 1e-14)
    np.testing.assert_allclose(c["J1"][:, IV0], c["J2"][:, IV0], rtol=0, atol=1e-9 * s)
    np.testing.assert_allclose(c["A1"][:, IV0], c["A2"][:, IV0], rtol=0, atol=1e-9 * s)


def test_equilibrium_dm_vanishes_at_finite_temperature():
    """D1 = D2 = 0 (< 1e-14) at V = 0 and T = 10 K as well, weak and strong SOC."""
    for t in (0.1, 1.0):
        c = couplings_from_kernels(spin_kernels(JunctionModel(t=t), 0.0, [0.0, 1.5, -3.0], 10.0))
        for key in ("D1", "D2", "Dloc1", "Dloc2"):
            assert np.all(np.abs(c[key]) < 1e-14)


# ------------------------------------------------------------------------------------------------
# Bias: DM odd, site swap, particle-hole
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("t", [0.1, 1.0])
@pytest.mark.parametrize("eps0", [0.0, 0.7])
def test_dm_is_odd_in_bias_and_antisymmetric_between_sites(t, eps0):
    """Symmetric junction: D1(-V) = -D1(V), D2 = -D1, Dloc1 odd, Dloc2 = -Dloc1, for every mu_F.

    D odd: the equilibrium (even) part has no DM. D2 = -D1: site swap gives D2(V) = D1(-V).
    Non-vacuous: |D1(3 mV)| > 1e-4 meV^-1 at every mu_F. Tolerance SYM_TOL relative to max|J|.
    """
    c = grid(t, eps0)
    tol = SYM_TOL * scale(c)
    np.testing.assert_allclose(c["D1"][:, FLIP], -c["D1"], rtol=0, atol=tol)
    np.testing.assert_allclose(c["D2"], -c["D1"], rtol=0, atol=tol)
    np.testing.assert_allclose(c["Dloc1"][:, FLIP], -c["Dloc1"], rtol=0, atol=tol)
    np.testing.assert_allclose(c["Dloc2"], -c["Dloc1"], rtol=0, atol=tol)
    assert np.all(np.abs(c["D1"][:, V_GRID.index(3.0)]) > 1e-4)


def test_dm_is_odd_in_bias_for_an_asymmetric_junction():
    """t_L = 10, t_R = 5, eps0 = 0.3: D1, D2 still odd in V (equilibrium part has no DM)."""
    c = grid(1.0, 0.3, 10.0, 5.0)
    tol = SYM_TOL * scale(c)
    for key in ("D1", "D2", "Dloc1", "Dloc2"):
        np.testing.assert_allclose(c[key][:, FLIP], -c[key], rtol=0, atol=tol)
    assert np.all(np.abs(c["D1"][:, V_GRID.index(3.0)]) > 1e-4)


@pytest.mark.parametrize("t", [0.1, 1.0])
@pytest.mark.parametrize("eps0", [0.0, 0.7])
def test_site_swap_symmetry_of_the_symmetric_junction(t, eps0):
    """t_L = t_R: J1(V) = J2(-V), A1(V) = A2(-V), K1(V) = K2(-V), s1(V) = s2(-V), all mu_F.

    Also for the 2 x 2 damping and noise matrices: alpha_11(V) = alpha_22(-V), alpha_12(V) = alpha_21(-V).
    """
    c = grid(t, eps0)
    tol = SYM_TOL * scale(c)
    for one, two in (("J1", "J2"), ("A1", "A2"), ("K1", "K2"), ("s1", "s2")):
        np.testing.assert_allclose(c[one][:, FLIP], c[two], rtol=0, atol=tol)
    for key in ("alpha_i", "alpha_an", "j_i", "j_an"):
        m = c[key]
        swapped = m[:, FLIP][..., ::-1, ::-1]
        np.testing.assert_allclose(swapped, m, rtol=0, atol=SYM_TOL * np.max(np.abs(m)))


@pytest.mark.parametrize("t", [0.1, 1.0])
def test_particle_hole_symmetric_point_gives_even_couplings(t):
    """eps0 = 0, mu_F = 0: J1(-V) = J1(V), J1 = J2, A and K even in V and site-symmetric.

    Particle-hole symmetry maps (V, mu_F) -> (-V, -mu_F); combined with the site swap it fixes
    J1 = J2 at mu_F = 0. Tolerance SYM_TOL relative to max|J|.
    """
    c = grid(t)
    i0 = MU_GRID.index(0.0)
    tol = SYM_TOL * scale(c)
    for key in ("J1", "A1", "K1", "J2", "A2", "K2"):
        np.testing.assert_allclose(c[key][i0, FLIP], c[key][i0], rtol=0, atol=tol)
    for one, two in (("J1", "J2"), ("A1", "A2"), ("K1", "K2")):
        np.testing.assert_allclose(c[one][i0], c[two][i0], rtol=0, atol=tol)


@pytest.mark.parametrize("t", [0.1, 1.0])
def test_particle_hole_relation_away_from_mu_zero(t):
    """eps0 = 0, t_hat = x: c(V, mu_F) = c(-V, -mu_F) for J, A, K and D(V, mu_F) = D(V, -mu_F).

    (Particle-hole: sigma^x, sigma^z change sign, sigma^y does not, so the xx/yy parts are
    unchanged and the DM (yz) part flips; with D odd in V that gives D(V, mu) = D(V, -mu).)
    It also shows that J1 is *not* even in V at mu_F != 0: J1(3 mV) - J1(-3 mV) is of order J.
    """
    c = grid(t)
    ip, im = MU_GRID.index(1.5), MU_GRID.index(-1.5)
    tol = SYM_TOL * scale(c)
    for key in ("J1", "J2", "A1", "A2", "K1", "K2"):
        np.testing.assert_allclose(c[key][ip, FLIP], c[key][im], rtol=0, atol=tol)
    np.testing.assert_allclose(c["D1"][ip], c["D1"][im], rtol=0, atol=tol)
    odd_part = abs(c["J1"][ip, V_GRID.index(3.0)] - c["J1"][ip, V_GRID.index(-3.0)])
    assert odd_part > 0.1 * scale(c)


# ------------------------------------------------------------------------------------------------
# No spin-orbit hopping
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("eps0", [0.0, 0.7])
def test_no_spin_dependent_hopping_gives_isotropic_couplings(eps0):
    """t = 0: D = A = K = Dloc = 0 and alpha_an = alpha_dm = j_an = 0 at every (V, mu_F).

    Spin-rotation invariance leaves only the isotropic part. With identical spin blocks the
    anisotropic combinations cancel to round-off (1e-14 relative to max|J| or max|alpha|).
    """
    c = grid(0.0, eps0)
    s = scale(c)
    for key in ("D1", "D2", "A1", "A2", "K1", "K2", "Dloc1", "Dloc2"):
        assert np.all(np.abs(c[key]) <= 1e-14 * s)
    for key, ref in (("alpha_an", "alpha_i"), ("alpha_dm", "alpha_i"), ("j_an", "j_i")):
        assert np.all(np.abs(c[key]) <= 1e-14 * np.max(np.abs(c[ref])))
    assert np.max(np.abs(c["j_i"])) > 0  # noise exists under bias at T = 0


# ------------------------------------------------------------------------------------------------
# Isolated dimer
# ------------------------------------------------------------------------------------------------

def dimer_couplings(t0: float, t: float) -> tuple[float, float, float]:
    """(J, A, K) per Delta^2 of the isolated half-filled dimer, hoppings b_up = t0 + t, b_dn = t0 - t.

    Derivation (second-order perturbation theory). Spin along t_hat is conserved: in the frame
    t_hat = z each spin s has the 2 x 2 site Hamiltonian [[0, b_s], [b_s, 0]], levels -+|b_s|, with
    the lower one l_s = (1, -sgn b_s)/sqrt2 filled (mu_F = 0) and the upper one u_s = (1, sgn b_s)/sqrt2
    empty. For the one-body perturbation V = Delta sum_a S_a . sigma_a (classical S_a) the energy of
    the filled Slater determinant changes by
        E2 = -sum_{n occ, m empty} |<m|V|n>|^2 / (E_m - E_n) = -(Delta^2/2) sum_ab S_a^i chi_ab^ij S_b^j,
    chi_ab^ij = sum_nm (f_n - f_m) <n|sigma^i_a|m><m|sigma^j_b|n> / (E_m - E_n), so J = -chi_12^xx,
    A = -(chi_12^zz - chi_12^xx), K = -(chi_11^zz - chi_11^xx)/2 (definitions of couplings.py).
    Site elements: <l_s|P_1|u_s'> = 1/2, <u_s'|P_2|l_s> = -sgn(b_s) sgn(b_s') / 2, <.|P_1|.>^2 = 1/4.
      sigma^z keeps the spin: pairs (l_s, u_s), gap 2|b_s|, two orderings:
        chi_12^zz = -sum_s (1/4)/|b_s| ,       chi_11^zz = +sum_s (1/4)/|b_s|
      sigma^x flips it: pairs (l_s, u_-s), gap |b_up| + |b_dn|, two orderings, two pairs:
        chi_12^xx = -sgn(b_up b_dn) / (|b_up| + |b_dn|),   chi_11^xx = 1 / (|b_up| + |b_dn|)
    Hence
        J = sgn(b_up b_dn) / (|b_up| + |b_dn|)         (= 1/(2|t0|) for |t| < |t0|: t drops out)
        A = (1/4)(1/|b_up| + 1/|b_dn|) - J             (= t^2 / (2 t0 (t0^2 - t^2)) for |t| < t0)
        K = -(1/2)[(1/4)(1/|b_up| + 1/|b_dn|) - 1/(|b_up| + |b_dn|)]
    At t = 0: J = 1/(2|t0|), A = K = 0 (the docstring value of couplings.py). For |t| > |t0| the
    two channels hop with opposite signs and J turns ferromagnetic.
    """
    bu, bd = t0 + t, t0 - t
    J = np.sign(bu * bd) / (abs(bu) + abs(bd))
    longitudinal = 0.25 * (1 / abs(bu) + 1 / abs(bd))
    return J, longitudinal - J, -0.5 * (longitudinal - 1 / (abs(bu) + abs(bd)))


@pytest.mark.parametrize("t0", [2.0, 1.5])
def test_isolated_dimer_exchange_is_one_over_two_t0(t0):
    """t_L = t_R = 0.3 meV, t = 0, mu_F = 0: J1 = J2 -> 1/(2 t0) within 1%, A = K = 0.

    The residual coupling broadens the levels by Gamma ~ (t_L/t_e)^2 2 t_e ~ 2e-3 meV; the
    corrections are O(Gamma/t0) ~ 1e-3 relative (measured 6e-4), inside the 1% tolerance.
    """
    c = couplings(0.0, 0.0, 0.0, t_L=0.3, t_R=0.3, t0=t0, t=0.0)
    assert abs(c["J1"] - 1 / (2 * t0)) < 0.01 / (2 * t0)
    assert abs(c["J2"] - c["J1"]) < 1e-12
    assert c["A1"] == 0.0 and c["K1"] == 0.0


@pytest.mark.parametrize("t0, t", [(2.0, 0.1), (2.0, 1.0), (-2.0, 0.5), (1.5, 2.0)])
def test_isolated_dimer_with_spin_dependent_hopping_follows_the_channel_formula(t0, t):
    """t_L = t_R = 0.3 meV, mu_F = 0: (J1, A1, K1) match dimer_couplings(t0, t) within 1%.

    (2, 1.0) separates the result from the naive channel average (1/4)(1/|b_up| + 1/|b_dn|) = 1/3
    (the longitudinal part J + A): J stays 1/4. (1.5, 2.0) has b_dn < 0: J = -1/4 (ferromagnetic).
    """
    J, A, K = dimer_couplings(t0, t)
    c = couplings(0.0, 0.0, 0.0, t_L=0.3, t_R=0.3, t0=t0, t=t)
    assert abs(c["J1"] - J) < 0.01 * abs(J)
    assert abs(c["A1"] - A) < 0.01 * abs(A)
    assert abs(c["K1"] - K) < 0.01 * abs(K)
    assert abs(c["J2"] - c["J1"]) < 1e-12 and abs(c["A2"] - c["A1"]) < 1e-12
