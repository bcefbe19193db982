"""The Debye-family laws and the spreads of relaxation times they imply, checked against their definitions."""

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import betaincinv, expit
from scipy.stats import norm

from spinbath.experiment import AC_MODELS, tau_log_sigma
from spinbath.experiment.models import (
    ONE_SIGMA, hn_distribution, hn_log_quantiles, stretched_exponential, stretched_log_sigma,
)

F = np.geomspace(0.1, 1e4, 20)
P = {
    "debye": [0.1, 1.0, -2.5],
    "generalized-debye": [0.1, 1.0, -2.5, 0.2],
    "havriliak-negami": [0.1, 1.0, -2.5, 0.2, 0.7],
    "two-debye": [0.05, 0.6, -1.0, 0.1, 0.4, -3.5, 0.2],
}


def test_debye_limits_and_peak():
    """alpha = 0 and beta = 1 reduce every law to Debye; chi'' peaks at 2 pi nu tau = 1 with height
    (chi_T - chi_S)/2 where chi' = (chi_T + chi_S)/2; chi -> chi_T at nu -> 0, chi_S at nu -> infinity."""
    d = AC_MODELS["debye"].chi(F, P["debye"])
    np.testing.assert_allclose(AC_MODELS["generalized-debye"].chi(F, [0.1, 1.0, -2.5, 0.0]), d, rtol=1e-14)
    np.testing.assert_allclose(AC_MODELS["havriliak-negami"].chi(F, [0.1, 1.0, -2.5, 0.0, 1.0]), d, rtol=1e-14)
    two = AC_MODELS["two-debye"].chi(F, [0.1, 0.5, -2.5, 0.0, 0.4, -2.5, 0.0])
    np.testing.assert_allclose(two, d, rtol=1e-14)
    peak = AC_MODELS["debye"].chi([1 / (2 * np.pi * 10**-2.5)], P["debye"])[0]
    assert -peak.imag == pytest.approx(0.45, rel=1e-12) and peak.real == pytest.approx(0.55, rel=1e-12)
    ends = AC_MODELS["generalized-debye"].chi([1e-9, 1e12], P["generalized-debye"])
    assert ends[0].real == pytest.approx(1.0, rel=1e-4) and ends[1].real == pytest.approx(0.1, rel=1e-3)


@pytest.mark.parametrize("model", sorted(P))
def test_analytic_jacobian_matches_finite_differences(model):
    m, p = AC_MODELS[model], np.array(P[model], float)
    J = m.jacobian(F, p)
    h = 1e-6
    numeric = np.array([(m.chi(F, p + h * e) - m.chi(F, p - h * e)) / (2 * h) for e in np.eye(p.size)]).T
    np.testing.assert_allclose(J, numeric, atol=1e-8)


@pytest.mark.parametrize("alpha,beta", [(0.1, 1.0), (0.3, 1.0), (0.2, 0.6), (0.05, 0.3), (0.5, 0.8), (0.0, 0.5)])
def test_hn_distribution_is_the_law_behind_havriliak_negami(alpha, beta):
    """int G(s) ds = 1 and int G(s) / (1 + i w tau e^s) ds = 1 / (1 + (i w tau)^(1-alpha))^beta: the
    distribution of ln tau really superposes Debye processes into the Havriliak-Negami law."""
    assert quad(hn_distribution, -np.inf, np.inf, args=(alpha, beta), limit=400)[0] == pytest.approx(1.0, abs=1e-8)
    for wt in (0.01, 1.0, 30.0):
        x = lambda s: np.log(wt) + s  # noqa: E731  ln(w tau')
        re = quad(lambda s: hn_distribution(s, alpha, beta) * expit(-2 * x(s)), -np.inf, np.inf, limit=400)[0]
        half_sech = lambda u: np.exp(-abs(u)) / (1 + np.exp(-2 * abs(u)))  # noqa: E731  w tau' / (1 + (w tau')^2)
        im = quad(lambda s: hn_distribution(s, alpha, beta) * half_sech(x(s)), -np.inf, np.inf, limit=400)[0]
        assert abs(re - 1j * im - 1 / (1 + (1j * wt) ** (1 - alpha)) ** beta) < 1e-7


def test_cole_cole_distribution_at_beta_one():
    s = np.linspace(-8, 8, 33)
    for a in (0.05, 0.3):
        cc = np.sin(np.pi * a) / (2 * np.pi * (np.cosh((1 - a) * s) - np.cos(np.pi * a)))
        np.testing.assert_allclose(hn_distribution(s, a, 1.0), cc, rtol=1e-12)


def test_hn_quantiles_match_exact_cumulative_distributions():
    """Cole-Davidson (alpha = 0): y = e^s has the cumulative distribution I_y(beta, 1 - beta); Cole-Cole:
    the quantiles are symmetric; general case: against quad of the density."""
    lo, hi = (1 - ONE_SIGMA) / 2, (1 + ONE_SIGMA) / 2
    for b in (0.3, 0.5, 0.8):
        exact = np.log(betaincinv(b, 1 - b, [lo, hi]))
        np.testing.assert_allclose(hn_log_quantiles(0.0, b), exact, rtol=1e-10)
        np.testing.assert_allclose(hn_log_quantiles(1e-4, b), exact, rtol=2e-3, atol=1e-3)  # continuous in alpha
    q = hn_log_quantiles(0.3, 1.0)
    assert q[0] == pytest.approx(-q[1], rel=1e-9)
    s_lo, s_hi = hn_log_quantiles(0.2, 0.6)
    assert quad(hn_distribution, -np.inf, s_lo, args=(0.2, 0.6), limit=400)[0] == pytest.approx(lo, abs=1e-6)
    assert quad(hn_distribution, s_hi, np.inf, args=(0.2, 0.6), limit=400)[0] == pytest.approx(1 - hi, abs=1e-6)
    assert hn_log_quantiles(0.0, 1.0) == (0.0, 0.0)


def test_reta_chilton_widths_follow_the_distributions_they_approximate():
    """1.82 sqrt(alpha)/(1 - alpha) is a log-normal stand-in for the Cole-Cole distribution: its +-1 sigma
    range agrees within 7 % with the central 68 % of the exact distribution for 0.2 <= alpha <= 0.5.
    1.64 tan(pi(1-beta)/2)/(1-beta)^0.141 does the same for a stretched exponential: at beta = 1/2,
    exp(-sqrt(t/tau)) = int rho(k) e^(-k t) dk with rho the Levy law k = 1/(2 tau Z^2), Z standard
    normal, so ln(1/k) = ln(2 tau) + 2 ln|Z|; its central 68 % half-width is within 10 %."""
    for a in (0.2, 0.3, 0.5):
        half = hn_log_quantiles(a, 1.0)[1]
        assert tau_log_sigma(a) == pytest.approx(half, rel=0.07)
    z_lo, z_hi = norm.ppf(0.5 + np.array([(1 - ONE_SIGMA), (1 + ONE_SIGMA)]) / 4)  # quantiles of |Z|
    half = np.log(z_hi / z_lo)  # (2 ln z_hi - 2 ln z_lo) / 2
    assert stretched_log_sigma(0.5) == pytest.approx(half, rel=0.10)
    assert tau_log_sigma(0.0) == 0.0 and stretched_log_sigma(1.0) == 0.0
    assert np.all(np.diff(stretched_log_sigma(np.linspace(0.3, 1.0, 8))) < 0)


def test_stretched_exponential_limits():
    t = np.array([0.0, 1.0, 10.0, 1e6])
    M = stretched_exponential(t, 0.1, 1.0, 10.0, 0.7)
    assert M[0] == 1.0 and M[2] == pytest.approx(0.1 + 0.9 / np.e) and M[3] == pytest.approx(0.1, abs=1e-12)
    np.testing.assert_allclose(stretched_exponential(t, 0.0, 1.0, 10.0, 1.0), np.exp(-t / 10.0))
