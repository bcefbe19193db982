"""``spinbath fit`` on AC results: only in-window taus, weighted by their errors; recovers Orbach + QTM."""

import numpy as np
import xarray as xr

from spinbath.analysis import fit_relaxation, parse_model, read_tau_data
from spinbath.io import write_results

TRUE = dict(tau0=1e-9, U_eff=300.0, tau_QTM=0.05)


def ac_results(path, seed=0):
    """An AC results file as ``spinbath ac`` writes it: tau (s) with errors, in_window, fit_ok, field (Oe)."""
    rng = np.random.default_rng(seed)
    T = np.linspace(2.0, 40.0, 30)
    tau_true = parse_model("orbach+qtm").tau(TRUE, T)
    err = 0.03 * tau_true
    tau = tau_true + err * rng.standard_normal(T.size)
    f_min, f_max = 0.1, 1e4
    in_window = (tau > 1 / (2 * np.pi * f_max)) & (tau < 1 / (2 * np.pi * f_min))
    fit_ok = np.ones(T.size, int)
    fit_ok[3] = 0
    tau[3] = np.nan  # a failed fit is NaN and flagged
    tau[~in_window] *= 50  # out-of-window values are not measurements: must not be used
    ds = xr.Dataset(
        {"tau": ("temperature", tau, {"units": "s"}), "tau_err": ("temperature", err, {"units": "s"}),
         "in_window": ("temperature", in_window.astype(int), {"units": "1"}),
         "fit_ok": ("temperature", fit_ok, {"units": "1"})},
        coords={"temperature": ("temperature", T, {"units": "K"}),
                "field": ("temperature", np.full(T.size, 1000.0), {"units": "Oe"})})
    write_results(ds, path, study="ac", config_toml="")
    return in_window & (fit_ok == 1)


def test_fit_uses_only_in_window_points_and_recovers_the_parameters(tmp_path):
    used = ac_results(tmp_path / "ac.nc")
    data = read_tau_data(tmp_path / "ac.nc")
    assert data.size == used.sum() < 30
    np.testing.assert_allclose(data.field, 0.1)  # 1000 Oe in T
    fit = fit_relaxation(data, "orbach+qtm")
    p = fit.parameters
    for name, true in (("U_eff", 300.0), ("tau_QTM", 0.05)):
        assert abs(p[name].value - true) < 3 * p[name].stderr, name
