"""The fit recovers known parameters from synthetic tau(T) with 5 % log-normal noise (explicit seeds).

Coverage is checked honestly: over 10 seeds each fitted coordinate (log10 of scale parameters,
U_eff, n, w as they are) must lie within 2 standard errors of the truth in most fits, and the
1-sigma coverage of all parameters together must be near 68 % (neither too small, which would
mean underestimated errors, nor near 100 %, which would mean inflated ones).
"""

import numpy as np
import pytest

from spinbath.analysis import TauData, fit_relaxation, parse_model
from spinbath.units import KB_CM

NOISE = 0.05  # standard deviation of ln(tau)
SEEDS = range(10)

CASES = {
    "orbach+raman+qtm": (dict(tau0=1e-11, U_eff=1760.0, C=1e-6, n=3.0, tau_QTM=1e3), (2.0, 100.0)),
    "orbach+direct": (dict(tau0=1e-9, U_eff=300.0, A=1.0), (2.0, 40.0)),
    "raman": (dict(C=1e-3, n=5.0), (5.0, 50.0)),
    "vibronic+qtm": (dict(tau0_vib=1e-12, w=600.0, tau_QTM=10.0), (5.0, 150.0)),
}


def synthetic(model, true, T, seed, noise=NOISE):
    rng = np.random.default_rng(seed)
    return model.tau(true, T) * np.exp(noise * rng.standard_normal(T.size))


@pytest.mark.parametrize("spec", sorted(CASES))
def test_recovers_parameters_within_two_sigma(spec):
    true, (tmin, tmax) = CASES[spec]
    model = parse_model(spec)
    theta_true = model.theta_from_values(true)
    T = np.geomspace(tmin, tmax, 40)
    z = []
    for seed in SEEDS:
        res = fit_relaxation(TauData(T, synthetic(model, true, T, seed)), spec)  # automatic starts
        assert res.success and not res.undetermined
        z.append((res.theta - theta_true) / res.theta_stderr)
    z = np.abs(np.array(z))
    within2 = (z < 2).mean(axis=0)
    assert np.all(within2 >= 0.8), dict(zip(model.parameter_names, within2))
    assert 0.5 <= (z < 1).mean() <= 0.95


def test_given_errors_are_used_as_absolute_and_give_reduced_chi2_near_one():
    spec = "orbach+raman+qtm"
    true, (tmin, tmax) = CASES[spec]
    model = parse_model(spec)
    T = np.geomspace(tmin, tmax, 60)
    chi2, ratios = [], []
    for seed in SEEDS:
        tau = synthetic(model, true, T, seed)
        weighted = fit_relaxation(TauData(T, tau, err=NOISE * tau), spec)
        plain = fit_relaxation(TauData(T, tau), spec)
        assert weighted.weighted and not plain.weighted
        # Same minimum (uniform weights). Unweighted errors are scaled by chi^2/dof, weighted ones are
        # not: their ratio is sqrt of the weighted reduced chi^2, exactly.
        np.testing.assert_allclose(weighted.theta, plain.theta, rtol=1e-6, atol=1e-6)
        ratios.append(plain.theta_stderr / weighted.theta_stderr / np.sqrt(weighted.reduced_chi2))
        chi2.append(weighted.reduced_chi2)
    np.testing.assert_allclose(ratios, 1.0, rtol=1e-4)
    # sum of 10 chi^2_55 / 55: mean 1, standard deviation sqrt(2/550) = 0.06.
    assert abs(np.mean(chi2) - 1.0) < 0.2


def test_dycp_like_curve_from_automatic_guesses():
    """Goodwin et al. (2017): U_eff ~ 1223 cm^-1 = 1760 K, tau0 ~ 1e-11 s, Raman C ~ 1e-6, n ~ 3, QTM."""
    spec = "orbach+raman+qtm"
    model = parse_model(spec)
    true = dict(tau0=1e-11, U_eff=1760.0, C=1e-6, n=3.0, tau_QTM=2e3)
    T = np.geomspace(2.0, 95.0, 45)
    for seed in (0, 1, 2):
        res = fit_relaxation(TauData(T, synthetic(model, true, T, seed)), spec)
        U_cm = res.derived["U_eff_cm"]
        assert U_cm.unit == "cm^-1"
        assert abs(U_cm.value - 1223.0) / 1223.0 < 0.03
        np.testing.assert_allclose(U_cm.value, res.parameters["U_eff"].value * KB_CM)
        assert abs(np.log10(res.parameters["tau0"].value) + 11) < 0.5
        assert abs(res.parameters["n"].value - 3.0) < 0.2
        assert abs(np.log10(res.parameters["tau_QTM"].value / 2e3)) < 0.1


def test_vibronic_fit_recovers_the_mode_energy():
    spec = "vibronic+qtm"
    true, (tmin, tmax) = CASES[spec]
    T = np.geomspace(tmin, tmax, 40)
    model = parse_model(spec)
    res = fit_relaxation(TauData(T, synthetic(model, true, T, 7)), spec)
    w = res.parameters["w"]
    assert w.unit == "cm^-1"
    assert abs(w.value - 600.0) < max(3 * w.stderr, 0.0) and abs(w.value - 600.0) / 600.0 < 0.03
    np.testing.assert_allclose(res.derived["w_K"].value, w.value / KB_CM)


def test_orbach_fit_of_cold_vibronic_data_gives_barrier_w():
    """At k_B T << w the vibronic law is an Orbach law with U_eff = w / k_B and tau0 = tau0_vib."""
    w, tau0 = 800.0, 1e-12
    T = np.linspace(20.0, 60.0, 30)  # x = w / k_B T from 19 to 58
    tau = parse_model("vibronic").tau({"tau0_vib": tau0, "w": w}, T)
    res = fit_relaxation(TauData(T, tau), "orbach")
    np.testing.assert_allclose(res.derived["U_eff_cm"].value, w, rtol=1e-6)
    np.testing.assert_allclose(res.parameters["tau0"].value, tau0, rtol=1e-5)


def test_field_exponent_of_the_direct_process():
    spec = "orbach+direct_h"
    model = parse_model(spec)
    true = dict(tau0=1e-9, U_eff=300.0, A_H=2.0, m=4.0)
    T = np.tile(np.geomspace(2.0, 40.0, 20), 2)
    H = np.repeat([0.5, 1.0], 20)
    rng = np.random.default_rng(5)
    tau = model.tau(true, T, H) * np.exp(NOISE * rng.standard_normal(T.size))
    res = fit_relaxation(TauData(T, tau, field=H), spec)
    m = res.parameters["m"]
    assert abs(m.value - 4.0) < 3 * m.stderr and m.stderr < 0.2


def test_single_point_barrier_is_reported_undetermined():
    # 15 points up to 80 K: the Orbach term can only bend the hottest point, tau0 and U_eff are
    # then fixed only in one combination; their errors must be infinite, not the pseudo-inverse's 0.
    spec = "orbach+raman+qtm"
    model = parse_model(spec)
    T = np.geomspace(2.0, 80.0, 15)
    res = fit_relaxation(TauData(T, synthetic(model, CASES[spec][0], T, 9, noise=0.1)), spec)
    assert set(res.undetermined) == {"tau0", "U_eff"}
    assert np.isinf(res.parameters["U_eff"].stderr)
    assert np.isfinite(res.parameters["n"].stderr)
    assert res.as_dict()["parameters"]["U_eff"]["stderr"] is None
