"""Weighted least-squares fit of tau(T) to a sum of relaxation laws, with parameter uncertainties.

Residuals (as ccfit2 does, REFERENCES.md) are in log10 of the rate, rate = 1/tau:

    r_i = [log10 rate_model(T_i; theta) - log10(1/tau_i)] / sigma_i,      chi^2 = sum_i r_i^2,

with sigma_i = err_i / (tau_i ln 10), the first-order standard deviation of log10(tau_i), when the
data carry errors (err = standard deviation of tau, s), else sigma_i = 1. theta are the fitted
coordinates of :mod:`spinbath.analysis.relaxation_laws` (log10 of the scale parameters). The
minimiser is scipy.optimize.least_squares (trust-region reflective, analytic Jacobian, bounds),
started from every point of :func:`spinbath.analysis.guesses.starting_points`; the lowest chi^2 wins.

Uncertainties. Cov(theta) = (J^T J)^-1 from the SVD of the Jacobian J = dr/dtheta at the minimum
(singular values below eps * max(J.shape) * s_max are dropped, as scipy.optimize.curve_fit does):

* with errors: the sigma_i are taken as absolute, Cov = (J^T J)^-1 (chi^2/dof ~ 1 if they are right);
* without errors: Cov = (J^T J)^-1 * chi^2 / dof, dof = N - p (the reduced chi^2 estimates the
  common variance of log10 tau); with dof = 0 the uncertainties are undefined (NaN).

Parameters along a direction the data do not fix at all (a zero singular value, e.g. an Orbach
term that only fits the hottest point) get an infinite standard error (null in JSON) and are
listed in ``FitResult.undetermined``.

The standard error of a log-fitted parameter P is reported both as the error of log10 P
(``log10_stderr``, the symmetric one) and, to first order, as stderr(P) = P ln(10) stderr(log10 P).
U_eff (K) is also reported in cm^-1 (``U_eff_cm``, U k_B with k_B = 0.695 cm^-1/K), and w (cm^-1)
of a vibronic term in K (``w_K``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

from .. import __version__
from ..config import ConfigError
from ..units import KB_CM
from .guesses import starting_points
from .relaxation_laws import LN10, RelaxationModel, parse_model
from .tau_data import TauData

__all__ = ["FitResult", "ParameterEstimate", "fit_relaxation", "UNCERTAINTY_NOTE"]

UNCERTAINTY_NOTE = {
    True: "from the Jacobian at the minimum, errors taken as absolute standard deviations of tau",
    False: "from the Jacobian at the minimum, scaled by the reduced chi^2 (no errors given)",
}


@dataclass(frozen=True)
class ParameterEstimate:
    """A fitted value with its standard error, in ``unit``; ``log10_stderr`` for log-fitted ones."""

    name: str
    value: float
    stderr: float
    unit: str
    log10_stderr: float | None = None

    def as_dict(self) -> dict:
        d = {"value": _json_float(self.value), "stderr": _json_float(self.stderr), "unit": self.unit}
        if self.log10_stderr is not None:
            d["log10_stderr"] = _json_float(self.log10_stderr)
        return d


def _json_float(x: float):
    return float(x) if math.isfinite(x) else None


@dataclass(frozen=True)
class FitResult:
    """Outcome of :func:`fit_relaxation`.

    theta, covariance: fitted coordinates and their covariance; chi2, dof; weighted (errors given);
    n_starts tried; success/message of the best run. ``parameters`` gives physical values with
    standard errors, ``derived`` U_eff in cm^-1 and w in K.
    """

    model: RelaxationModel
    data: TauData
    theta: np.ndarray
    covariance: np.ndarray
    chi2: float
    dof: int
    weighted: bool
    n_starts: int
    success: bool
    message: str

    @property
    def reduced_chi2(self) -> float:
        return self.chi2 / self.dof if self.dof > 0 else float("nan")

    @property
    def theta_stderr(self) -> np.ndarray:
        d = np.diag(self.covariance)
        return np.sqrt(np.where(d < 0, 0.0, d))

    @property
    def undetermined(self) -> list[str]:
        """Parameters with an infinite standard error (not fixed by the data)."""
        return [p.name for p, v in zip(self.model.parameters, np.diag(self.covariance)) if np.isinf(v)]

    @property
    def values(self) -> dict[str, float]:
        return self.model.values_from_theta(self.theta)

    @property
    def parameters(self) -> dict[str, ParameterEstimate]:
        out = {}
        for p, t, s in zip(self.model.parameters, self.theta, self.theta_stderr):
            v = p.to_value(t)
            if p.log:
                out[p.name] = ParameterEstimate(p.name, v, float(v * LN10 * s), p.unit, float(s))
            else:
                out[p.name] = ParameterEstimate(p.name, v, float(s), p.unit)
        return out

    @property
    def derived(self) -> dict[str, ParameterEstimate]:
        """U_eff in cm^-1 (``U_eff_cm``) and w in K (``w_K``), where the model has them."""
        ps, out = self.parameters, {}
        if "U_eff" in ps:
            u = ps["U_eff"]
            out["U_eff_cm"] = ParameterEstimate("U_eff_cm", u.value * KB_CM, u.stderr * KB_CM, "cm^-1")
        if "w" in ps:
            w = ps["w"]
            out["w_K"] = ParameterEstimate("w_K", w.value / KB_CM, w.stderr / KB_CM, "K")
        return out

    @property
    def correlation(self) -> np.ndarray:
        s = self.theta_stderr
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.covariance / np.outer(s, s)

    def rate(self, T, H=None, term: str | None = None) -> np.ndarray:
        """Fitted rate (s^-1) at T (K), total or of one ``term``."""
        return self.model.rate(self.theta, T, H, term=term)

    def tau(self, T, H=None) -> np.ndarray:
        """Fitted tau (s) at T (K)."""
        return 1.0 / self.rate(T, H)

    def residuals_log10(self) -> np.ndarray:
        """log10(rate_model) - log10(rate_data) at the data points (unweighted)."""
        return (self.model.ln_rate(self.theta, self.data.T, self.data.field) - np.log(self.data.rate)) / LN10

    def as_dict(self) -> dict:
        """JSON-ready summary (the ``spinbath fit --out`` file); NaN/inf become null."""
        params = {}
        derived = self.derived
        for name, est in self.parameters.items():
            params[name] = est.as_dict()
            if name == "U_eff":
                params["U_eff_cm"] = derived["U_eff_cm"].as_dict()
            if name == "w":
                params["w_K"] = derived["w_K"].as_dict()
        coords = [p.coordinate for p in self.model.parameters]
        return {
            "model": self.model.name,
            "terms": {t.name: t.formula for t in self.model.terms},
            "data_file": self.data.source,
            "selection": dict(self.data.selection) or None,
            "n_points": self.data.size,
            "n_parameters": len(coords),
            "temperature_range_K": [float(self.data.T.min()), float(self.data.T.max())],
            "weighted": self.weighted,
            "residual": "log10(rate), rate = 1/tau" + (", divided by err/(tau ln 10)" if self.weighted else ""),
            "chi2": _json_float(self.chi2),
            "dof": self.dof,
            "reduced_chi2": _json_float(self.reduced_chi2),
            "uncertainty": UNCERTAINTY_NOTE[self.weighted],
            "parameters": params,
            "fit_coordinates": coords,
            "correlation": [[_json_float(c) for c in row] for row in self.correlation],
            "undetermined": self.undetermined,
            "n_starts": self.n_starts,
            "converged": bool(self.success),
            "spinbath_version": __version__,
        }


def _covariance(jac: np.ndarray, chi2: float, dof: int, weighted: bool) -> np.ndarray:
    # Moore-Penrose inverse of J^T J through the SVD of J, as scipy.optimize.curve_fit does.
    _, s, VT = np.linalg.svd(jac, full_matrices=False)
    threshold = np.finfo(float).eps * max(jac.shape) * (s[0] if s.size else 0.0)
    keep = s > threshold
    cov = (VT[keep].T / s[keep] ** 2) @ VT[keep]
    if not weighted:
        cov = cov * (chi2 / dof) if dof > 0 else np.full_like(cov, np.nan)
    # A direction with no singular value is not determined by the data at all (e.g. a barrier
    # fitted through a single point): the pseudo-inverse would give it zero variance, so the
    # parameters that move along it get an infinite one instead.
    free = np.any(np.abs(VT[~keep]) > 1e-6, axis=0)
    cov[free, :] = np.nan
    cov[:, free] = np.nan
    cov[free, free] = np.inf
    return cov


def fit_relaxation(data: TauData, model: str | RelaxationModel, *, start: np.ndarray | dict | None = None,
                   max_starts: int = 16) -> FitResult:
    """Fit ``model`` ("orbach+raman+qtm" or a RelaxationModel) to ``data`` by weighted least squares.

    ``start``: fitted coordinates or physical values (dict) to use instead of the automatic starts.
    Raises ConfigError when there are fewer points than parameters or the model needs a field
    column the data lack.
    """
    model = parse_model(model)
    p = len(model.parameters)
    if data.size < p:
        raise ConfigError(f"{data.label}: {data.size} points cannot determine the {p} parameters of "
                          f"model {model.name!r} ({', '.join(model.parameter_names)})")
    if model.needs_field and data.field is None:
        raise ConfigError(f"{data.label}: model {model.name!r} needs a field column H (tesla)")
    if model.needs_field and (data.field <= 0).any():
        raise ConfigError(f"{data.label}: model {model.name!r} needs H > 0 at every point (H^m)")
    T, H = data.T, data.field
    y = np.log(data.rate)
    weighted = data.err is not None
    inv_sigma = 1.0 / data.sigma_log10 if weighted else np.ones_like(T)

    def residuals(theta):
        return (model.ln_rate(theta, T, H) - y) / LN10 * inv_sigma

    def jacobian(theta):
        return model.ln_rate(theta, T, H, jacobian=True)[1] / LN10 * inv_sigma[:, None]

    lo, hi = model.bounds
    if start is None:
        starts = starting_points(model, data, max_starts=max_starts)
    else:
        starts = [model.theta_from_values(start) if isinstance(start, dict) else np.asarray(start, dtype=float)]
    # Strictly inside the bounds, as the trust-region reflective method requires.
    inner_lo = lo + 1e-9 * (1 + np.abs(lo))
    finite_hi = np.where(np.isfinite(hi), hi, 0.0)
    inner_hi = np.where(np.isfinite(hi), finite_hi - 1e-9 * (1 + np.abs(finite_hi)), np.inf)
    best = None
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        for x0 in starts:
            x0 = np.clip(x0, inner_lo, inner_hi)
            if not np.all(np.isfinite(residuals(x0))):
                continue
            try:
                res = least_squares(residuals, x0, jac=jacobian, bounds=(lo, hi), method="trf", x_scale="jac",
                                    ftol=1e-12, xtol=1e-12, gtol=1e-12, max_nfev=400)
            except (ValueError, np.linalg.LinAlgError):
                continue
            if np.isfinite(res.cost) and (best is None or res.cost < best.cost):
                best = res
    if best is None:
        raise ConfigError(f"{data.label}: the fit of model {model.name!r} failed from every starting point")
    chi2 = float(2.0 * best.cost)
    dof = data.size - p
    cov = _covariance(jacobian(best.x), chi2, dof, weighted)
    return FitResult(model, data, best.x, cov, chi2, dof, weighted, len(starts), bool(best.success), str(best.message))
