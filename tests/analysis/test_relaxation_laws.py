"""Rate forms: each term against its formula, the analytic Jacobian, the vibronic term's limits."""

import numpy as np
import pytest

from spinbath.analysis import (
    TERMS, direct_rate, orbach_rate, parse_model, qtm_rate, raman_rate, vibronic_factor, vibronic_rate,
)
from spinbath.config import ConfigError
from spinbath.units import KB_CM

T = np.geomspace(1.5, 300.0, 50)


def test_total_rate_is_the_sum_of_the_community_forms():
    m = parse_model("orbach+raman+qtm+direct+vibronic")
    v = dict(tau0=1e-11, U_eff=1760.0, C=1e-6, n=3.0, tau_QTM=1e3, A=0.02, tau0_vib=1e-9, w=300.0)
    expected = (orbach_rate(T, 1e-11, 1760.0) + raman_rate(T, 1e-6, 3.0) + qtm_rate(T, 1e3)
                + direct_rate(T, 0.02) + vibronic_rate(T, 1e-9, 300.0))
    np.testing.assert_allclose(m.rate(v, T), expected, rtol=1e-12)
    np.testing.assert_allclose(m.tau(v, T), 1 / expected, rtol=1e-12)
    # ccfit2's parametrisation: 10^-A exp(-U/T) with A = log10(tau0), U in K.
    np.testing.assert_allclose(m.rate(v, T, term="orbach"), 10.0**11 * np.exp(-1760.0 / T), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(m.rate(v, T, term="direct"), 0.02 * T, rtol=1e-12)


def test_field_dependent_direct_term():
    m = parse_model("direct_h")
    H = np.linspace(0.1, 2.0, T.size)
    np.testing.assert_allclose(m.rate({"A_H": 0.5, "m": 4.0}, T, H), 0.5 * H**4 * T, rtol=1e-12)
    with pytest.raises(ValueError, match="needs the field"):
        m.rate({"A_H": 0.5, "m": 4.0}, T)


@pytest.mark.parametrize("spec", ["orbach+raman+qtm", "vibronic+direct_h", "direct+orbach"])
def test_analytic_jacobian_matches_finite_differences(spec):
    m = parse_model(spec)
    rng = np.random.default_rng(3)
    theta = np.array([{"tau0": -11, "U_eff": 900, "C": -5, "n": 4, "tau_QTM": 2, "A": -1, "tau0_vib": -10,
                       "w": 500, "A_H": -0.5, "m": 3}[p.name] for p in m.parameters], float)
    theta += 0.1 * rng.standard_normal(theta.size)
    H = np.linspace(0.2, 1.0, T.size)
    _, J = m.ln_rate(theta, T, H, jacobian=True)
    h = 1e-6
    Jn = np.stack([(m.ln_rate(theta + h * e, T, H) - m.ln_rate(theta - h * e, T, H)) / (2 * h)
                   for e in np.eye(theta.size)], axis=1)
    np.testing.assert_allclose(J, Jn, rtol=1e-6, atol=1e-8)


def test_no_overflow_over_thirty_decades():
    m = parse_model("orbach+qtm")
    r = m.rate({"tau0": 1e-12, "U_eff": 5000.0, "tau_QTM": 1e5}, np.array([0.5, 1000.0]))
    assert np.all(np.isfinite(r))
    np.testing.assert_allclose(r[0], 1e-5, rtol=1e-12)  # exp(-10000) vanishes against QTM


def test_vibronic_is_orbach_with_barrier_w_at_low_temperature():
    w = 700.0  # cm^-1
    x = w / (KB_CM * T)
    ratio = vibronic_rate(T, 1e-10, w) / orbach_rate(T, 1e-10, w / KB_CM)
    # n(n+1) = exp(-x) / (1 - exp(-x))^2: the ratio to Orbach is 1 + 2 exp(-x) + O(exp(-2x)).
    cold = x > 10
    assert cold.sum() > 10
    assert np.all(np.abs(ratio[cold] - 1) < 1e-4)
    window = (x > 8) & (x < 20)  # where 2 exp(-x) stands well above rounding
    assert window.sum() >= 5
    np.testing.assert_allclose(ratio[window] - 1, 2 * np.exp(-x[window]), rtol=2e-3)


def test_vibronic_high_temperature_limit_is_T_squared():
    w = 5.0
    hot = np.geomspace(500.0, 5000.0, 10)
    # n(n+1) -> (k_B T / w)^2 - 1/12 + ...
    np.testing.assert_allclose(vibronic_factor(w, hot), (KB_CM * hot / w) ** 2 - 1 / 12, rtol=1e-6)
    slope = np.gradient(np.log(vibronic_factor(w, hot)), np.log(hot))
    np.testing.assert_allclose(slope, 2.0, atol=1e-4)


def test_parse_model_errors():
    assert parse_model(" Orbach + RAMAN ").name == "orbach+raman"
    assert parse_model("orbach+raman+qtm").parameter_names == ("tau0", "U_eff", "C", "n", "tau_QTM")
    for bad, needle in [("orbch+raman", "unknown relaxation term 'orbch'"), ("", "empty"),
                        ("orbach++qtm", "empty"), ("qtm+qtm", "repeats")]:
        with pytest.raises(ConfigError, match=needle):
            parse_model(bad)


def test_parameter_units_are_documented():
    units = {p.name: p.unit for t in TERMS.values() for p in t.parameters}
    assert units == {"tau0": "s", "U_eff": "K", "C": "s^-1 K^-n", "n": "1", "tau_QTM": "s", "A": "s^-1 K^-1",
                     "A_H": "s^-1 T^-m K^-1", "m": "1", "tau0_vib": "s", "w": "cm^-1"}
