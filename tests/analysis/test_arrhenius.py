"""Local Arrhenius barrier U_eff(T) = d ln tau / d(1/T): exact for Orbach, n T where Raman rules."""

import numpy as np
import pytest

from spinbath.analysis import local_barrier, orbach_rate, raman_rate
from spinbath.config import ConfigError
from spinbath.units import KB_CM


def test_pure_orbach_gives_the_barrier_at_every_temperature():
    T = np.sort(np.random.default_rng(0).uniform(20.0, 100.0, 25))  # uneven grid on purpose
    lb = local_barrier(T, 1.0 / orbach_rate(T, 1e-11, 1760.0))
    # ln tau is linear in 1/T: second-order differences are exact up to rounding.
    np.testing.assert_allclose(lb.U_K, 1760.0, rtol=1e-9)
    np.testing.assert_allclose(lb.U_cm, 1760.0 * KB_CM, rtol=1e-9)
    np.testing.assert_allclose(lb.U_cm, 1223.3, rtol=1e-3)


def test_barrier_falls_where_raman_takes_over():
    T = np.geomspace(5.0, 100.0, 80)
    tau = 1.0 / (orbach_rate(T, 1e-11, 1760.0) + raman_rate(T, 1e-6, 3.0))
    lb = local_barrier(T, tau)
    assert np.all(np.diff(lb.U_K) > 0)  # the apparent barrier grows monotonically with T
    assert abs(lb.U_K[-1] - 1760.0) / 1760.0 < 0.05
    # Deep in the Raman region ln tau = -ln C - n ln T, so d ln tau / d(1/T) = n T.
    cold = T < 30.0
    np.testing.assert_allclose(lb.U_K[cold], 3.0 * T[cold], rtol=2e-3)


def test_qtm_plateau_has_no_barrier_and_order_does_not_matter():
    T = np.array([2.0, 1.0, 3.0, 4.0])
    lb = local_barrier(T, np.full(4, 5.0))
    np.testing.assert_array_equal(lb.T, [1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(lb.U_K, 0.0, atol=1e-12)


def test_bad_input():
    with pytest.raises(ConfigError, match="at least 3"):
        local_barrier([1.0, 2.0], [1.0, 2.0])
    with pytest.raises(ConfigError, match="positive"):
        local_barrier([1.0, 2.0, 3.0], [1.0, -2.0, 1.0])
