"""Observables of a rate superoperator: rho(t), M(t), steady state, tau, T1/T2/T2*."""

from __future__ import annotations

import numpy as np
import pytest

from spinbath.quantum.liouville import change_basis
from spinbath.quantum.relaxation import (
    coherence_times, effective_generator, evolve, magnetization, relaxation_modes, relaxation_time,
    relaxation_time_details,
    steady_state,
)
from spinbath.quantum.spin_phonon import SpinPhononRates, spin_phonon_superoperator
from spinbath.spins.operators import spin_matrices
from spinbath.units import CM_TO_RAD_PER_S, KB_CM
from helpers import crystal_field, kramers_model, quadrupoles, time_even_couplings


def two_level(T=30.0):
    delta = 40.0
    H = np.diag([0.0, delta])
    V = np.array([[[0.1, 0.5], [0.5, -0.2]], [[0.0, 0.3j], [-0.3j, 0.4]]])
    return spin_phonon_superoperator(H, V, [38.0, 55.0], T, 2, 6.0, "lorentzian")


def test_two_level_evolution_is_exponential_with_T1_and_T2():
    E, R2 = two_level()
    T1, T2, T2s = coherence_times(R2, (0, 1))
    # Second order has no pure dephasing although V_00 != V_11 and the Lorentzian reaches w = 0:
    # a w = 0 jump would need a zero-energy phonon, and its weight is 0 (spin_phonon docstring).
    assert T2s == np.inf and T2 == pytest.approx(2 * T1, rel=1e-12)
    # The two-phonon (Raman, Omega = w_a - w_a = 0) process does dephase: at order 4 alone
    # T2 = 2.8e-6 s is well below 2 T1 = 2.5e-5 s, so a mix-up of T2 with 2 T1 would be caught.
    H = np.diag([0.0, 40.0])
    V = np.array([[[0.1, 0.5], [0.5, -0.2]], [[0.0, 0.3j], [-0.3j, 0.4]]])
    R4 = SpinPhononRates(H, V, [38.0, 55.0], 6.0, "lorentzian").superoperator(30.0, 4)
    T1_4, T2_4, T2s_4 = coherence_times(R4, (0, 1))
    assert np.isfinite(T2s_4) and T2_4 < 0.2 * 2 * T1_4
    for R in (R2, R4):
        T1, T2, _ = coherence_times(R, (0, 1))
        rho0 = np.full((2, 2), 0.5, dtype=complex)  # |+><+|
        t = np.array([0.0, 0.3, 1.0, 2.5]) * T1
        rhos = evolve(R, rho0, t, E=E)
        p_eq = steady_state(R)[1, 1].real
        assert np.allclose(rhos[:, 1, 1].real, p_eq + (0.5 - p_eq) * np.exp(-t / T1), rtol=1e-9)
        # Coherence: decays with T2 and rotates at the Bohr frequency (Schroedinger picture).
        w01 = (E[0] - E[1]) * CM_TO_RAD_PER_S
        expected = 0.5 * np.exp(-t / T2) * np.exp(-1j * w01 * t)
        assert np.allclose(rhos[:, 0, 1], expected, rtol=1e-7, atol=1e-12)
        # Interaction picture (no E): same modulus, no rotation.
        assert np.allclose(evolve(R, rho0, t)[:, 0, 1], 0.5 * np.exp(-t / T2), rtol=1e-9)


def test_eig_and_expm_propagation_agree():
    H, V, w = kramers_model(seed=1, field=(0.0, 0.1, 0.2))
    m = SpinPhononRates(H, V, w, 5.0)
    R = m.superoperator(20.0, "2+4")
    rng = np.random.default_rng(0)
    A = rng.normal(size=(6, 6)) + 1j * rng.normal(size=(6, 6))
    rho0 = A @ A.conj().T
    rho0 /= np.trace(rho0)
    t = np.array([0.0, 1e-12, 1e-10, 1e-8])
    a = evolve(R, rho0, t, E=m.energies, method="eig")
    b = evolve(R, rho0, t, E=m.energies, method="expm")
    assert np.abs(a - b).max() < 1e-9
    assert np.allclose(np.trace(a, axis1=1, axis2=2), 1.0)
    assert np.allclose(a, a.conj().transpose(0, 2, 1))


def test_long_time_limit_is_the_steady_state_and_gibbs_like():
    E, R = two_level(T=25.0)
    rho_inf = evolve(R, np.diag([1.0, 0.0]).astype(complex), [1.0])[0]  # 1 s >> T1
    rho_ss = steady_state(R)
    assert np.allclose(rho_inf, rho_ss, atol=1e-12)
    assert np.trace(rho_ss) == pytest.approx(1.0)


def test_magnetization_and_its_mode_decomposition():
    J = 2.5
    H, V, w = kramers_model(seed=3, field=(0.0, 0.0, 0.01))
    m = SpinPhononRates(H, V, w, 5.0)
    R = m.superoperator(40.0, "2+4")
    U = m.eigenvectors
    Jz = spin_matrices(J)[2]
    rho0 = np.zeros((6, 6), complex)
    rho0[0, 0] = 1.0
    t = np.logspace(-13, -6, 8)
    Mt = magnetization(evolve(R, rho0, t), Jz, U)
    assert magnetization(rho0, Jz, U) == pytest.approx((U.conj().T @ Jz @ U)[0, 0].real)
    # M(t) = sum_g A_g exp(lambda_g t), amplitudes from the left/right eigenvectors.
    lam, amp = relaxation_modes(R, U.conj().T @ Jz @ U, rho0)
    assert np.allclose(Mt, (amp[None, :] * np.exp(np.outer(t, lam))).sum(1).real, rtol=1e-8, atol=1e-10)


def test_relaxation_time_is_the_late_decay_of_the_magnetization():
    J = 2.5
    H, V, w = kramers_model(seed=3)
    m = SpinPhononRates(H, V, w, 5.0)
    R = m.superoperator(25.0, 4)
    U = m.eigenvectors
    Jz = U.conj().T @ spin_matrices(J)[2] @ U
    info = relaxation_time_details(R, m.energies, Jz)
    tau = info.tau
    # Start from the magnetized ground doublet and watch M(t) relax: the slow tail is exp(-t/tau).
    _, vecs = np.linalg.eigh(Jz[:2, :2])  # Jz within the ground doublet
    up = np.zeros(6, complex)
    up[:2] = vecs[:, -1]  # the doublet state of largest <Jz>
    rho0 = np.outer(up, up.conj())
    t = np.array([5.0, 10.0]) * tau
    Mt = magnetization(evolve(R, rho0, t), Jz)
    M_ss = magnetization(steady_state(R), Jz)
    slope = np.log((Mt[1] - M_ss) / (Mt[0] - M_ss)) / (t[1] - t[0])
    assert -1.0 / slope == pytest.approx(tau, rel=1e-3)
    assert info.weight > 0.5  # the dominant mode of M(t)


def test_relaxation_time_is_basis_independent_within_doublets():
    J = 2.5
    H, V, w = kramers_model(seed=8)
    m = SpinPhononRates(H, V, w, 5.0)
    R = m.superoperator(30.0, 4)
    Jz = m.eigenvectors.conj().T @ spin_matrices(J)[2] @ m.eigenvectors
    tau = relaxation_time(R, m.energies, Jz)
    # Rotate each (exactly degenerate) Kramers doublet by a random SU(2) matrix.
    rng = np.random.default_rng(5)
    W = np.zeros((6, 6), complex)
    for k in range(0, 6, 2):
        q, _ = np.linalg.qr(rng.normal(size=(2, 2)) + 1j * rng.normal(size=(2, 2)))
        W[k : k + 2, k : k + 2] = q
    R2 = change_basis(R, W.conj().T)  # R written in the rotated basis
    Jz2 = W.conj().T @ Jz @ W
    assert relaxation_time(R2, m.energies, Jz2) == pytest.approx(tau, rel=1e-9)


def test_coherence_times_identity_and_errors():
    H, V, w = kramers_model(seed=9, field=(0.0, 0.0, 0.3))
    R = SpinPhononRates(H, V, w, 5.0).superoperator(30.0, "2+4")
    for pair in [(0, 1), (0, 2), (3, 5)]:
        T1, T2, T2s = coherence_times(R, pair)
        assert 1 / T2 == pytest.approx(1 / (2 * T1) + 1 / T2s, rel=1e-10)
        assert T2 <= 2 * T1 * (1 + 1e-12)
    with pytest.raises(ValueError):
        coherence_times(R, (1, 1))
    with pytest.raises(ValueError):
        relaxation_time(R, np.zeros(5), np.eye(6))


def test_gibbs_helper_consistency():
    # steady_state normalizes and Hermitizes whatever null vector the SVD returns.
    E, R = two_level(T=300.0)
    rho = steady_state(R)
    assert np.allclose(rho, rho.conj().T)
    ratio = rho[1, 1].real / rho[0, 0].real
    assert 0 < ratio < 1 and ratio == pytest.approx(np.exp(-40.0 / (KB_CM * 300.0)), rel=0.2)


# ----------------------------------------------------------------------------- stiff R (low T)
def _orbach_model(offsets=(-4, -1, 2, 5), width=4.0):
    J = 2.5
    H = crystal_field(J, -5.0, 0.0, 0.8)  # mixed excited doublets: an Orbach path exists
    E0 = np.linalg.eigvalsh(H)
    D1 = E0[2] - E0[0]
    w = np.array([D1 + x for x in offsets] + [0.15 * D1, 0.3 * D1])
    V = time_even_couplings(J, w.size, 1.0, np.random.default_rng(7))
    m = SpinPhononRates(H, V, w, width)
    Jz = m.eigenvectors.conj().T @ spin_matrices(J)[2] @ m.eigenvectors
    return m, Jz, D1


def test_doublet_block_and_full_eigenvalues_agree_where_both_are_accurate():
    m, Jz, D1 = _orbach_model()
    R = m.superoperator(0.1 * D1 / KB_CM, 2)
    info = relaxation_time_details(R, m.energies, Jz)
    tau = info.tau
    assert info.method == "doublet block" and info.separation < 1e-3
    lam_full, _ = relaxation_modes(R, Jz, np.diag([1.0, -1.0, 0, 0, 0, 0]))
    assert tau == pytest.approx(-1.0 / lam_full[0].real, rel=1e-8)
    # The Schur complement at the selected eigenvalue has it as an eigenvalue (self-consistency).
    ev = np.linalg.eigvals(effective_generator(R, [0, 1], info.eigenvalue))
    assert np.min(np.abs(ev - info.eigenvalue)) <= 1e-12 * abs(info.eigenvalue)


def test_stiff_low_temperature_tau_matches_a_high_precision_eigenvalue():
    # At k_B T = D1/40 the flip rate (~1e-8 s^-1) is below the round-off of a double-precision
    # eigen-decomposition of the full R (~1e-6 s^-1 for rates up to ~1e10 s^-1). The doublet-block
    # Schur complement must still give it: compare with the eigenvalues of the same R computed
    # with 40 significant digits (mpmath).
    mpmath = pytest.importorskip("mpmath")
    m, Jz, D1 = _orbach_model()
    R = m.superoperator(D1 / KB_CM / 40.0, 2)
    info = relaxation_time_details(R, m.energies, Jz)
    tau = info.tau
    assert info.method == "doublet block"
    rate_floor = 1e3 * np.finfo(float).eps * np.abs(np.linalg.eigvals(R)).max()
    assert 1.0 / tau < rate_floor  # invisible to the full-R route
    mpmath.mp.dps = 40
    ev = mpmath.eig(mpmath.matrix(R.tolist()), left=False, right=False)
    ev = np.array([complex(e) for e in ev])
    assert np.min(np.abs(ev - info.eigenvalue)) <= 1e-6 * abs(info.eigenvalue)


def test_population_block_of_R_keeps_the_trace_to_the_last_digit():
    # Elastic lineshape tails (|A_cc|^2) are large compared with a slow escape rate; the diagonal
    # R_cc,cc must not inherit their round-off.
    m, Jz, D1 = _orbach_model()
    R = m.superoperator(D1 / KB_CM / 40.0, 2)
    d = 6
    pops = [a + d * a for a in range(d)]
    col = R[np.ix_(pops, pops)]
    assert np.all(np.abs(col.sum(axis=0)) <= 1e-14 * np.abs(np.diag(col)))


def test_a_reversal_that_no_process_allows_is_not_reported_as_a_number():
    # Pure |M> ladder (axial field) and rank-2 couplings: the moment never reverses. The doublet
    # block sees a vanishing rate (tau = inf); it must not return a round-off eigenvalue as tau.
    J = 7.5
    H = crystal_field(J, -7.0)
    w = np.array([290.0, 300.0, 60.0])
    V = np.array([quadrupoles(J)[k] for k in (1, 2, 4)])  # {Jx,Jy}... ; couple Delta M <= 2
    m = SpinPhononRates(H + 1e-9 * spin_matrices(J)[2], V, w, 4.0)
    Jz = m.eigenvectors.conj().T @ spin_matrices(J)[2] @ m.eigenvectors
    tau = relaxation_time(m.superoperator(40.0, 2), m.energies, Jz)
    assert not (np.isfinite(tau) and tau < 1e15)


def test_second_order_kramers_coherence_keeps_T2_equal_2T1_when_rates_are_tiny():
    # At k_B T = D1/40 the escape rates of the ground doublet (~1e-7 s^-1) are far below the
    # elastic terms |A_aa|^2 (~1e9 s^-1 from the zero-frequency tails of the soft modes). Pure
    # dephasing is sum |A_aa - A_bb|^2 / 2 = 0 for Kramers partners; it must not come out as the
    # round-off of J_aa + J_bb - 2 Re J_ab.
    m, Jz, D1 = _orbach_model()
    R = m.superoperator(D1 / KB_CM / 40.0, 2)
    T1, T2, T2s = coherence_times(R, (0, 1))
    assert np.isfinite(T1)
    assert T2 == pytest.approx(2 * T1, rel=1e-9)
    assert not np.isfinite(T2s) or T2s > 1e9 * T2


def _four_level_orbach(p: float, g: float = 1e12, boltzmann: float = 1e-12) -> np.ndarray:
    """Pauli rates in Liouville form for a ground doublet (a, b) over an excited one (c on a's
    side, d on b's): c, d decay at g to their own side and g p across; up rates by detailed
    balance (factor ``boltzmann``); coherences dephase at g, except the doublet's own, which decay
    at the escape rate (no pure dephasing in a Kramers doublet). Escape from a: (1 + p) g b."""
    d = 4
    W = np.zeros((d, d))  # W[m, n] = rate n -> m, s^-1
    W[0, 2] = W[1, 3] = g
    W[1, 2] = W[0, 3] = g * p
    W[2, 0], W[3, 1] = g * boltzmann, g * boltzmann
    W[2, 1], W[3, 0] = g * p * boltzmann, g * p * boltzmann
    R = -g * np.eye(d * d, dtype=complex)
    pops = [a * d + a for a in range(d)]
    R[np.ix_(pops, pops)] = W - np.diag(W.sum(axis=0))
    escape = W[:, 0].sum()
    R[0 * d + 1, 0 * d + 1] = R[1 * d + 0, 1 * d + 0] = -escape
    return R


def test_doublet_block_tau_is_exact_until_the_escape_rate_round_off_then_nan():
    # The net reversal rate is the escape rate (~1 s^-1) times the branching across (2p): the two
    # terms of the Schur complement cancel to 4p/(1+p). Resolved for p = 1e-3 .. 1e-9 to ~eps/(4p) relative;
    # at p = 1e-15 it is below eps * escape and must be NaN, not a number made of round-off.
    E = np.array([0.0, 0.0, 100.0, 100.0])
    M = np.diag([1.0, -1.0, 0.9, -0.9])
    for p in (1e-3, 1e-6, 1e-9):
        info = relaxation_time_details(_four_level_orbach(p), E, M)
        assert info.method == "doublet block"
        exact = (1 + p) / (4 * p)
        # Relative error ~ eps * escape / rate: the cancellation costs digits, never more than that.
        assert info.tau == pytest.approx(exact, rel=1e-12 + 100 * np.finfo(float).eps * (1 + p) * exact)
    info = relaxation_time_details(_four_level_orbach(1e-15), E, M)
    assert np.isnan(info.tau) and info.method.startswith("unresolved")
    assert np.isnan(relaxation_time(_four_level_orbach(1e-15), E, M))
