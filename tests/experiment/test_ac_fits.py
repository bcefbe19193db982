"""Debye-family fits recover their parameters from noisy synthetic sweeps, inside and outside the frequency
window, flag tau outside it, and report failures without losing the other sweeps."""

import numpy as np
import pytest

from spinbath.errors import ConfigError
from spinbath.experiment import AC_MODELS, ACData, ACSweep, fit_ac, fit_ac_all, tau_log_sigma
from spinbath.experiment.models import hn_log_quantiles

F = np.geomspace(0.1, 1e4, 20)  # Hz, a SQUID magnetometer's range: tau window 1.6e-5 .. 1.6 s
LOG_TAU_MIN, LOG_TAU_MAX = np.log10(1 / (2 * np.pi * F.max())), np.log10(1 / (2 * np.pi * F.min()))

# Parameters in the order of AC_MODELS[model].parameters (tau as log10 tau/s); "slow"/"fast" put the
# (slower / faster) relaxation time half a decade outside the window.
TRUE = {
    "debye": {"in": [0.1, 1.0, -2.5], "slow": [0.1, 1.0, 0.7], "fast": [0.1, 1.0, -5.3]},
    "generalized-debye": {"in": [0.1, 1.0, -2.5, 0.15], "slow": [0.1, 1.0, 0.7, 0.15], "fast": [0.1, 1.0, -5.3, 0.15]},
    "havriliak-negami": {"in": [0.1, 1.0, -2.5, 0.1, 0.8], "slow": [0.1, 1.0, 0.7, 0.1, 0.8],
                         "fast": [0.1, 1.0, -5.3, 0.1, 0.8]},
    "two-debye": {"in": [0.05, 0.6, -1.0, 0.05, 0.4, -3.5, 0.05], "slow": [0.05, 0.6, 0.7, 0.1, 0.4, -2.5, 0.1],
                  "fast": [0.05, 0.6, -2.0, 0.1, 0.4, -5.3, 0.1]},
}


def sweep(model: str, p, seed: int, weighted: bool = True, T: float = 5.0) -> ACSweep:
    """chi' and chi'' with Gaussian noise of 1, 2 or 3 % (by seed). Weighted: relative noise and the
    standard errors an instrument reports; unweighted: the same absolute noise on every point, no errors."""
    noise = (0.01, 0.02, 0.03)[seed % 3]
    chi = AC_MODELS[model].chi(F, p)
    rng = np.random.default_rng(seed)
    cp, cpp = chi.real, -chi.imag
    if weighted:
        ep, epp = noise * np.abs(cp) + 1e-4, noise * np.abs(cpp) + 1e-4
    else:
        ep = epp = np.full(F.size, noise * np.abs(cp).max())
    return ACSweep(T, 0.0, F, cp + ep * rng.standard_normal(F.size), cpp + epp * rng.standard_normal(F.size),
                   ep if weighted else None, epp if weighted else None, "emu/Oe", "synthetic.dat", np.arange(F.size))


def hits_within_two_sigma(model, p, weighted=True):
    m = AC_MODELS[model]
    hits = np.zeros(len(m.parameters), int)
    for seed in range(10):
        fit = fit_ac(sweep(model, p, seed, weighted), model)
        assert fit.success, fit.message
        for k, name in enumerate(m.parameters):
            hits[k] += abs(fit.value(name) - p[k]) <= 2 * fit.stderr(name)
    return dict(zip(m.parameters, hits))


@pytest.mark.parametrize("case", ["in", "slow", "fast"])
@pytest.mark.parametrize("model", sorted(TRUE))
def test_parameters_recovered_within_two_sigma_in_most_seeds(model, case):
    hits = hits_within_two_sigma(model, TRUE[model][case])
    assert min(hits.values()) >= 8, hits


@pytest.mark.parametrize("case", ["in", "slow"])
def test_equal_weights_without_standard_errors(case):
    """No errors in the file: equal weights, covariance scaled by the reduced chi^2 (homoscedastic noise)."""
    hits = hits_within_two_sigma("generalized-debye", TRUE["generalized-debye"][case], weighted=False)
    assert min(hits.values()) >= 8, hits


def test_tau_outside_the_window_is_flagged():
    p = TRUE["generalized-debye"]["in"]
    cases = ((-2.5, True), (LOG_TAU_MAX - 0.5, True), (1.5, False), (-6.0, False), (LOG_TAU_MAX + 0.8, False))
    for lt, inside in cases:
        fit = fit_ac(sweep("generalized-debye", [p[0], p[1], lt, p[3]], 0))
        assert fit.in_window is inside, (lt, fit.tau)
        assert bool(1 / (2 * np.pi * F.max()) <= fit.tau <= 1 / (2 * np.pi * F.min())) is inside
    two = fit_ac(sweep("two-debye", TRUE["two-debye"]["slow"], 0), "two-debye")
    assert not two.in_window and two.extra["in_window_2"] == 1.0


def test_tau_spread_follows_alpha_and_beta():
    """tau_lower, tau_upper = tau exp(-+1.82 sqrt(alpha)/(1 - alpha)) (Reta and Chilton) for the generalized
    Debye law; the central 68 % of the Havriliak-Negami distribution for that law; none for Debye."""
    fit = fit_ac(sweep("generalized-debye", TRUE["generalized-debye"]["in"], 1))
    s = 1.82 * np.sqrt(fit.parameters["alpha"]) / (1 - fit.parameters["alpha"])
    assert fit.tau_lower == pytest.approx(fit.tau * np.exp(-s), rel=1e-12)
    assert fit.tau_upper == pytest.approx(fit.tau * np.exp(s), rel=1e-12)
    assert tau_log_sigma(fit.parameters["alpha"]) == pytest.approx(s, rel=1e-12)
    hn = fit_ac(sweep("havriliak-negami", TRUE["havriliak-negami"]["in"], 1), "havriliak-negami")
    lo, hi = hn_log_quantiles(hn.parameters["alpha"], hn.parameters["beta"])
    assert np.log(hn.tau_lower / hn.tau) == pytest.approx(lo, rel=1e-9) and lo < -abs(hi)  # skewed to short times
    d = fit_ac(sweep("debye", TRUE["debye"]["in"], 1), "debye")
    assert d.tau_lower == d.tau == d.tau_upper
    assert fit.tau_err == pytest.approx(fit.tau * np.log(10) * fit.stderr("log10_tau"), rel=1e-12)


def test_two_processes_come_out_slow_first_whatever_the_start():
    """Process 1 is the slower one, whichever order the data were made in."""
    p = TRUE["two-debye"]["in"]
    swapped = [p[0], p[4], p[5], p[6], p[1], p[2], p[3]]
    for q in (p, swapped):
        fit = fit_ac(sweep("two-debye", q, 2), "two-debye")
        assert fit.parameters["tau_1"] > fit.parameters["tau_2"]
        assert fit.tau == fit.parameters["tau_1"]
        assert np.log10(fit.parameters["tau_1"]) == pytest.approx(-1.0, abs=0.1)
        assert fit.parameters["chi_T"] == pytest.approx(1.05, rel=0.03)


def test_fit_ac_all_gives_a_dataset_and_flags_a_failed_sweep():
    """Every variable carries units and long_name; a sweep that says nothing about tau (flat chi'' = 0)
    is flagged fit_ok = 0 with NaN values while the others are fitted."""
    p = TRUE["generalized-debye"]["in"]
    sweeps = [sweep("generalized-debye", [p[0], p[1], lt, p[3]], k, T=T)
              for k, (T, lt) in enumerate(((2.0, -1.0), (4.0, -2.0), (6.0, -3.0)))]
    flat = ACSweep(8.0, 0.0, F, np.full(F.size, 0.5), np.zeros(F.size), None, None, "emu/Oe", "synthetic.dat",
                   np.arange(F.size))
    ds = fit_ac_all(ACData(sweeps + [flat], "emu/Oe", ["synthetic.dat"]), "generalized-debye")
    assert list(ds.temperature.values) == [2.0, 4.0, 6.0, 8.0]
    np.testing.assert_array_equal(ds.fit_ok.values, [1, 1, 1, 0])
    np.testing.assert_array_equal(ds.in_window.values, [1, 1, 1, 0])
    assert np.isnan(ds.tau.values[3]) and np.isnan(ds.alpha.values[3])
    np.testing.assert_allclose(np.log10(ds.tau.values[:3]), [-1.0, -2.0, -3.0], atol=0.05)
    assert "8 K" in ds.attrs["fit_messages"]
    for name, var in ds.variables.items():
        assert "units" in var.attrs, name
        assert name in ds.coords or "long_name" in var.attrs, name
    assert ds.tau.attrs["units"] == "s" and ds.temperature.attrs["units"] == "K" and ds.field.attrs["units"] == "Oe"
    assert ds.chi_p.dims == ("temperature", "point") and ds.curve_chi_pp.dims == ("temperature", "curve_point")
    np.testing.assert_allclose(ds.fit_chi_pp.values[0], fit_ac(sweeps[0]).fit_chi_pp, rtol=1e-12)
    assert bool((ds.tau_lower <= ds.tau).sel(temperature=slice(None)).values[:3].all())


def test_too_few_points_and_unknown_models_are_one_clear_message():
    s = sweep("debye", TRUE["debye"]["in"], 0)
    short = ACSweep(5.0, 0.0, F[:2], s.chi_p[:2], s.chi_pp[:2], None, None, "emu/Oe", "data.dat", np.arange(2),
                    np.array([11, 12]))
    with pytest.raises(ConfigError, match=r"data.dat: the sweep at 5 K, 0 Oe \(lines 11-12\) has 2 frequencies .* "
                                          r"too few for the 5 parameters of havriliak-negami"):
        fit_ac(short, "havriliak-negami")
    with pytest.raises(ConfigError, match="unknown AC model 'cole'; use one of debye, generalized-debye"):
        fit_ac(s, "cole")
    with pytest.raises(ConfigError, match="unknown AC model 'cole'"):
        fit_ac_all([s], "cole")
    with pytest.raises(ConfigError, match="data.dat: the sweep at 5 K"):
        fit_ac_all([s, short], "havriliak-negami")
    ds = fit_ac_all([s, short], "havriliak-negami", skip_short=True)
    np.testing.assert_array_equal(ds.fit_ok.values, [1, 0])
    assert "too few" in ds.attrs["fit_messages"]


def test_point_order_does_not_matter_and_non_numbers_are_refused():
    s = sweep("generalized-debye", TRUE["generalized-debye"]["in"], 4)
    rev = ACSweep(s.temperature, s.field, s.frequency[::-1], s.chi_p[::-1], s.chi_pp[::-1], s.err_p[::-1],
                  s.err_pp[::-1], s.units, s.source, s.rows[::-1])
    a, b = fit_ac(s), fit_ac(rev)
    assert a.tau == pytest.approx(b.tau, rel=1e-6) and a.parameters["alpha"] == pytest.approx(b.parameters["alpha"],
                                                                                             abs=1e-6)
    np.testing.assert_allclose(b.fit_chi_pp, a.fit_chi_pp[::-1], rtol=1e-6)
    bad = ACSweep(5.0, 0.0, F, np.where(np.arange(F.size) == 3, np.nan, s.chi_p), s.chi_pp, None, None, "emu/Oe",
                  "bad.dat", np.arange(F.size))
    with pytest.raises(ConfigError, match="bad.dat: the sweep at 5 K, 0 Oe has a frequency .* not a number"):
        fit_ac(bad)
