"""Boltzmann averages, effective temperature and Neel-Brown times
(spinbath.classical.fokker_planck), against closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from spinbath.classical.fokker_planck import (
    HBAR_MEV_PS, boltzmann_quadrature, brown_high_barrier_time, effective_temperature,
    junction_effective_temperature, langevin, metropolis_average, neel_brown_tau_N,
    uniaxial_relaxation_time,
)
from spinbath.classical.spin_model import ClassicalSpinModel


def test_langevin_function_series_and_limits():
    x = np.array([1e-6, 5e-4, 2e-3, 0.5, 2.0, 50.0])
    exact = np.array([float(1 / np.tanh(v) - 1 / v) if v > 1e-3 else v / 3 - v**3 / 45 for v in x])
    np.testing.assert_allclose(langevin(x), exact, rtol=1e-9)
    assert langevin(0.0) == 0.0
    assert langevin(1e-3 * (1 - 1e-12)) == pytest.approx(langevin(1e-3 * (1 + 1e-12)), rel=1e-9)


@pytest.mark.parametrize("H,kT", [(1.0, 0.5), (0.3, 2.0), (5.0, 0.1)])
def test_quadrature_free_spin_in_a_field(H, kT):
    direction = np.array([1.0, 2.0, 2.0]) / 3.0
    model = ClassicalSpinModel(1).with_zeeman(0, H * direction)
    avg = boltzmann_quadrature(model, kT, lambda m: m[..., 0, :])
    np.testing.assert_allclose(avg.value, langevin(H / kT) * direction, atol=1e-10)


def test_quadrature_uniaxial_second_moment():
    """<m_z^2> for E = -K m_z^2 is int x^2 e^(sigma x^2) / int e^(sigma x^2) over [-1, 1]."""
    sigma = 3.0
    model = ClassicalSpinModel(1).with_uniaxial(0, sigma, (0, 0, 1))
    avg = boltzmann_quadrature(model, 1.0, lambda m: m[..., 0, 2] ** 2)
    num = quad(lambda x: x**2 * np.exp(sigma * x**2), -1, 1, epsabs=1e-14)[0]
    den = quad(lambda x: np.exp(sigma * x**2), -1, 1, epsabs=1e-14)[0]
    assert avg.value == pytest.approx(num / den, rel=1e-10)


def test_quadrature_with_a_pinned_partner_is_the_exchange_field():
    """A free spin exchange-coupled (E = -J m1.m2) to a pinned one feels the field J m2."""
    model = (ClassicalSpinModel(2).with_exchange(0, 1, J=-1.5).with_pinned(1, (0, 1, 0)))
    avg = boltzmann_quadrature(model, 0.5, lambda m: m[..., 0, :])
    np.testing.assert_allclose(avg.value, [0, langevin(3.0), 0], atol=1e-10)


def test_quadrature_bad_input():
    with pytest.raises(ValueError, match="exactly one free spin"):
        boltzmann_quadrature(ClassicalSpinModel(2), 1.0, lambda m: m[..., 0, 2])
    with pytest.raises(ValueError, match="not converged"):
        boltzmann_quadrature(ClassicalSpinModel(1).with_zeeman(0, (0, 0, 1e4)), 1e-3,
                             lambda m: m[..., 0, 2], n_max=64)
    with pytest.raises(ValueError, match="k_B T"):
        boltzmann_quadrature(ClassicalSpinModel(1), -1.0, lambda m: m[..., 0, 2])
    nonrec = ClassicalSpinModel(1).with_linear_field(0, 0, [[0, 1, 0], [-1, 0, 0], [0, 0, 0]])
    with pytest.raises(ValueError, match="non-conservative"):
        boltzmann_quadrature(nonrec, 1.0, lambda m: m[..., 0, 2])


def test_metropolis_open_chain_correlations():
    """Open classical Heisenberg chain E = -J (m1.m2 + m2.m3): bonds are independent, so
    <m1.m2> = L(J/kT) and <m1.m3> = L(J/kT)^2 (seeded; stated error = std of chain means /
    sqrt(chains), here ~0.003)."""
    kT, J = 0.5, 1.0
    model = ClassicalSpinModel(3).with_exchange(0, 1, J=-J).with_exchange(1, 2, J=-J)
    avg = metropolis_average(model, kT, lambda m: np.stack(
        [np.sum(m[:, 0] * m[:, 1], -1), np.sum(m[:, 0] * m[:, 2], -1)], axis=-1),
        n_chains=128, n_sweeps=1500, burn_in=300, seed=4)
    L = langevin(J / kT)
    assert np.all(avg.error < 0.006)
    np.testing.assert_array_less(np.abs(avg.value - [L, L**2]), 4 * avg.error)
    assert 0.3 < avg.info["acceptance"] < 0.7


def test_effective_temperature_helpers():
    assert effective_temperature(0.6, 0.3) == pytest.approx(1.0)
    alpha = np.kron([[0.5, 0.3], [0.3, 0.5]], np.eye(3))
    np.testing.assert_allclose(effective_temperature(2 * 0.7 * alpha, alpha), [0.7, 0.7])
    blocks = np.zeros((2, 2, 3, 3))
    blocks[0, 0] = np.diag([0.1, 0.2, 0.3])
    blocks[1, 1] = np.eye(3)
    Q = blocks.copy()
    Q[0, 0] *= 4.0
    Q[1, 1] *= 3.0
    np.testing.assert_allclose(effective_temperature(Q, blocks), [2.0, 1.5])
    # the junction form 1/(kT_eff) = 2 S^2 hbar alpha / j inverts j = 2 S^2 hbar alpha kT
    S, a, kT = 2.5, 0.01, 0.3
    j = 2 * S**2 * HBAR_MEV_PS * a * kT
    assert junction_effective_temperature(a, j, S) == pytest.approx(kT)
    assert HBAR_MEV_PS == pytest.approx(0.6582119569)
    with pytest.raises(ValueError):
        effective_temperature(1.0, 0.0)


def test_relaxation_time_limits():
    """sigma = 0: free rotational diffusion, the l = 1 mode decays at 1/tau_N. Small sigma:
    Brown's low-barrier expansion tau/tau_N = 1/(1 - 2 sigma/5 + 48 sigma^2/875) (0.3 % at
    sigma = 1). Large sigma: the high-barrier formula with the 1/sigma correction (3.5 % at 8)."""
    assert uniaxial_relaxation_time(0.0, 2.0) == pytest.approx(2.0, rel=1e-10)
    for s in (0.25, 0.5, 1.0):
        low = 1.0 / (1 - 2 * s / 5 + 48 * s**2 / 875)
        assert uniaxial_relaxation_time(s) == pytest.approx(low, rel=3e-3)
    for s in (8.0, 10.0, 15.0):
        ratio = uniaxial_relaxation_time(s) / brown_high_barrier_time(s)
        assert ratio == pytest.approx(1, abs=0.035)
    assert uniaxial_relaxation_time(10.0, degree=161, n_quad=800) == pytest.approx(
        uniaxial_relaxation_time(10.0), rel=1e-8)
    assert neel_brown_tau_N(1.0, 0.125) == pytest.approx(8.0)
    assert neel_brown_tau_N(0.1, 1.0) == pytest.approx(1.01 / 0.2)
