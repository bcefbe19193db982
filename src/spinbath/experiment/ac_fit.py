"""Fit chi'(nu) and chi''(nu) of each AC sweep jointly with a Debye-family model; tau(T) with errors.

Least squares (``scipy.optimize.least_squares``, trust-region reflective inside the bounds of
:mod:`spinbath.experiment.models`) on the stacked residuals

    r = [(chi'_model - chi') / sigma', (chi''_model - chi'') / sigma'']

over the frequencies of the sweep (chi = chi' - i chi''). sigma are the standard errors of the file
where every point of the sweep has positive ones ("weighted"); otherwise all points weigh the same.
Parameter covariance: C = s (J^T J)^-1 at the optimum, with s = chi^2 / (2n - p) (n frequencies,
p parameters) for equal weights, and s = max(1, chi^2 / (2n - p)) for weighted fits (instrument
errors are taken at face value unless the scatter exceeds them). Directions that the data do not
determine (zero singular values of J) give infinite standard errors instead of a pseudo-inverse's
small ones. tau is fitted as log10(tau / s); its standard error is tau ln(10) sigma_log10tau.

Starting values come from the data: the Cole-Cole arc (a circle through chi'' against chi', fitted
algebraically) gives chi_S and chi_T (where it meets chi'' = 0) and alpha (from how far its centre
lies below the axis, tan(alpha pi / 2) = depth / radius-on-axis); tau from
(chi_T - chi) / (chi - chi_S) = (i w tau)^(1 - alpha); a second start puts tau at the chi'' peak
(tau = 1 / (2 pi nu_peak)). For two processes: the chi'' peaks, or one peak and a second process
where a one-process fit leaves the largest chi'' residual, or 1.5 decades to either side. The
start with the lowest chi^2 wins.

tau is *in the window* when 1/(2 pi nu_max) <= tau <= 1/(2 pi nu_min): only then does the chi''
maximum lie among the measured frequencies, and only then is tau a measurement (``in_window``;
``spinbath fit`` uses only those). tau_lower, tau_upper: the spread of relaxation times the fitted
shape implies (:mod:`spinbath.experiment.models`): tau exp(-+ 1.82 sqrt(alpha) / (1 - alpha))
(Reta and Chilton) for Debye and generalized Debye (each process of two-debye alike), the central
68.27 % of the Havriliak-Negami distribution for havriliak-negami. For two processes, process 1 is
the slower one (tau_1 >= tau_2) and ``tau`` is tau_1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import xarray as xr
from scipy.optimize import least_squares

from ..errors import ConfigError
from .models import AC_MODELS, ACModel, hn_log_quantiles, tau_log_sigma
from .readers import ACData, ACSweep
from .results import FitSummary, fit_each

__all__ = ["ACFit", "fit_ac", "fit_ac_all", "get_model"]

LN10 = np.log(10.0)


def get_model(model: str | ACModel) -> ACModel:
    """The :class:`ACModel` of a name ("debye", "generalized-debye", "havriliak-negami", "two-debye")."""
    if isinstance(model, ACModel):
        return model
    if model not in AC_MODELS:
        raise ConfigError(f"unknown AC model {model!r}; use one of {', '.join(AC_MODELS)}")
    return AC_MODELS[model]


@dataclass(frozen=True)
class ACFit(FitSummary):
    """The fit of one sweep.

    parameters / errors: values and standard errors by name, tau in s (``tau``, or ``tau_1``,
    ``tau_2`` for two-debye), chi_S, chi_T (and dchi_1, dchi_2) in the sweep's unit, alpha, beta
    dimensionless; tau, tau_err, tau_lower, tau_upper (s): the (slower) relaxation time, its
    standard error and the +-1 sigma spread of relaxation times (module docstring); in_window: tau
    inside 1/(2 pi nu_max) .. 1/(2 pi nu_min); success, message: the optimizer's verdict (success
    also requires a finite tau_err); theta, covariance: the fitted vector in the order of
    ``model.parameters`` (log10 tau) and its covariance; chi2, dof: sum of squared residuals
    (divided by the standard errors when weighted, else in the sweep's unit squared) and 2n - p;
    weighted: whether the file's standard errors set the weights; extra: for two-debye the spread
    (tau_2_lower, tau_2_upper, s) and window flag (in_window_2, 0/1) of the faster process.
    """

    model: ACModel = None
    sweep: ACSweep = None
    theta: np.ndarray = None
    extra: dict[str, float] = field(default_factory=dict)

    def value(self, name: str) -> float:
        """Fitted value of a model parameter (names of ``model.parameters``: log10_tau, not tau)."""
        return float(self.theta[self.model.parameters.index(name)])

    def stderr(self, name: str) -> float:
        """Standard error of a model parameter (names of ``model.parameters``)."""
        k = self.model.parameters.index(name)
        return float(np.sqrt(self.covariance[k, k])) if np.isfinite(self.covariance[k, k]) else np.inf

    @property
    def reduced_chi2(self) -> float:
        return self.chi2 / max(self.dof, 1)

    def curve(self, frequency) -> np.ndarray:
        """The fitted chi = chi' - i chi'' at ``frequency`` (Hz), in the sweep's unit."""
        return self.model.chi(frequency, self.theta)

    @property
    def fit_chi_p(self) -> np.ndarray:
        """Fitted chi' at the sweep's frequencies."""
        return self.curve(self.sweep.frequency).real

    @property
    def fit_chi_pp(self) -> np.ndarray:
        """Fitted chi'' at the sweep's frequencies."""
        return -self.curve(self.sweep.frequency).imag


# ----------------------------------------------------------------------------------------------------
# Starting values


def _arc(cp: np.ndarray, cpp: np.ndarray) -> tuple[float, float, float] | None:
    """(chi_S, chi_T, alpha) from a circle through the Cole-Cole points, or None if it is not an arc."""
    if cp.size < 3:
        return None
    A = np.column_stack([cp, cpp, np.ones_like(cp)])
    b = -(cp**2 + cpp**2)
    try:
        (D, E, F), *_ = np.linalg.lstsq(A, b, rcond=None)
    except np.linalg.LinAlgError:
        return None
    xc, yc = -D / 2, -E / 2
    r2 = xc**2 + yc**2 - F
    half2 = r2 - yc**2
    if not (np.isfinite(half2) and half2 > 0):
        return None
    half = np.sqrt(half2)
    span = np.ptp(cp) + np.ptp(cpp)
    if half > 50 * span or yc > 0.5 * half:
        return None
    alpha = float(np.clip(2 / np.pi * np.arctan(max(-yc, 0.0) / half), 0.0, 0.8))
    return float(xc - half), float(xc + half), alpha


def _log10_tau_from_shape(f, cp, cpp, chi_S, chi_T, alpha) -> float | None:
    """log10 tau from (chi_T - chi) / (chi - chi_S) = (i w tau)^(1 - alpha), median over points."""
    chi = cp - 1j * cpp
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.abs((chi_T - chi) / (chi - chi_S))
        est = np.log10(u) / (1 - alpha) - np.log10(2 * np.pi * f)
    est = est[np.isfinite(est)]
    return float(np.median(est)) if est.size else None


def _peaks(f: np.ndarray, y: np.ndarray) -> list[int]:
    """Indices of the local maxima of chi'' (an end point counts when it is above its neighbour),
    largest first."""
    n = y.size
    k = [i for i in range(n) if (i == 0 or y[i] >= y[i - 1]) and (i == n - 1 or y[i] >= y[i + 1])]
    return sorted(k, key=lambda i: -y[i]) or [int(np.argmax(y))]


def _single_starts(f, cp, cpp) -> list[dict[str, float]]:
    """Starting values of one process: from the arc, and from the chi'' peak."""
    starts = []
    arc = _arc(cp, cpp)
    peak = _peaks(f, cpp)[0]
    lt_peak = float(np.log10(1 / (2 * np.pi * f[peak])))
    if peak == 0:
        lt_peak += 0.5  # maximum at the lowest frequency: tau is longer than the window
    elif peak == f.size - 1:
        lt_peak -= 0.5
    if arc is not None:
        chi_S, chi_T, alpha = arc
        lt = _log10_tau_from_shape(f, cp, cpp, chi_S, chi_T, alpha)
        if lt is not None:
            starts.append({"chi_S": chi_S, "chi_T": chi_T, "log10_tau": lt, "alpha": alpha})
    d = max(2.2 * float(np.max(cpp)), float(np.ptp(cp)), 1e-300)
    if peak == 0:  # only the high-frequency side of the arc: chi_S is the low end of chi'
        chi_S, chi_T = float(np.min(cp)), float(np.min(cp)) + d
    elif peak == f.size - 1:  # only the low-frequency side: chi_T is the high end of chi'
        chi_S, chi_T = float(np.max(cp)) - d, float(np.max(cp))
    else:
        chi_S, chi_T = float(np.min(cp)), max(float(np.max(cp)), float(np.min(cp)) + d)
    starts.append({"chi_S": chi_S, "chi_T": chi_T, "log10_tau": lt_peak, "alpha": 0.1})
    return starts


def _vector(model: ACModel, v: dict[str, float]) -> np.ndarray:
    v = {"alpha": 0.1, "beta": 0.9, **v}
    x = np.array([v[n] for n in model.parameters], float)
    lo, hi = np.array(model.lower), np.array(model.upper)
    pad = 1e-6 * np.where(np.isfinite(hi - lo), hi - lo, 1.0)
    return np.clip(x, lo + pad, hi - pad)


# ----------------------------------------------------------------------------------------------------
# The fit


def _covariance(J: np.ndarray, factor: float, A: np.ndarray | None = None) -> np.ndarray:
    """factor (J^T J)^-1 by SVD, mapped by the linear change of variables p = A q (C_p = A C_q A^T);
    parameters touched by a direction the data do not determine get infinite variance."""
    _, S, Vt = np.linalg.svd(J, full_matrices=False)
    tol = np.finfo(float).eps * max(J.shape) * (S[0] if S.size else 0.0) * 10
    good = S > tol
    cov = (Vt[good].T / S[good] ** 2) @ Vt[good] * factor
    touched = np.any(np.abs(Vt[~good]) > 1e-8, axis=0) if not good.all() else np.zeros(J.shape[1], bool)
    if A is not None:
        cov = A @ cov @ A.T
        touched = (np.abs(A) @ touched.astype(float)) > 0
    cov[touched, :] = np.inf
    cov[:, touched] = np.inf
    return cov


def _internal(model: ACModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(A, lower, upper): the fit runs in q with p = A q, where a single process has
    q = (chi_S, chi_T - chi_S >= 0, ...) so that chi_T >= chi_S (two-debye: q = p, dchi_k >= 0)."""
    n = len(model.parameters)
    A = np.eye(n)
    lo, hi = np.array(model.lower, float), np.array(model.upper, float)
    if "chi_T" in model.parameters:
        k = model.parameters.index("chi_T")
        A[k, model.parameters.index("chi_S")] = 1.0
        lo[k] = 0.0
    return A, lo, hi


def _solve(model: ACModel, f, y_p, y_pp, s_p, s_pp, p0):
    """least_squares in the internal variables q (:func:`_internal`), from model parameters p0."""
    A, lo, hi = _internal(model)
    q0 = np.linalg.solve(A, p0)
    pad = 1e-6 * np.where(np.isfinite(hi - lo), hi - lo, 1.0)
    q0 = np.clip(q0, lo + pad, np.where(np.isfinite(hi), hi - pad, np.inf))

    def residuals(q):
        chi = model.chi(f, A @ q)
        return np.concatenate([(chi.real - y_p) / s_p, (-chi.imag - y_pp) / s_pp])

    def jac(q):
        J = model.jacobian(f, A @ q) @ A
        return np.concatenate([J.real / s_p[:, None], -J.imag / s_pp[:, None]])

    res = least_squares(residuals, q0, jac=jac, bounds=(lo, hi), x_scale="jac", method="trf",
                        ftol=1e-10, xtol=1e-10, gtol=1e-10, max_nfev=100 * (len(q0) + 1))
    res.p = A @ res.x
    res.A = A
    return res


def _two_process_starts(model, f, y_p, y_pp, s_p, s_pp) -> list[np.ndarray]:
    """Starts for two processes: the two highest chi'' maxima; the highest with a second process
    1.5 decades to either side; and a one-process fit with a second process where it leaves the
    largest chi'' residual (when that fit's tau is within a decade of the window)."""
    peaks = _peaks(f, y_pp)
    lt = [float(np.log10(1 / (2 * np.pi * f[k]))) for k in peaks]
    d = max(float(np.ptp(y_p)), 2.3 * float(np.max(y_pp)), 1e-12)
    chi_S = float(np.min(y_p)) - 0.05 * d
    pairs = []
    if len(peaks) > 1 and y_pp[peaks[1]] > 0.1 * y_pp[peaks[0]]:
        h1, h2 = y_pp[peaks[0]], y_pp[peaks[1]]
        pairs.append((lt[0], lt[1], d * h1 / (h1 + h2), d * h2 / (h1 + h2), 0.1))
    pairs += [(lt[0], lt[0] + 1.5, 0.7 * d, 0.3 * d, 0.1), (lt[0], lt[0] - 1.5, 0.7 * d, 0.3 * d, 0.1)]
    one = AC_MODELS["generalized-debye"]
    best = min((_solve(one, f, y_p, y_pp, s_p, s_pp, _vector(one, v)) for v in _single_starts(f, y_p, y_pp)),
               key=lambda r: r.cost)
    S1, T1, lt1, a1 = best.p
    window = (np.log10(1 / (2 * np.pi * f.max())) - 1, np.log10(1 / (2 * np.pi * f.min())) + 1)
    if window[0] <= lt1 <= window[1] and T1 > S1:
        k = int(np.argmax(y_pp + one.chi(f, best.p).imag))
        pairs.append((lt1, float(np.log10(1 / (2 * np.pi * f[k]))), 0.8 * (T1 - S1), 0.2 * (T1 - S1), min(a1, 0.3)))
    return [_vector(model, {"chi_S": chi_S, "dchi_1": d1, "log10_tau_1": l1, "alpha_1": a, "dchi_2": d2,
                            "log10_tau_2": l2, "alpha_2": 0.1}) for l1, l2, d1, d2, a in pairs]


def fit_ac(sweep: ACSweep, model: str = "generalized-debye") -> ACFit:
    """Fit one sweep with ``model`` (module docstring; frequency in Hz, chi in the sweep's unit).

    ConfigError for an unknown model or a sweep with no more data (2 per frequency: chi', chi'')
    than parameters. A fit that does not converge is returned with ``success`` False.
    """
    m = get_model(model)
    n_par = len(m.parameters)
    n = sweep.size
    if 2 * n <= n_par:
        raise ConfigError(f"{sweep.where()} has {n} frequencies ({2 * n} values of chi' and chi''), too few for "
                          f"the {n_par} parameters of {m.name}")
    order = np.argsort(sweep.frequency, kind="stable")  # the starting values read the sweep in frequency order
    f = np.asarray(sweep.frequency, float)[order]
    c_p, c_pp = np.asarray(sweep.chi_p, float)[order], np.asarray(sweep.chi_pp, float)[order]
    if not (np.all(np.isfinite(f)) and np.all(f > 0) and np.all(np.isfinite(c_p)) and np.all(np.isfinite(c_pp))):
        raise ConfigError(f"{sweep.where()} has a frequency that is not a positive number, or a chi' or chi'' "
                          "that is not a number")
    scale = max(float(np.max(np.abs(c_p))), float(np.max(np.abs(c_pp))), 1e-300)
    y_p, y_pp = c_p / scale, c_pp / scale
    weighted = (sweep.err_p is not None and sweep.err_pp is not None
                and bool(np.all(np.isfinite(sweep.err_p)) and np.all(np.isfinite(sweep.err_pp)))
                and bool(np.all(sweep.err_p > 0) and np.all(sweep.err_pp > 0)))
    s_p = np.asarray(sweep.err_p, float)[order] / scale if weighted else np.ones(n)
    s_pp = np.asarray(sweep.err_pp, float)[order] / scale if weighted else np.ones(n)

    if m.name == "two-debye":
        starts = _two_process_starts(m, f, y_p, y_pp, s_p, s_pp)
    else:
        starts = [_vector(m, v) for v in _single_starts(f, y_p, y_pp)]
    res = min((_solve(m, f, y_p, y_pp, s_p, s_pp, x0) for x0 in starts), key=lambda r: r.cost)

    x = res.p.copy()
    dof = 2 * n - n_par
    chi2 = float(np.sum(res.fun**2))
    red = chi2 / dof
    cov = _covariance(res.jac, max(red, 1.0) if weighted else red, res.A)
    is_chi = np.array([name.startswith(("chi", "dchi")) for name in m.parameters])
    x[is_chi] *= scale
    D = np.where(is_chi, scale, 1.0)
    with np.errstate(invalid="ignore"):
        cov = cov * D[:, None] * D[None, :]
    if m.name == "two-debye" and x[m.parameters.index("log10_tau_2")] > x[m.parameters.index("log10_tau_1")]:
        perm = [0, 4, 5, 6, 1, 2, 3]  # process 1 is the slower one
        x, cov = x[perm], cov[np.ix_(perm, perm)]
    if not weighted:
        chi2 *= scale**2  # sum of squared residuals in the sweep's unit squared
    return _make_fit(m, sweep, x, cov, chi2, dof, weighted, bool(res.success), str(res.message))


def _in_window(tau: float, f: np.ndarray) -> bool:
    return bool(np.isfinite(tau) and 1 / (2 * np.pi * f.max()) <= tau <= 1 / (2 * np.pi * f.min()))


def _make_fit(m: ACModel, sweep: ACSweep, x, cov, chi2, dof, weighted, success, message) -> ACFit:
    err = np.sqrt(np.where(np.isfinite(np.diag(cov)), np.clip(np.diag(cov), 0, None), np.inf))
    v = dict(zip(m.parameters, x))
    e = dict(zip(m.parameters, err))
    params: dict[str, float] = {}
    errors: dict[str, float] = {}
    for name in m.parameters:
        if name.startswith("log10_tau"):
            key = "tau" + name[len("log10_tau"):]
            params[key] = 10 ** v[name]
            errors[key] = params[key] * LN10 * e[name]
        else:
            params[name], errors[name] = float(v[name]), float(e[name])
    extra: dict[str, float] = {}
    if m.name == "two-debye":
        idx = [m.parameters.index(k) for k in ("chi_S", "dchi_1", "dchi_2")]
        params["chi_T"] = v["chi_S"] + v["dchi_1"] + v["dchi_2"]
        var = float(np.sum(cov[np.ix_(idx, idx)]))
        errors["chi_T"] = float(np.sqrt(var)) if np.isfinite(var) and var >= 0 else np.inf
        tau, tau_err = params["tau_1"], errors["tau_1"]
        s1, s2 = tau_log_sigma(v["alpha_1"]), tau_log_sigma(v["alpha_2"])
        lower, upper = tau * np.exp(-s1), tau * np.exp(s1)
        extra = {"tau_2_lower": params["tau_2"] * np.exp(-s2), "tau_2_upper": params["tau_2"] * np.exp(s2),
                 "in_window_2": float(_in_window(params["tau_2"], sweep.frequency))}
    else:
        tau, tau_err = params["tau"], errors["tau"]
        if m.name == "havriliak-negami":
            lo, hi = hn_log_quantiles(v["alpha"], v["beta"])
        else:
            s = float(tau_log_sigma(v.get("alpha", 0.0)))
            lo, hi = -s, s
        lower, upper = tau * np.exp(lo), tau * np.exp(hi)
    ok = success and np.isfinite(tau_err)
    if success and not ok:
        message = f"{message}; tau is not determined by the data (infinite standard error)"
    return ACFit(params, errors, cov, float(tau), float(tau_err), float(lower), float(upper),
                 _in_window(tau, sweep.frequency), bool(ok), message, float(chi2), int(dof), bool(weighted),
                 model=m, sweep=sweep, theta=np.asarray(x, float), extra=extra)


# ----------------------------------------------------------------------------------------------------
# Every sweep


def fit_ac_all(data: ACData | list[ACSweep], model: str = "generalized-debye", *,
               skip_short: bool = False) -> xr.Dataset:
    """Fit every sweep of ``data``; one Dataset over ``temperature`` (K), with ``field`` (Oe) beside it.

    Variables (units and long_name on each; ``spinbath.experiment.results.ac_dataset``): tau,
    tau_err, tau_lower, tau_upper (s), alpha, chi_S, chi_T (with ``_err``), beta for
    havriliak-negami, the second process for two-debye (tau_2, ...), in_window and fit_ok (0/1),
    reduced_chi2, and the data and the fits on (temperature, point): frequency, chi_p, chi_pp,
    fit_chi_p, fit_chi_pp, plus smooth curves on (temperature, curve_point).

    A sweep whose fit fails (no convergence, tau undetermined) is flagged, fit_ok = 0 with NaN
    values, its reason in the ``fit_messages`` attribute, and the other sweeps still come out. A
    sweep with too few frequencies for the model is bad input (ConfigError naming the file and
    lines) unless ``skip_short``, which flags it like a failed fit.
    """
    from .results import ac_dataset

    m = get_model(model)
    sweeps = data.sweeps if isinstance(data, ACData) else list(data)
    if not sweeps:
        raise ConfigError("no AC sweep to fit")
    units = {s.units for s in sweeps}
    if len(units) > 1:
        raise ConfigError(f"the sweeps give chi in different units ({', '.join(sorted(units))}); read every file "
                          "with the same mass and molar mass (or none)")
    messages: list[str] = list(data.notes) if isinstance(data, ACData) else []
    fits = fit_each(sweeps, lambda s: fit_ac(s, m), skip_short, messages)
    sources = data.sources if isinstance(data, ACData) else sorted({s.source for s in sweeps})
    return ac_dataset(sweeps, fits, m, units.pop(), sources, messages)
