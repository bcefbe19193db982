"""Thermal equilibrium of the stochastic LLG (spinbath.classical.llg) against exact Boltzmann
averages, with and without the noise-induced drift, and Neel-Brown switching (slow).

Statistics: every trajectory is time-averaged after equilibration; trajectories are
independent, so the statistical error is std(per-trajectory averages)/sqrt(n_traj), whatever
the autocorrelation within a trajectory. Time-step bias (weak order 1): about +0.001 in
<m1.m2> at dt = 0.01 for the dimer below, measured against dt = 0.005 and 0.02.
"""

from __future__ import annotations

import numpy as np
import pytest

from spinbath.classical.fokker_planck import (
    boltzmann_quadrature, brown_high_barrier_time, langevin, neel_brown_tau_N,
    uniaxial_relaxation_time,
)
from spinbath.classical.llg import Midpoint, random_unit_vectors, simulate
from spinbath.classical.spin_model import ClassicalSpinModel, damping_tensor

KT, J = 0.5, 1.0
DIMER_EXACT = langevin(J / KT)          # 0.53730 = coth 2 - 1/2
NONLOCAL = [[0.5, 0.3], [0.3, 0.5]]


def thermal_average(model, observable, *, kT=KT, noise=None, n_traj=4096, dt=0.01, t_eq=15.0,
                    t_run=60.0, seed=1, method=None, drift_correction=True):
    """(mean, statistical error, per-trajectory averages, result) of observable(m) -> (n_traj, ...)
    over time and ensemble."""
    m0 = random_unit_vectors((n_traj, model.n_spins), np.random.default_rng(seed))
    every = int(round(0.5 / dt))
    n_steps = int(round((t_eq + t_run) / dt))
    kw = dict(noise=noise) if noise is not None else dict(kT=kT)
    r = simulate(model, m0, dt=dt, n_steps=n_steps, seed=seed, save_every=every,
                 record=observable, method=method, drift_correction=drift_correction, **kw)
    per_traj = r.values[r.t >= t_eq].mean(axis=0)
    return per_traj.mean(axis=0), per_traj.std(axis=0, ddof=1) / np.sqrt(n_traj), per_traj, r


def m1m2(m):
    return np.sum(m[:, 0] * m[:, 1], axis=-1)


def dimer(alpha):
    return ClassicalSpinModel(2, damping=alpha).with_exchange(0, 1, J=-J)


def test_free_spin_in_a_field_follows_the_langevin_function():
    """<m_z> = coth x - 1/x, x = |H|/k_B T = 2: 0.53730; statistical error ~0.0015."""
    model = ClassicalSpinModel(1, damping=0.5).with_zeeman(0, (0, 0, 1.0))
    mean, err, _, _ = thermal_average(model, lambda m: m[:, 0, 2])
    exact = langevin(1.0 / KT)
    assert err < 0.003 * exact
    assert abs(mean - exact) < 0.01 * exact
    assert abs(mean - exact) < 4 * err + 0.002


@pytest.mark.parametrize("alpha", [0.7, np.diag([0.2, 0.5, 1.0])], ids=["scalar", "anisotropic"])
def test_uniaxial_spin_in_a_tilted_field_matches_quadrature(alpha):
    """E = -K m_z^2 - H.m, K = 1, H = (0.4, 0, 0.3), k_B T = 0.5: <m> from the ensemble vs the
    Boltzmann quadrature; the anisotropic damping needs the noise-induced drift."""
    model = (ClassicalSpinModel(1, damping=alpha).with_uniaxial(0, 1.0, (0, 0, 1))
             .with_zeeman(0, (0.4, 0.0, 0.3)))
    mean, err, _, _ = thermal_average(model, lambda m: np.concatenate(
        [m[:, 0, :2], m[:, 0, 2:] ** 2], axis=-1))
    ref = boltzmann_quadrature(model, KT, lambda m: np.concatenate(
        [m[..., 0, :2], m[..., 0, 2:] ** 2], axis=-1)).value
    assert np.all(err < 0.003)
    np.testing.assert_array_less(np.abs(mean - ref), 4 * err + 0.003)


@pytest.mark.parametrize("alpha", [
    [[0.5, 0.0], [0.0, 0.5]],
    NONLOCAL,
    damping_tensor(NONLOCAL, [[0.3, -0.2], [-0.2, 0.4]], (1.0, 1.0, 0.0)),
], ids=["local", "nonlocal", "nonlocal-anisotropic"])
def test_dimer_exchange_correlation_is_boltzmann(alpha):
    """E = -J m1.m2: <m1.m2> = coth(J/kT) - kT/J = 0.53730 with the corrected drift."""
    mean, err, _, r = thermal_average(dimer(alpha), m1m2)
    assert err < 0.0025
    assert abs(mean - DIMER_EXACT) < 0.01 * DIMER_EXACT
    assert abs(mean - DIMER_EXACT) < 4 * err + 0.002


def test_uncorrected_stratonovich_is_biased_for_nonlocal_damping():
    """Without the drift, Q = 2 k_B T alpha with alpha_12 = 0.3 gives <m1.m2> ~ 0.548, many
    statistical errors away from 0.5373 and from the corrected run with the same noise (paired
    per-trajectory differences give the error of the difference)."""
    model = dimer(NONLOCAL)
    plain, err_p, per_p, _ = thermal_average(model, m1m2, drift_correction=False)
    fixed, err_f, per_f, _ = thermal_average(model, m1m2)
    err_diff = np.std(per_p - per_f, ddof=1) / np.sqrt(per_p.size)
    assert plain - DIMER_EXACT > 5 * err_p + 0.002
    assert plain - fixed > 5 * err_diff
    assert abs(plain - 0.548) < 4 * err_p + 0.002


def test_effective_temperature_noise_gives_boltzmann_at_T_eff():
    """Q = 2 k_B T_eff alpha passed as a general covariance is recognized as thermal at T_eff."""
    kT_eff = 0.8
    alpha = np.kron(NONLOCAL, np.eye(3))
    mean, err, _, r = thermal_average(dimer(NONLOCAL), m1m2, noise=2 * kT_eff * alpha)
    assert r.info["drift_mode"] == "thermal" and r.info["drift_theta"] == pytest.approx(kT_eff)
    exact = langevin(J / kT_eff)
    assert abs(mean - exact) < 4 * err + 0.002


@pytest.mark.slow
def test_midpoint_equilibrium_nonlocal_dimer():
    mean, err, _, _ = thermal_average(dimer(NONLOCAL), m1m2, method=Midpoint())
    assert abs(mean - DIMER_EXACT) < 4 * err + 0.002


@pytest.mark.slow
@pytest.mark.parametrize("sigma,n_traj", [(8.0, 8192), (10.0, 4096)])
def test_neel_brown_switching_time(sigma, n_traj):
    """Uniaxial spin E = -K m_z^2 (K = 1), alpha = 1, k_B T = K/sigma: <m_z>(t) from m_z = 1
    decays as exp(-t/tau) with tau the longest relaxation time. Compared with Brown's
    high-barrier formula with the 1/sigma correction (within 20 %) and with the exact
    Fokker-Planck eigenvalue (within 4 standard errors + 3 %). tau_N = (1 + alpha^2)/(2 alpha kT)
    in the reduced units (hbar S / energy unit). Error: 16 independent sub-ensembles."""
    alpha, kT, dt = 1.0, 1.0 / sigma, 0.02
    model = ClassicalSpinModel(1, damping=alpha).with_uniaxial(0, 1.0, (0, 0, 1))
    tau_N = neel_brown_tau_N(alpha, kT)
    tau_exact = uniaxial_relaxation_time(sigma, tau_N)
    tau_brown = brown_high_barrier_time(sigma, tau_N)
    T = 1.5 * tau_exact
    every = int(round(T / 200 / dt))
    r = simulate(model, [[0.0, 0.0, 1.0]], n_traj=n_traj, dt=dt, n_steps=int(T / dt),
                 kT=kT, seed=3, save_every=every, record=lambda m: m[:, 0, 2].copy())
    window = r.t > 20.0      # after the intrawell relaxation (rate ~ alpha 2K/(1+alpha^2) = 1)

    def fit(cols):
        y = r.values[:, cols].mean(axis=1)
        ok = window & (y > 0.05)
        return -np.polyfit(r.t[ok], np.log(y[ok]), 1)[0]

    lam = fit(slice(None))
    parts = np.array([fit(g) for g in np.array_split(np.arange(n_traj), 16)])
    err_tau = parts.std(ddof=1) / np.sqrt(16) / lam**2
    tau = 1.0 / lam
    assert abs(tau / tau_brown - 1) < 0.2
    assert abs(tau - tau_exact) < 4 * err_tau + 0.03 * tau_exact


def memory_embedding(model, Q, tau, *, t_eq, t_run, n_traj, seed, sample_every=0.5):
    """The white-noise equation as the tau -> 0 limit of a short memory (llg.py, step 3):
    mdot = X (H + z), tau dz = -(z + alpha mdot) dt + B dW, B B^T = Q (damping kernel
    alpha e^(-t/tau)/tau, noise covariance Q e^(-|t|/tau)/(2 tau)). Integrated with a
    Crank-Nicolson step for z (exact stationary variance of the linear part) and a Cayley
    rotation of m about sigma (H + z); dt = tau/10. Returns per-trajectory averages of m1.m2."""
    from spinbath.classical.llg import _cross_mats

    red = model.reduced(Q)
    L, h, alpha, Qf = red["L"], red["h"], red["alpha"], red["Q"]
    n, sgn, dt = L.shape[0], model.precession_sign, tau / 10
    B = np.linalg.cholesky(Qf)
    rng = np.random.default_rng(seed)
    m = random_unit_vectors((n_traj, n // 3), rng).reshape(n_traj, n)
    z = rng.standard_normal((n_traj, n)) @ np.linalg.cholesky(Qf / (2 * tau)).T
    every, acc = int(round(sample_every / dt)), []
    c = dt / (2 * tau)
    for k in range(int(round((t_eq + t_run) / dt))):
        H = m @ L.T + h
        X = _cross_mats(m, sgn)
        g = np.eye(n) + alpha @ X
        rhs = (z - c * np.einsum("tij,tj->ti", g, z)
               - (dt / tau) * np.einsum("ij,tj->ti", alpha, np.einsum("tij,tj->ti", X, H))
               + rng.standard_normal((n_traj, n)) @ B.T * (np.sqrt(dt) / tau))
        z = np.linalg.solve(np.eye(n) + c * g, rhs[..., None])[..., 0]
        a = (0.5 * dt * sgn * (H + z)).reshape(n_traj, -1, 3)
        m3 = m.reshape(n_traj, -1, 3)
        u = m3 - np.cross(a, m3)
        m = ((u - np.cross(a, u) + np.sum(a * u, -1, keepdims=True) * a)
             / (1 + np.sum(a * a, -1, keepdims=True))).reshape(n_traj, n)
        if k * dt >= t_eq and k % every == 0:
            acc.append(np.sum(m[:, :3] * m[:, 3:6], axis=1))
    return np.mean(acc, axis=0)


@pytest.mark.slow
def test_general_noise_drift_is_the_short_memory_limit():
    """For a general Q (no equilibrium to compare with) the corrected white-noise equation must
    reproduce the short-memory system it is the limit of. Dimer, nonlocal alpha, random Q:
    memory embedding at tau = 0.015 vs corrected and uncorrected white noise. Measured (4096
    and 16384 trajectories): embedding 0.1647(17) at tau = 0.015 [0.1690(12) at tau = 0.03],
    corrected 0.1651(7), uncorrected 0.1525(7)."""
    model = dimer(NONLOCAL)
    rng = np.random.default_rng(11)
    Lq = rng.standard_normal((6, 6))
    Q = Lq @ Lq.T / 6 * 0.6 + 0.3 * np.eye(6)
    per = memory_embedding(model, Q, 0.015, t_eq=15.0, t_run=30.0, n_traj=4096, seed=2)
    emb, err_e = per.mean(), per.std(ddof=1) / np.sqrt(per.size)
    fixed, err_f, _, r = thermal_average(model, m1m2, noise=Q, dt=0.005, n_traj=8192)
    plain, err_p, _, _ = thermal_average(model, m1m2, noise=Q, dt=0.005, n_traj=8192,
                                         drift_correction=False)
    assert r.info["drift_mode"] == "general"
    assert abs(emb - fixed) < 3 * np.hypot(err_e, err_f) + 0.002     # 0.002: O(tau) allowance
    assert abs(emb - plain) > abs(emb - fixed)
    assert emb - plain > 3 * np.hypot(err_e, err_p)
