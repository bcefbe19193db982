"""DC magnetization decays after a field step: a stretched exponential per temperature.

    M(t) = M_eq + (M_0 - M_eq) exp(-(t / tau)^beta),     0 < beta <= 1,

t in s from the first point of each decay (the file's time column, MPMS3 "Time Stamp (sec)" or a
plain ``t (s)``), M in the file's unit ("Moment (emu)" or ``M (...)``). Rows are grouped into decays
by temperature stability as AC sweeps are (:func:`spinbath.experiment.group_by_temperature`). Least
squares with equal weights; standard errors from the Jacobian scaled by the reduced chi^2. tau is
``in_window`` when it lies between the first time step and the length of the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr
from scipy.optimize import least_squares

from ..errors import ConfigError
from .ac_data import group_by_temperature
from .readers import find_column, read_table, unit_of

__all__ = ["DCDecay", "DCFit", "read_dc", "fit_dc", "fit_dc_all"]


@dataclass
class DCDecay:
    """One decay: temperature (K), time (s, from 0), moment (``units``), source file."""

    temperature: float
    time: np.ndarray
    moment: np.ndarray
    units: str
    source: str


@dataclass
class DCFit:
    decay: DCDecay
    values: dict[str, float]
    errors: dict[str, float]
    success: bool

    @property
    def in_window(self) -> bool:
        t = self.decay.time
        dt = np.min(np.diff(t)) if t.size > 1 else 0.0
        return bool(dt <= self.values["tau"] <= t[-1])

    def curve(self, t) -> np.ndarray:
        v = self.values
        return v["M_eq"] + (v["M_0"] - v["M_eq"]) * np.exp(-(np.asarray(t) / v["tau"]) ** v["beta"])


def read_dc(path: str | Path, temperature_tolerance: float = 0.1) -> list[DCDecay]:
    """Decays of a file (module docstring); ConfigError naming the file and the missing column."""
    table = read_table(path)
    tcol = find_column(table, r"time stamp", r"time", r"t \(s(ec)?\)", r"t \[s\]", what="time (s)")
    mcol = find_column(table, r"moment", r"m", r"magnetization", what="moment")
    Tcol = find_column(table, r"temperature", r"temp", r"t \(k\)", r"t \[k\]", required=False)
    c = table.columns
    t, M = c[tcol], c[mcol]
    T = c[Tcol] if Tcol else np.zeros_like(t)
    ok = np.isfinite(t) & np.isfinite(M) & np.isfinite(T)
    if ok.sum() < 4:
        raise ConfigError(f"{table.path}: fewer than 4 rows with a time and a moment")
    idx = np.flatnonzero(ok)
    out = []
    for g in group_by_temperature(T[idx], temperature_tolerance):
        rows = idx[g]
        out.append(DCDecay(float(np.mean(T[rows])), t[rows] - t[rows][0], M[rows], unit_of(mcol) or "emu",
                           str(table.path)))
    return out


def fit_dc(decay: DCDecay) -> DCFit:
    """Fit the stretched exponential (module docstring)."""
    t, M = decay.time, decay.moment
    if t.size < 5:
        raise ConfigError(f"{decay.source}: the decay at {decay.temperature:.3g} K has {t.size} points, "
                          "too few for the 4 parameters")
    scale = max(float(np.max(np.abs(M))), 1e-300)
    half = M[0] + 0.63 * (M[-1] - M[0])
    k = int(np.argmin(np.abs(M - half)))
    x0 = np.array([M[-1] / scale, M[0] / scale, np.log10(max(t[k], t[1] if t.size > 1 else 1.0)), 0.9])

    def model(p, tt):
        return p[0] + (p[1] - p[0]) * np.exp(-(tt / 10 ** p[2]) ** p[3])

    res = least_squares(lambda p: model(p, t) - M / scale, x0,
                        bounds=([-np.inf, -np.inf, -6, 0.05], [np.inf, np.inf, 9, 1.0]), x_scale="jac")
    dof = max(t.size - 4, 1)
    cov = np.linalg.pinv(res.jac.T @ res.jac) * np.sum(res.fun**2) / dof
    e = np.sqrt(np.clip(np.diag(cov), 0, None))
    tau = 10 ** res.x[2]
    values = {"M_eq": res.x[0] * scale, "M_0": res.x[1] * scale, "tau": tau, "beta": res.x[3]}
    errors = {"M_eq": e[0] * scale, "M_0": e[1] * scale, "tau": tau * np.log(10) * e[2], "beta": e[3]}
    return DCFit(decay, values, errors, bool(res.success))


def fit_dc_all(decays: list[DCDecay]) -> xr.Dataset:
    """tau (s), beta, M_eq, M_0 with standard errors over ``temperature``; in_window and fit_ok flags."""
    n = len(decays)
    keys = ("tau", "beta", "M_eq", "M_0")
    vals = {k: np.full(n, np.nan) for k in keys}
    errs = {k: np.full(n, np.nan) for k in keys}
    in_window, fit_ok = np.zeros(n, int), np.zeros(n, int)
    for i, d in enumerate(decays):
        try:
            f = fit_dc(d)
        except ConfigError:
            continue
        if not f.success:
            continue
        fit_ok[i], in_window[i] = 1, int(f.in_window)
        for k in keys:
            vals[k][i], errs[k][i] = f.values[k], f.errors[k]
    u = decays[0].units if decays else "emu"
    units = {"tau": "s", "beta": "1", "M_eq": u, "M_0": u}
    data = {}
    for k in keys:
        data[k] = ("temperature", vals[k], {"units": units[k], "long_name": f"stretched-exponential {k}"})
        data[f"{k}_err"] = ("temperature", errs[k], {"units": units[k], "long_name": f"standard error of {k}"})
    data["in_window"] = ("temperature", in_window, {"units": "1", "long_name": "1 if tau lies within the record"})
    data["fit_ok"] = ("temperature", fit_ok, {"units": "1", "long_name": "1 if the fit converged"})
    T = np.array([d.temperature for d in decays])
    return xr.Dataset(data, coords={"temperature": ("temperature", T, {"units": "K"})},
                      attrs={"title": "DC magnetization decays", "sources": ", ".join(sorted({d.source for d in decays}))})
