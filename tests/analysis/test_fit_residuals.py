"""RelaxationFit.residuals_log10: log10 of model over data rates at the data points.

On noiseless data drawn from the fitted law the residuals vanish; a point whose tau is 10 times the
law's (its rate 10 times lower) stands out with a positive residual.
"""

from __future__ import annotations

import numpy as np

from spinbath.analysis import TauData, fit_relaxation


def test_residuals_vanish_on_the_law_and_measure_a_known_offset():
    T = np.linspace(20.0, 60.0, 15)
    tau = 1e-11 * np.exp(500.0 / T)  # Orbach: tau0 = 1e-11 s, U = 500 K
    fit = fit_relaxation(TauData(T, tau), "orbach")
    np.testing.assert_allclose(fit.residuals_log10(), 0.0, atol=1e-6)
    r = fit.residuals_log10()
    assert r.shape == T.shape
    np.testing.assert_allclose(fit.tau(T), tau, rtol=1e-5)
    off = tau.copy()
    off[3] *= 10.0  # one point ten times slower: its rate is ten times lower than the law's
    fit_off = fit_relaxation(TauData(T, off), "orbach")
    res = fit_off.residuals_log10()
    assert np.argmax(res) == 3 and res[3] > 0.5
