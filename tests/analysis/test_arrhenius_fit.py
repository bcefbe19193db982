"""arrhenius_fit and log_slopes: the one Arrhenius barrier fit and local slopes."""

import numpy as np

from spinbath.analysis.arrhenius import arrhenius_fit, log_slopes
from spinbath.units import KB_CM


def test_fit_recovers_orbach_line():
    T = np.linspace(20.0, 80.0, 7)
    fit = arrhenius_fit(T, 1e-11 * np.exp(900.0 / T))
    assert abs(fit.U_K - 900.0) < 1e-8 * 900.0
    assert abs(fit.tau0 / 1e-11 - 1.0) < 1e-9
    assert abs(fit.U_cm - 900.0 * KB_CM) < 1e-8 * 900.0 * KB_CM


def test_fit_needs_two_points():
    fit = arrhenius_fit([10.0], [1.0])
    assert np.isnan(fit.U_K) and np.isnan(fit.tau0)


def test_log_slopes_orbach_and_raman():
    T = np.linspace(5.0, 50.0, 40)
    U, _ = log_slopes(T, 1e-9 * np.exp(300.0 / T))
    assert np.allclose(U, 300.0, rtol=1e-10)
    _, n = log_slopes(T, 1e3 * T**-7.0)
    assert np.allclose(n, 7.0, rtol=1e-10)


def test_log_slopes_nan_where_tau_bad():
    U, n = log_slopes([1.0, 2.0, 3.0, 4.0], [1.0, np.nan, 2.0, 3.0])
    assert np.isnan(U[:3]).any() and np.isnan(n[:3]).any()
    assert np.isfinite(U[3])
    U, n = log_slopes([1.0], [1.0])
    assert np.isnan(U).all() and np.isnan(n).all()
