"""AC and DC fits -> one xarray.Dataset each, every variable with ``units`` and ``long_name``.

Layout: dimension ``temperature`` (K, one entry per sweep or decay, in file order; a temperature
measured twice appears twice) with the coordinate ``field`` (Oe) along it when the files have a
field column (absent otherwise, rather than a column of NaN); the measured points and
the fitted values at them on (temperature, point), NaN-padded where a sweep has fewer points; for AC
also smooth fitted curves on (temperature, curve_point). Flags are integers 0/1 (netCDF has no
booleans). A sweep that was not fitted, or whose fit failed, has fit_ok = 0 and NaN fitted values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from ..errors import ConfigError

__all__ = ["ac_dataset", "dc_dataset", "CURVE_POINTS", "FitSummary", "fit_each"]


@dataclass(frozen=True)
class FitSummary:
    """What an AC or DC fit reports about its relaxation time: parameters and their standard errors
    (by name), their covariance, tau, tau_err, tau_lower, tau_upper (s), in_window, success and
    message, chi2, dof and whether the data's errors set the weights."""

    parameters: dict[str, float]
    errors: dict[str, float]
    covariance: np.ndarray
    tau: float
    tau_err: float
    tau_lower: float
    tau_upper: float
    in_window: bool
    success: bool
    message: str
    chi2: float
    dof: int
    weighted: bool

def fit_each(items, fit, skip_short: bool, messages: list[str]) -> list:
    """``fit(item)`` for every sweep or decay: a ConfigError (too few points) is raised, or, with
    ``skip_short``, noted in ``messages`` with None in its place; a failed fit is noted and kept."""
    fits = []
    for item in items:
        try:
            result = fit(item)
        except ConfigError as err:
            if not skip_short:
                raise ConfigError(f"{err}; drop such sweeps with skip_short=True (--skip-short)") from None
            messages.append(str(err))
            fits.append(None)
            continue
        if not result.success:
            messages.append(f"{item.where()}: the fit failed ({result.message})")
        fits.append(result)
    return fits


#: Points of the smooth fitted curves, log-spaced over each sweep's frequencies (or times).
CURVE_POINTS = 121


def _var(dims, values, units: str, long_name: str):
    return (dims, values, {"units": units, "long_name": long_name})


def _padded(arrays, width: int) -> np.ndarray:
    out = np.full((len(arrays), width), np.nan)
    for i, a in enumerate(arrays):
        if a is not None:
            out[i, : len(a)] = a
    return out


def _coords(items, npts: int) -> dict:
    """temperature, field (only when some sweep has a field reading) and point."""
    coords = {
        "temperature": ("temperature", np.array([s.temperature for s in items], float),
                        {"units": "K", "long_name": "temperature (mean over the sweep)"}),
        "point": ("point", np.arange(npts), {"units": "1", "long_name": "index of the measured point"}),
    }
    field = np.array([s.field for s in items], float)
    if np.isfinite(field).any():
        coords["field"] = ("temperature", field, {"units": "Oe", "long_name": "static magnetic field (mean over "
                                                  "the sweep; NaN where the file has none)"})
    return coords


def ac_dataset(sweeps, fits, model, units: str, sources, messages) -> xr.Dataset:
    """The AC results Dataset (module docstring) of ``sweeps`` and their ``fits`` (ACFit or None).

    ``units``: the unit of chi; ``model``: the ACModel fitted; ``messages``: notes and failures,
    stored in the ``fit_messages`` attribute, one per line.
    """
    n = len(sweeps)
    ok = np.array([f is not None and f.success for f in fits], bool)
    u = units or "arbitrary"

    def per(get, default=np.nan):
        return np.array([get(f) if good else default for f, good in zip(fits, ok)], float)

    two = model.name == "two-debye"
    p1 = "_1" if two else ""
    data = {
        "tau": _var("temperature", per(lambda f: f.tau), "s",
                    "relaxation time" + (" of the slower process" if two else "")),
        "tau_err": _var("temperature", per(lambda f: f.tau_err), "s", "standard error of tau"),
        "tau_lower": _var("temperature", per(lambda f: f.tau_lower), "s",
                          "lower end of the +-1 sigma spread of relaxation times (from alpha"
                          + (", beta)" if model.name == "havriliak-negami" else ")")),
        "tau_upper": _var("temperature", per(lambda f: f.tau_upper), "s",
                          "upper end of the +-1 sigma spread of relaxation times"),
        "alpha": _var("temperature", per(lambda f: f.parameters.get("alpha" + p1, 0.0)), "1",
                      "Cole-Cole alpha" + (" (fixed at 0: debye)" if model.name == "debye" else "")),
        "alpha_err": _var("temperature", per(lambda f: f.errors.get("alpha" + p1, 0.0)), "1",
                          "standard error of alpha"),
        "chi_S": _var("temperature", per(lambda f: f.parameters["chi_S"]), u, "adiabatic susceptibility chi_S"),
        "chi_S_err": _var("temperature", per(lambda f: f.errors["chi_S"]), u, "standard error of chi_S"),
        "chi_T": _var("temperature", per(lambda f: f.parameters["chi_T"]), u, "isothermal susceptibility chi_T"),
        "chi_T_err": _var("temperature", per(lambda f: f.errors["chi_T"]), u, "standard error of chi_T"),
    }
    if model.name == "havriliak-negami":
        data["beta"] = _var("temperature", per(lambda f: f.parameters["beta"]), "1", "Havriliak-Negami beta")
        data["beta_err"] = _var("temperature", per(lambda f: f.errors["beta"]), "1", "standard error of beta")
    if two:
        for k, (units_k, long) in {"dchi_1": (u, "chi_T - chi_S of the slower process"),
                                   "dchi_2": (u, "chi_T - chi_S of the faster process"),
                                   "tau_2": ("s", "relaxation time of the faster process"),
                                   "alpha_2": ("1", "Cole-Cole alpha of the faster process")}.items():
            data[k] = _var("temperature", per(lambda f, k=k: f.parameters[k]), units_k, long)
            data[f"{k}_err"] = _var("temperature", per(lambda f, k=k: f.errors[k]), units_k, f"standard error of {k}")
        data["tau_2_lower"] = _var("temperature", per(lambda f: f.extra["tau_2_lower"]), "s",
                                   "lower end of the +-1 sigma spread of tau_2")
        data["tau_2_upper"] = _var("temperature", per(lambda f: f.extra["tau_2_upper"]), "s",
                                   "upper end of the +-1 sigma spread of tau_2")
        data["in_window_2"] = _var("temperature", per(lambda f: f.extra["in_window_2"], 0).astype(int), "1",
                                   "1 if tau_2 lies inside 1/(2 pi nu) of the measured frequencies")
    data["in_window"] = _var("temperature", per(lambda f: float(f.in_window), 0).astype(int), "1",
                             "1 if tau lies inside 1/(2 pi nu) of the measured frequencies (a measurement)")
    data["fit_ok"] = _var("temperature", ok.astype(int), "1", "1 if the fit converged with a finite error of tau")
    data["reduced_chi2"] = _var("temperature", per(lambda f: f.reduced_chi2), "1",
                                "chi^2 per degree of freedom (weighted fits: in units of the standard errors)")
    data["weighted"] = _var("temperature", np.array([int(f is not None and f.weighted) for f in fits]), "1",
                            "1 if the file's standard errors weighted the fit")

    npts = max(s.size for s in sweeps)
    P = ("temperature", "point")
    data["frequency"] = _var(P, _padded([s.frequency for s in sweeps], npts), "Hz", "AC frequency")
    data["chi_p"] = _var(P, _padded([s.chi_p for s in sweeps], npts), u, "chi' measured")
    data["chi_pp"] = _var(P, _padded([s.chi_pp for s in sweeps], npts), u, "chi'' measured")
    if any(s.err_p is not None for s in sweeps):
        data["chi_p_err"] = _var(P, _padded([s.err_p for s in sweeps], npts), u, "standard error of chi' (file)")
        data["chi_pp_err"] = _var(P, _padded([s.err_pp for s in sweeps], npts), u, "standard error of chi'' (file)")
    fitted = [f if good else None for f, good in zip(fits, ok)]
    data["fit_chi_p"] = _var(P, _padded([None if f is None else f.fit_chi_p for f in fitted], npts), u, "chi' fitted")
    data["fit_chi_pp"] = _var(P, _padded([None if f is None else f.fit_chi_pp for f in fitted], npts), u,
                              "chi'' fitted")

    C = ("temperature", "curve_point")
    grid = [np.geomspace(s.frequency.min(), s.frequency.max(), CURVE_POINTS) for s in sweeps]
    curves = [None if f is None else f.curve(g) for f, g in zip(fitted, grid)]
    data["curve_frequency"] = _var(C, np.array(grid), "Hz", "frequencies of the smooth fitted curves")
    data["curve_chi_p"] = _var(C, _padded([None if c is None else c.real for c in curves], CURVE_POINTS), u,
                               "chi' fitted (smooth curve)")
    data["curve_chi_pp"] = _var(C, _padded([None if c is None else -c.imag for c in curves], CURVE_POINTS), u,
                                "chi'' fitted (smooth curve)")

    coords = _coords(sweeps, npts)
    coords["curve_point"] = ("curve_point", np.arange(CURVE_POINTS), {"units": "1", "long_name": "index on the curve"})
    return xr.Dataset(data, coords=coords, attrs={
        "title": f"AC susceptibility, {model.name} fits", "ac_model": model.name,
        "sources": ", ".join(sources), "fit_messages": "\n".join(messages), "chi_units": u})


def dc_dataset(decays, fits, sources, messages) -> xr.Dataset:
    """The DC results Dataset (module docstring) of ``decays`` and their ``fits`` (DCFit or None)."""
    ok = np.array([f is not None and f.success for f in fits], bool)
    units = decays[0].units if decays else ""
    u = units or "arbitrary"

    def per(get, default=np.nan):
        return np.array([get(f) if good else default for f, good in zip(fits, ok)], float)

    data = {}
    for k, (uk, long) in {"tau": ("s", "stretched-exponential relaxation time"),
                          "beta": ("1", "stretching exponent beta"),
                          "M_eq": (u, "equilibrium moment M_eq (t -> infinity)"),
                          "M_0": (u, "moment at the first point M_0 (t = 0)")}.items():
        data[k] = _var("temperature", per(lambda f, k=k: f.parameters[k]), uk, long)
        data[f"{k}_err"] = _var("temperature", per(lambda f, k=k: f.errors[k]), uk, f"standard error of {k}")
    data["tau_lower"] = _var("temperature", per(lambda f: f.tau_lower), "s",
                             "lower end of the +-1 sigma spread of relaxation times (from beta)")
    data["tau_upper"] = _var("temperature", per(lambda f: f.tau_upper), "s",
                             "upper end of the +-1 sigma spread of relaxation times (from beta)")
    data["in_window"] = _var("temperature", per(lambda f: float(f.in_window), 0).astype(int), "1",
                             "1 if tau lies between the first time step and the length of the record")
    data["fit_ok"] = _var("temperature", ok.astype(int), "1", "1 if the fit converged with a finite error of tau")
    data["reduced_chi2"] = _var("temperature", per(lambda f: f.reduced_chi2), "1", "chi^2 per degree of freedom")
    npts = max(d.size for d in decays)
    P = ("temperature", "point")
    fitted = [f if good else None for f, good in zip(fits, ok)]
    data["time"] = _var(P, _padded([d.time for d in decays], npts), "s", "time from the first point of the decay")
    data["moment"] = _var(P, _padded([d.moment for d in decays], npts), u, "moment measured")
    data["fit_moment"] = _var(P, _padded([None if f is None else f.curve(f.decay.time) for f in fitted], npts), u,
                              "moment fitted")
    return xr.Dataset(data, coords=_coords(decays, npts), attrs={
        "title": "DC magnetization decays, stretched-exponential fits", "sources": ", ".join(sources),
        "fit_messages": "\n".join(messages), "moment_units": u})
