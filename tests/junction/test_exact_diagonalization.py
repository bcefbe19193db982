"""Independent route to the equilibrium couplings: exact diagonalization of a long finite chain.

The junction is cut to a finite one-particle chain: N lead sites (hopping t_e), the two device
sites (on-site eps0, coupled to the leads by t_L, t_R), N lead sites. Spin along t_hat is
conserved, so each spin channel s = +-1 is a real symmetric tridiagonal matrix with device hopping
b_s = t0 + s t, diagonalized exactly. The static (isothermal = retarded w -> 0, the leads being a
continuum) susceptibility of the Pauli spin densities is the Lindhard sum

    chi_ab^ij = sum_nm (f_n - f_m) <n|sigma^i_a|m><m|sigma^j_b|n> / (E_m - E_n),
    (f_n - f_m)/(E_m - E_n) -> -f'(E_n) for degenerate pairs,

with <n|sigma^z_a|m> = s phi_n(a) phi_m(a) within a channel and <n|sigma^x_a|m> = phi_n(a) phi_m(a)
between channels (frame t_hat = z), so J1 = -chi_12^xx, A1 = -(chi_12^zz - chi_12^xx),
K1 = -(chi_11^zz - chi_11^xx)/2 as in couplings.py. At T = 20 K, k_B T = 1.7 meV spans ~10 levels of
the finite chain near mu (spacing ~ 2 pi t_e / (2N) = 0.4 meV for N = 800); the discreteness error
then decays like exp(-2 pi^2 k_B T / spacing) and is far below round-off (checked by N = 500 vs 800).

Bound states (levels outside the band [-2t_e, 2t_e]) are ordinary eigenvalues here, so the ED
counts them with no special care; the test shows the kernels do too, and that a real-axis
integral restricted to the band does not.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest
from scipy.integrate import quad_vec
from scipy.linalg import eigh_tridiagonal

from spinbath.baths.leads import chain_self_energy_derivative, fermi
from spinbath.junction import JunctionModel, couplings_from_kernels, greens_functions, spin_kernels
from spinbath.junction.model import PAULI
from spinbath.units import KB_MEV

T_ED = 20.0  # K
N_ED = 800
MUS = (0.0, 1.5, -3.0)
# ED and kernels agree to ~1e-10 relative (see the convergence test); 1e-6 leaves room for
# platform-dependent round-off while being 1e4 times tighter than the 1% physics target.
RTOL = 1e-6


@lru_cache(maxsize=None)
def channels(model: JunctionModel, N: int):
    """Per spin (+1, -1): eigenvalues and eigenvector components on device sites 1 and 2."""
    out = []
    M = 2 * N + 2
    for hop in model.spin_hoppings():
        d = np.zeros(M)
        d[N] = d[N + 1] = model.eps0
        e = np.full(M - 1, model.t_e)
        e[N - 1], e[N], e[N + 1] = model.t_L, hop, model.t_R
        w, v = eigh_tridiagonal(d, e)
        out.append((w, v[N].copy(), v[N + 1].copy()))
    return tuple(out)


def lindhard(Ea, Eb, mu, T):
    """F_nm = (f(E_a,n) - f(E_b,m)) / (E_b,m - E_a,n), with -f'(E_a,n) for |E_b,m - E_a,n| < 1e-9 meV."""
    kT = KB_MEV * T
    fa, fb = fermi(Ea, mu, T), fermi(Eb, mu, T)
    dE = Eb[None, :] - Ea[:, None]
    deg = np.abs(dE) < 1e-9
    mfp = (1 - np.tanh((Ea - mu) / (2 * kT)) ** 2) / (4 * kT)
    return np.where(deg, mfp[:, None], (fa[:, None] - fb[None, :]) / np.where(deg, 1.0, dE))


def ed_couplings(model: JunctionModel, N: int, mus, T: float) -> np.ndarray:
    """(J1, A1, K1) per mu from the Lindhard sum, shape (len(mus), 3), meV^-1."""
    (Eu, u1, u2), (Ed, d1, d2) = channels(model, N)
    res = []
    for mu in mus:
        Fuu, Fdd, Fud = lindhard(Eu, Eu, mu, T), lindhard(Ed, Ed, mu, T), lindhard(Eu, Ed, mu, T)

        def chi(xu, xd):
            # A_nm B_mn = (phi_n(a) phi_n(b)) (phi_m(a) phi_m(b)) for site operators a, b
            longitudinal = xu @ Fuu @ xu + xd @ Fdd @ xd
            transverse = 2.0 * xu @ Fud @ xd  # (up -> dn) + (dn -> up), F symmetric
            return longitudinal, transverse

        z12, x12 = chi(u1 * u2, d1 * d2)
        z11, x11 = chi(u1 * u1, d1 * d1)
        res.append((-x12, -(z12 - x12), -(z11 - x11) / 2))
    return np.array(res)


def kernel_couplings(model: JunctionModel, mus, T: float) -> np.ndarray:
    c = couplings_from_kernels(spin_kernels(model, 0.0, np.asarray(mus), T))
    return np.stack([c["J1"], c["A1"], c["K1"]], axis=1)


def assert_close(got, ref, rtol, atol):
    """Elementwise |got - ref| <= rtol |ref| + atol, with a readable message."""
    err = np.abs(got - ref)
    assert np.all(err <= rtol * np.abs(ref) + atol), f"\n got {got}\n ref {ref}\n err {err}"


# ------------------------------------------------------------------------------------------------
# Default junction (no bound states)
# ------------------------------------------------------------------------------------------------

def test_ed_is_converged_in_chain_length():
    """N = 500 and N = 800 give the same (J, A, K) to 1e-8 relative (J scale) at T = 20 K."""
    model = JunctionModel(t=1.0)
    a, b = ed_couplings(model, 500, MUS, T_ED), ed_couplings(model, N_ED, MUS, T_ED)
    assert np.max(np.abs(a - b)) < 1e-8 * np.max(np.abs(b))


@pytest.mark.parametrize("t", [0.1, 1.0])
def test_kernels_match_exact_diagonalization(t):
    """couplings(0, mu_F, T = 20 K) = Lindhard sum of the finite chain for J1, A1, K1.

    mu_F = 0, 1.5, -3 meV; weak (t = 0.1) and strong (t = 1.0) spin-dependent hopping.
    Tolerance RTOL relative per coupling, with an absolute floor of 1e-9 x max|J| for the
    small anisotropies (|K| ~ 1e-6 at t = 0.1).
    """
    model = JunctionModel(t=t)
    ref = kernel_couplings(model, MUS, T_ED)
    got = ed_couplings(model, N_ED, MUS, T_ED)
    assert_close(got, ref, RTOL, 1e-9 * np.max(np.abs(ref[:, 0])))
    assert np.all(np.abs(ref[:, 1]) > 1e-6)  # A is resolved, not just the absolute floor


# ------------------------------------------------------------------------------------------------
# Bound states
# ------------------------------------------------------------------------------------------------

BOUND_CASES = {
    # device levels -260 +- 2 below the band bottom -200: the device is a filled bound dimer
    "levels_below_band": JunctionModel(eps0=-260.0, t=0.1),
    # strong lead coupling (t_c > sqrt(2) t_e) and a strong link: bound states above and below
    "strong_coupling": JunctionModel(t_L=160.0, t_R=160.0, t0=100.0, t=10.0),
}


def naive_band_integral(model: JunctionModel, mu: float, T: float) -> float:
    """J1 from chi = i int_band dE/2pi Tr[A G^R B G^< + A G^< B G^A] with G^< = G^R Sigma^< G^A.

    This is the w = 0 bubble of the kernels' docstring with the textbook lesser function, which
    lives only in the band (Sigma^< = 0 outside): it misses the bound states. Lab frame, t_hat = x
    so sigma^y is transverse: J1 = -chi_12^yy.
    """
    P1, P2 = np.diag([1.0, 0.0]), np.diag([0.0, 1.0])
    A, B = np.kron(P1, PAULI[1]), np.kron(P2, PAULI[1])

    def integrand(E):
        GR, GA, Gl, _ = greens_functions(model, np.array([E]), 0.0, mu, T)
        tr = np.trace(A @ GR[0] @ B @ Gl[0] + A @ Gl[0] @ B @ GA[0])
        return np.array([(1j * tr / (2 * np.pi)).real])

    be = 2 * model.t_e
    pts = sorted({mu, *[x for x in model.device_levels() if -be < x < be]})
    val, _ = quad_vec(integrand, -be, be, points=pts, epsabs=1e-15, epsrel=1e-10, limit=4000)
    return -float(val[0])


@pytest.mark.parametrize("case", sorted(BOUND_CASES))
def test_ed_spectrum_has_bound_states_on_the_device(case):
    """The finite chain has N-independent levels outside [-2t_e, 2t_e] with weight on the device.

    Their device weight |phi(1)|^2 + |phi(2)|^2 equals the pole residue 1/(1 - Sigma'(E_b)) of the
    symmetric junction's spin-block Green's function (1e-6: ED vs analytic, finite N irrelevant
    for states that decay exponentially into the leads).
    """
    model = BOUND_CASES[case]
    be = 2 * model.t_e
    for k in range(2):
        found = []
        for N in (500, N_ED):
            E, p1, p2 = channels(model, N)[k]
            out = np.abs(E) > be + 1.0  # 1 meV clear of the edge: not band states of the finite chain
            found.append((E[out], (p1**2 + p2**2)[out]))
        (E_a, w_a), (E_b, w_b) = found
        assert E_b.size >= 2 and E_a.size == E_b.size
        np.testing.assert_allclose(E_a, E_b, rtol=0, atol=1e-9)  # converged: true bound states
        assert np.all(w_b > 0.4)
        residue = 1.0 / (1.0 - chain_self_energy_derivative(E_b, model.t_e, model.t_L).real)
        np.testing.assert_allclose(w_b, residue, rtol=1e-6)


@pytest.mark.parametrize("case", sorted(BOUND_CASES))
def test_kernels_count_bound_states_and_a_band_integral_does_not(case):
    """With bound states, couplings(0, mu_F, T) still equals the ED (RTOL), for mu_F in the band;
    a naive band-restricted integral of G^R Sigma^< G^A misses the bound-state part.

    The naive J differs from the ED by more than 50% (it even has the wrong sign here), i.e.
    far outside the agreement tolerance: the match of the kernels proves the bound states counted.
    """
    model = BOUND_CASES[case]
    ref = kernel_couplings(model, MUS, T_ED)
    got = ed_couplings(model, N_ED, MUS, T_ED)
    scale = np.max(np.abs(got[:, 0]))
    assert_close(got[:, :2], ref[:, :2], RTOL, 1e-9 * scale)  # J, A
    assert_close(got[:, 2], ref[:, 2], 1e-4, 1e-9 * scale)    # K: ~1e-16 in one case (round-off)
    naive = naive_band_integral(model, MUS[0], T_ED)
    J_ed = got[0, 0]
    assert abs(naive - J_ed) > 0.5 * abs(J_ed)
    assert abs(naive - J_ed) > 1e3 * RTOL * abs(J_ed)
