"""DC magnetization decays after a field step: a stretched exponential per decay.

    M(t) = M_eq + (M_0 - M_eq) exp(-(t / tau)^beta),     0.05 <= beta <= 1,

t in s from the decay's first point (:func:`spinbath.experiment.read_dc`), M in the file's unit.
Least squares (``scipy.optimize.least_squares``) in M / max|M| and log10(tau / s), weighted by the
moment's standard errors when the file gives them for every point, with the same uncertainty
treatment as the AC fits (:mod:`spinbath.experiment.ac_fit`): covariance s (J^T J)^-1 with
s = chi^2/(n - 4) for equal weights and max(1, chi^2/(n - 4)) for weighted fits; undetermined
directions give infinite errors. Starting values: M_0 and M_eq from the first and last points,
tau where M has covered 1 - 1/e of the way, beta = 0.8.

tau_lower, tau_upper = tau exp(-+ sigma), sigma = 1.64 tan(pi (1 - beta) / 2) / (1 - beta)^0.141
(Reta and Chilton's log-normal width of the distribution of relaxation times behind a stretched
exponential; :func:`spinbath.experiment.models.stretched_log_sigma`). tau is ``in_window`` when it
lies between the first time step and the length of the record.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr
from scipy.optimize import least_squares

from ..errors import ConfigError
from .ac_fit import _covariance
from .models import BETA_MIN, LOG10_TAU_BOUNDS, stretched_exponential, stretched_log_sigma
from .readers import DCDecay
from .results import FitSummary, fit_each

__all__ = ["DCFit", "fit_dc", "fit_dc_all"]

_NAMES = ("M_eq", "M_0", "tau", "beta")


@dataclass(frozen=True)
class DCFit(FitSummary):
    """The fit of one decay: parameters / errors by name (M_eq, M_0 in the decay's unit, tau in s,
    beta), tau, tau_err, tau_lower, tau_upper (s), in_window, success and message, chi2, dof,
    weighted, and the covariance of (M_eq, M_0, log10 tau, beta) in the decay's unit."""

    decay: DCDecay = None

    @property
    def values(self) -> dict[str, float]:
        """Alias of ``parameters``."""
        return self.parameters

    @property
    def reduced_chi2(self) -> float:
        return self.chi2 / max(self.dof, 1)

    def curve(self, t) -> np.ndarray:
        """The fitted M(t) at times ``t`` (s from the decay's first point)."""
        v = self.parameters
        return stretched_exponential(t, v["M_eq"], v["M_0"], v["tau"], v["beta"])


def fit_dc(decay: DCDecay) -> DCFit:
    """Fit the stretched exponential to one decay (module docstring). ConfigError for fewer than 5
    points (4 parameters); a fit that does not converge comes back with ``success`` False."""
    order = np.argsort(decay.time, kind="stable")
    t, M = np.asarray(decay.time, float)[order], np.asarray(decay.moment, float)[order]
    n = t.size
    if n < 5:
        raise ConfigError(f"{decay.where()} has {n} points, too few for the 4 parameters of a stretched exponential")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(M))):
        raise ConfigError(f"{decay.where()} has a time or a moment that is not a number")
    scale = max(float(np.max(np.abs(M))), 1e-300)
    y = M / scale
    weighted = decay.err is not None and bool(np.all(np.isfinite(decay.err)) and np.all(decay.err > 0))
    sig = np.asarray(decay.err, float)[order] / scale if weighted else np.ones(n)
    target = y[0] + (1 - np.exp(-1)) * (y[-1] - y[0])
    k = int(np.argmin(np.abs(y - target)))
    t_pos = t[t > 0]
    tau0 = max(t[k], t_pos[0] if t_pos.size else 1.0)
    x0 = np.array([y[-1], y[0], np.log10(tau0), 0.8])
    lo = [-np.inf, -np.inf, LOG10_TAU_BOUNDS[0], BETA_MIN]
    hi = [np.inf, np.inf, LOG10_TAU_BOUNDS[1], 1.0]
    x0 = np.clip(x0, np.array(lo) + 1e-9, np.array(hi) - 1e-9)

    def residuals(p):
        return (stretched_exponential(t, p[0], p[1], 10 ** p[2], p[3]) - y) / sig

    res = least_squares(residuals, x0, bounds=(lo, hi), x_scale="jac", method="trf", ftol=1e-10, xtol=1e-10,
                        gtol=1e-10, max_nfev=2000)
    dof = n - 4
    chi2 = float(np.sum(res.fun**2))
    red = chi2 / dof
    cov = _covariance(res.jac, max(red, 1.0) if weighted else red)
    D = np.array([scale, scale, 1.0, 1.0])
    with np.errstate(invalid="ignore"):
        cov = cov * D[:, None] * D[None, :]
    err = np.sqrt(np.where(np.isfinite(np.diag(cov)), np.clip(np.diag(cov), 0, None), np.inf))
    tau = float(10 ** res.x[2])
    params = {"M_eq": res.x[0] * scale, "M_0": res.x[1] * scale, "tau": tau, "beta": float(res.x[3])}
    errors = {"M_eq": err[0], "M_0": err[1], "tau": tau * np.log(10) * err[2], "beta": err[3]}
    s = float(stretched_log_sigma(params["beta"]))
    dt = float(np.min(np.diff(t))) if n > 1 else 0.0
    in_window = bool(dt <= tau <= t[-1] - t[0])
    success = bool(res.success) and np.isfinite(errors["tau"])
    message = str(res.message)
    if res.success and not success:
        message += "; tau is not determined by the data (infinite standard error)"
    if not weighted:
        chi2 *= scale**2
    return DCFit(params, {k: float(v) for k, v in errors.items()}, cov, tau, float(errors["tau"]),
                 tau * np.exp(-s), tau * np.exp(s), in_window, success, message, chi2, dof, weighted, decay=decay)


def fit_dc_all(decays: list[DCDecay], *, skip_short: bool = False) -> xr.Dataset:
    """Fit every decay; one Dataset over ``temperature`` (K) with ``field`` (Oe): tau, tau_err,
    tau_lower, tau_upper (s), beta, M_eq, M_0 (with ``_err``), in_window, fit_ok, the data and the
    fits (``spinbath.experiment.results.dc_dataset``). A failed fit is flagged (fit_ok = 0, NaN
    values) and the others come out; a decay with fewer than 5 points is a ConfigError unless
    ``skip_short``, which flags it instead."""
    from .results import dc_dataset

    if not decays:
        raise ConfigError("no DC decay to fit")
    messages: list[str] = []
    fits = fit_each(decays, fit_dc, skip_short, messages)
    return dc_dataset(decays, fits, sorted({d.source for d in decays}), messages)
