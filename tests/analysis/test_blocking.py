"""Blocking-temperature readings (spinbath.analysis.blocking) on curves whose answers are known in
closed form: a linear branch (its zero), shifted tanh branches (opening 2 tanh(b0 / w)), tau and
opening exponential in T (their interpolation is exact in log), a parabola (its vertex)."""

from __future__ import annotations

import numpy as np
import pytest

from spinbath.analysis.blocking import (
    branch_zero, loop_closing_temperature, loop_opening, tau_blocking_temperature, zfc_peak_temperature,
)


def test_branch_zero_is_the_interpolated_sign_change():
    f = np.linspace(1.0, -1.0, 21)  # a down branch
    assert branch_zero(f, 3.0 * (f - 0.237)) == pytest.approx(0.237, abs=1e-12)
    assert branch_zero(f, f) == pytest.approx(0.0, abs=1e-12)  # a sample exactly at zero
    assert np.isnan(branch_zero(f, f**2 + 1.0))  # never changes sign


def test_loop_opening_of_shifted_branches():
    """M_down = tanh((B + b0) / w) (lags on the way down), M_up = tanh((B - b0) / w): the largest
    difference is at B = 0, 2 tanh(b0 / w); the branches on different grids."""
    b0, w = 0.3, 0.5
    down = np.linspace(2.0, -2.0, 4001)
    up = np.linspace(-2.0, 2.0, 3001)
    op = loop_opening(down, np.tanh((down + b0) / w), up, np.tanh((up - b0) / w))
    assert op == pytest.approx(2 * np.tanh(b0 / w), rel=1e-6)
    assert loop_opening(down, np.tanh(down / w), up, np.tanh(up / w)) < 1e-6  # closed loop


def test_tau_blocking_temperature_where_tau_crosses_the_convention():
    T = np.linspace(10.0, 80.0, 15)
    tau = np.exp(12.0 - 0.2 * T)  # log tau linear in T: the interpolation is exact
    assert tau_blocking_temperature(T, tau, 100.0) == pytest.approx((12.0 - np.log(100.0)) / 0.2, rel=1e-12)
    # Arrhenius, tau = 1e-11 exp(1760 K / T): T_B = 1760 / ln(1e13), within the grid's interpolation error
    T = np.linspace(40.0, 80.0, 81)
    assert tau_blocking_temperature(T, 1e-11 * np.exp(1760.0 / T)) == pytest.approx(1760 / np.log(1e13), rel=1e-3)
    assert np.isnan(tau_blocking_temperature(T, np.full(T.size, 1e3)))  # never below 100 s


def test_zfc_peak_is_the_vertex_and_nan_when_not_resolved():
    T = np.linspace(2.0, 80.0, 40)
    assert zfc_peak_temperature(T, 5.0 - (T - 31.3) ** 2 / 100) == pytest.approx(31.3, rel=1e-10)
    assert np.isnan(zfc_peak_temperature(T, T))  # still rising at the last temperature
    assert np.isnan(zfc_peak_temperature(T, -T))  # largest at the first
    assert np.isnan(zfc_peak_temperature(T[:2], [1.0, 2.0]))


def test_loop_closing_temperature_and_its_bracket():
    T = np.array([2.0, 10.0, 20.0, 40.0, 60.0, 80.0])
    opening = 2.0 * np.exp(-T / 8.0)  # log opening linear in T
    t, lo, hi = loop_closing_temperature(T, opening, 0.01)
    assert t == pytest.approx(8.0 * np.log(200.0), rel=1e-12)  # 42.4 K
    assert (lo, hi) == (40.0, 60.0)
    assert np.isnan(loop_closing_temperature(T, np.ones(T.size), 0.01)[0])  # never closes
    t, lo, hi = loop_closing_temperature(T, np.zeros(T.size), 0.01)  # closed already at the first
    assert np.isnan(t) and np.isnan(lo) and hi == 2.0
