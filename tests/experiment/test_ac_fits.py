"""Debye-family fits recover their parameters from noisy synthetic sweeps, and flag tau outside the window."""

import numpy as np
import pytest

from spinbath.errors import ConfigError
from spinbath.experiment import AC_MODELS, ACSweep, fit_ac, tau_log_sigma

F = np.geomspace(0.1, 1e4, 20)  # Hz, a SQUID magnetometer's range

TRUE = {
    "debye": [0.1, 1.0, -2.5],
    "generalized-debye": [0.1, 1.0, -2.5, 0.15],
    "havriliak-negami": [0.1, 1.0, -2.5, 0.1, 0.8],
    "two-debye": [0.05, 0.6, -1.0, 0.05, 0.4, -3.5, 0.05],
}


def sweep(model: str, p, seed: int, noise: float = 0.02) -> ACSweep:
    """chi' and chi'' with relative Gaussian noise, and the standard errors an instrument reports."""
    chi = AC_MODELS[model].chi(F, p)
    rng = np.random.default_rng(seed)
    cp, cpp = chi.real, -chi.imag
    ep, epp = noise * np.abs(cp) + 1e-4, noise * np.abs(cpp) + 1e-4
    return ACSweep(5.0, 0.0, F, cp + ep * rng.standard_normal(F.size), cpp + epp * rng.standard_normal(F.size),
                   ep, epp, "emu/Oe", "synthetic", np.arange(F.size))


@pytest.mark.parametrize("model", sorted(TRUE))
def test_parameters_recovered_within_two_sigma_in_most_seeds(model):
    m = AC_MODELS[model]
    hits = np.zeros(len(m.parameters), int)
    for seed in range(10):
        fit = fit_ac(sweep(model, TRUE[model], seed), model)
        for k, name in enumerate(m.parameters):
            hits[k] += abs(fit.value(name) - TRUE[model][k]) <= 2 * fit.stderr(name)
    assert np.all(hits >= 8), dict(zip(m.parameters, hits))


def test_tau_outside_the_window_is_flagged():
    inside = fit_ac(sweep("generalized-debye", [0.1, 1.0, -2.5, 0.1], 0))
    slow = fit_ac(sweep("generalized-debye", [0.1, 1.0, 1.5, 0.1], 0))   # peak at 5 mHz, below 0.1 Hz
    fast = fit_ac(sweep("generalized-debye", [0.1, 1.0, -6.0, 0.1], 0))  # peak at 160 kHz
    assert inside.in_window and not slow.in_window and not fast.in_window


def test_tau_range_follows_the_cole_cole_distribution():
    """sigma_ln_tau = (pi/sqrt 3) sqrt(alpha(2-alpha))/(1-alpha): the standard deviation of ln tau of the
    Cole-Cole distribution, checked against a numerical integral of that distribution."""
    from scipy.integrate import quad

    for a in (0.05, 0.2, 0.4):
        g = lambda s, a=a: np.sin(np.pi * a) / (2 * np.pi * (np.cosh((1 - a) * s) - np.cos(np.pi * a)))  # noqa: E731
        var = quad(lambda s: s * s * g(s), -60, 60, limit=200)[0]
        assert tau_log_sigma(a) == pytest.approx(np.sqrt(var), rel=1e-8)
    assert tau_log_sigma(0.0) == 0.0
    fit = fit_ac(sweep("generalized-debye", TRUE["generalized-debye"], 1))
    lo, hi = fit.tau_range()
    assert lo < fit.tau()[0] < hi and np.isclose(np.sqrt(lo * hi), fit.tau()[0])


def test_generalized_debye_at_zero_alpha_is_debye_and_kramers_kronig_holds():
    """alpha = 0 gives the Debye law; chi'' peaks at nu = 1/(2 pi tau) with height (chi_T - chi_S)/2."""
    gd, d = AC_MODELS["generalized-debye"], AC_MODELS["debye"]
    np.testing.assert_allclose(gd.chi(F, [0.1, 1.0, -2.5, 0.0]), d.chi(F, [0.1, 1.0, -2.5]), rtol=1e-14)
    peak = d.chi([1 / (2 * np.pi * 10**-2.5)], [0.1, 1.0, -2.5])[0]
    assert -peak.imag == pytest.approx(0.45, rel=1e-12) and peak.real == pytest.approx(0.55, rel=1e-12)


def test_too_few_points_and_unknown_models_are_one_clear_message():
    s = sweep("debye", TRUE["debye"], 0)
    short = ACSweep(5.0, 0.0, F[:2], s.chi_p[:2], s.chi_pp[:2], None, None, "emu/Oe", "data.dat", np.arange(2))
    with pytest.raises(ConfigError, match="data.dat: the sweep at 5 K has 2 frequencies, too few"):
        fit_ac(short, "havriliak-negami")
    with pytest.raises(ConfigError, match="unknown AC model 'cole'"):
        fit_ac(s, "cole")
