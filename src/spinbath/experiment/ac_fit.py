"""Fit chi'(nu) and chi''(nu) of each sweep jointly with a Debye-family model; tau(T) with errors.

Least squares (``scipy.optimize.least_squares``, trust-region reflective within the bounds of
:mod:`spinbath.experiment.models`) on the stacked residuals (model - data) / sigma of chi' and chi'',
sigma the standard errors of the file where it has them (then the covariance is (J^T J)^-1), equal
weights otherwise (then scaled by the reduced chi^2). Starting values from the data: tau from the
frequency of the chi'' maximum (two maxima for two processes), chi_T and chi_S from chi' at the
lowest and highest frequency, alpha = 0.1.

tau is *in the window* when 1/(2 pi nu_max) <= tau <= 1/(2 pi nu_min): only then does the chi''
peak lie among the measured frequencies, and only then is tau reported as a measurement
(``in_window``; ``spinbath fit`` uses only those). tau_lower, tau_upper = tau exp(-+ sigma_ln_tau(alpha))
(:func:`spinbath.experiment.models.tau_log_sigma`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr
from scipy.optimize import least_squares

from ..errors import ConfigError
from .ac_data import ACData, ACSweep
from .models import AC_MODELS, ACModel, tau_log_sigma

__all__ = ["ACFit", "fit_ac", "fit_ac_all"]

LN10 = np.log(10.0)


@dataclass
class ACFit:
    """A fit of one sweep: values and standard errors by parameter name (tau in s, not log10),
    tau_lower/tau_upper (s), in_window, success and message."""

    model: ACModel
    sweep: ACSweep
    theta: np.ndarray
    covariance: np.ndarray
    chi2: float
    success: bool
    message: str

    def value(self, name: str) -> float:
        return float(self.theta[self.model.parameters.index(name)])

    def stderr(self, name: str) -> float:
        k = self.model.parameters.index(name)
        return float(np.sqrt(max(self.covariance[k, k], 0.0)))

    def _main(self) -> str:
        """The process reported as tau: the only one, or the larger of two."""
        if self.model.name != "two-debye":
            return ""
        return "_1" if self.value("dchi_1") >= self.value("dchi_2") else "_2"

    def _other(self) -> str:
        return {"_1": "_2", "_2": "_1"}.get(self._main(), "")

    def tau(self, second: bool = False) -> tuple[float, float]:
        """(tau, standard error), s."""
        suffix = self._other() if second else self._main()
        if second and not suffix:
            return np.nan, np.nan
        lt, e = self.value(f"log10_tau{suffix}"), self.stderr(f"log10_tau{suffix}")
        return 10**lt, 10**lt * LN10 * e

    def alpha(self, second: bool = False) -> tuple[float, float]:
        suffix = self._other() if second else self._main()
        name = f"alpha{suffix}"
        if (second and not suffix) or name not in self.model.parameters:
            return (np.nan, np.nan) if second else (0.0, 0.0)
        return self.value(name), self.stderr(name)

    @property
    def chi_S(self) -> tuple[float, float]:
        return self.value("chi_S"), self.stderr("chi_S")

    @property
    def chi_T(self) -> tuple[float, float]:
        if "chi_T" in self.model.parameters:
            return self.value("chi_T"), self.stderr("chi_T")
        total = self.value("chi_S") + self.value("dchi_1") + self.value("dchi_2")
        idx = [self.model.parameters.index(n) for n in ("chi_S", "dchi_1", "dchi_2")]
        var = float(np.sum(self.covariance[np.ix_(idx, idx)]))
        return total, float(np.sqrt(max(var, 0.0)))

    @property
    def in_window(self) -> bool:
        tau = self.tau()[0]
        f = self.sweep.frequency
        return bool(1 / (2 * np.pi * f.max()) <= tau <= 1 / (2 * np.pi * f.min()))

    def tau_range(self) -> tuple[float, float]:
        tau, a = self.tau()[0], self.alpha()[0]
        s = float(tau_log_sigma(a))
        return tau * np.exp(-s), tau * np.exp(s)

    def curve(self, frequency) -> np.ndarray:
        return self.model.chi(frequency, self.theta)


def _peaks(f: np.ndarray, y: np.ndarray) -> list[float]:
    """Frequencies of the local maxima of chi'' (largest first); the global one if none is interior."""
    k = [i for i in range(1, y.size - 1) if y[i] >= y[i - 1] and y[i] >= y[i + 1]]
    k = sorted(k, key=lambda i: -y[i]) or [int(np.argmax(y))]
    return [float(f[i]) for i in k]


def _start(model: ACModel, s: ACSweep) -> np.ndarray:
    f, cp, cpp = s.frequency, s.chi_p, s.chi_pp
    chi_T, chi_S = float(cp[0]), float(cp[-1])
    peaks = _peaks(f, cpp)
    lt = float(np.log10(1 / (2 * np.pi * peaks[0])))
    v = {"chi_S": chi_S, "chi_T": chi_T, "log10_tau": lt, "alpha": 0.1, "beta": 0.9}
    if model.name == "two-debye":
        second = peaks[1] if len(peaks) > 1 else (f.min() if peaks[0] > np.sqrt(f.min() * f.max()) else f.max())
        d = max(chi_T - chi_S, 1e-30)
        v.update({"dchi_1": 0.6 * d, "log10_tau_1": lt, "alpha_1": 0.1, "dchi_2": 0.4 * d,
                  "log10_tau_2": float(np.log10(1 / (2 * np.pi * second))), "alpha_2": 0.1})
    x = np.array([v[n] for n in model.parameters], float)
    return np.clip(x, np.array(model.lower) + 1e-9 * np.isfinite(model.lower),
                   np.array(model.upper) - 1e-9 * np.isfinite(model.upper))


def fit_ac(sweep: ACSweep, model: str = "generalized-debye") -> ACFit:
    """Fit one sweep (module docstring). ConfigError for an unknown model or too few points."""
    if model not in AC_MODELS:
        raise ConfigError(f"unknown AC model {model!r}; use one of {', '.join(AC_MODELS)}")
    m = AC_MODELS[model]
    n_par = len(m.parameters)
    if 2 * sweep.size <= n_par:
        raise ConfigError(f"{sweep.source}: the sweep at {sweep.temperature:.3g} K has {sweep.size} frequencies, "
                          f"too few for the {n_par} parameters of {model}")
    scale = max(float(np.max(np.abs(sweep.chi_p))), float(np.max(np.abs(sweep.chi_pp))), 1e-300)
    weighted = sweep.err_p is not None and sweep.err_pp is not None and np.all(sweep.err_p > 0) and np.all(sweep.err_pp > 0)
    sig_p = sweep.err_p if weighted else np.full(sweep.size, scale)
    sig_pp = sweep.err_pp if weighted else np.full(sweep.size, scale)

    def residuals(p):
        chi = m.chi(sweep.frequency, p)
        return np.concatenate([(chi.real - sweep.chi_p) / sig_p, (-chi.imag - sweep.chi_pp) / sig_pp])

    x0 = _start(m, sweep)
    res = least_squares(residuals, x0, bounds=(m.lower, m.upper), x_scale="jac", method="trf",
                        ftol=1e-12, xtol=1e-12, gtol=1e-12, max_nfev=4000)
    dof = max(2 * sweep.size - n_par, 1)
    chi2 = float(np.sum(res.fun**2))
    try:
        cov = np.linalg.pinv(res.jac.T @ res.jac)
    except np.linalg.LinAlgError:
        cov = np.full((n_par, n_par), np.inf)
    if not weighted:
        cov = cov * chi2 / dof
    return ACFit(m, sweep, res.x, cov, chi2, bool(res.success), str(res.message))


def fit_ac_all(data: ACData, model: str = "generalized-debye") -> xr.Dataset:
    """Fit every sweep; one Dataset over ``temperature`` (K) with tau, errors, in_window, the data
    and the fitted curves (on a ``point`` axis, NaN-padded). A sweep whose fit fails is flagged
    (fit_ok = 0, NaN values) and the others come out."""
    if model not in AC_MODELS:
        raise ConfigError(f"unknown AC model {model!r}; use one of {', '.join(AC_MODELS)}")
    n = len(data.sweeps)
    npts = max(s.size for s in data.sweeps)
    names = ("tau", "tau_err", "tau_lower", "tau_upper", "alpha", "alpha_err", "chi_S", "chi_S_err",
             "chi_T", "chi_T_err", "tau_2", "tau_2_err", "alpha_2", "reduced_chi2")
    out = {k: np.full(n, np.nan) for k in names}
    flags = {"in_window": np.zeros(n, int), "fit_ok": np.zeros(n, int)}
    grid = {k: np.full((n, npts), np.nan) for k in ("frequency", "chi_p", "chi_pp", "fit_chi_p", "fit_chi_pp")}
    messages = []
    for i, s in enumerate(data.sweeps):
        grid["frequency"][i, : s.size] = s.frequency
        grid["chi_p"][i, : s.size] = s.chi_p
        grid["chi_pp"][i, : s.size] = s.chi_pp
        try:
            fit = fit_ac(s, model)
        except ConfigError as err:
            messages.append(str(err))
            continue
        ok = fit.success and np.all(np.isfinite(fit.covariance.diagonal()))
        if not ok:
            messages.append(f"{s.source}: the fit at {s.temperature:.3g} K failed ({fit.message})")
            continue
        flags["fit_ok"][i] = 1
        flags["in_window"][i] = int(fit.in_window)
        out["tau"][i], out["tau_err"][i] = fit.tau()
        out["tau_lower"][i], out["tau_upper"][i] = fit.tau_range()
        out["alpha"][i], out["alpha_err"][i] = fit.alpha()
        out["chi_S"][i], out["chi_S_err"][i] = fit.chi_S
        out["chi_T"][i], out["chi_T_err"][i] = fit.chi_T
        out["tau_2"][i], out["tau_2_err"][i] = fit.tau(second=True)
        out["alpha_2"][i] = fit.alpha(second=True)[0]
        out["reduced_chi2"][i] = fit.chi2 / max(2 * s.size - len(fit.model.parameters), 1)
        chi = fit.curve(s.frequency)
        grid["fit_chi_p"][i, : s.size], grid["fit_chi_pp"][i, : s.size] = chi.real, -chi.imag
    u = data.units
    long = {
        "tau": ("s", "relaxation time (the larger process of two)"), "tau_err": ("s", "standard error of tau"),
        "tau_lower": ("s", "tau exp(-sigma_ln_tau(alpha))"), "tau_upper": ("s", "tau exp(+sigma_ln_tau(alpha))"),
        "alpha": ("1", "Cole-Cole alpha"), "alpha_err": ("1", "standard error of alpha"),
        "chi_S": (u, "adiabatic susceptibility"), "chi_S_err": (u, "standard error of chi_S"),
        "chi_T": (u, "isothermal susceptibility"), "chi_T_err": (u, "standard error of chi_T"),
        "tau_2": ("s", "relaxation time of the second process (two-debye)"),
        "tau_2_err": ("s", "standard error of tau_2"), "alpha_2": ("1", "alpha of the second process"),
        "reduced_chi2": ("1", "chi^2 per degree of freedom"),
    }
    T = np.array([s.temperature for s in data.sweeps])
    ds = xr.Dataset(
        {k: ("temperature", v, {"units": long[k][0], "long_name": long[k][1]}) for k, v in out.items()}
        | {"in_window": ("temperature", flags["in_window"], {"units": "1", "long_name": "1 if tau lies inside 1/(2 pi nu) of the measured frequencies"}),
           "fit_ok": ("temperature", flags["fit_ok"], {"units": "1", "long_name": "1 if the fit converged"}),
           "frequency": (("temperature", "point"), grid["frequency"], {"units": "Hz", "long_name": "AC frequency"}),
           "chi_p": (("temperature", "point"), grid["chi_p"], {"units": u, "long_name": "chi' measured"}),
           "chi_pp": (("temperature", "point"), grid["chi_pp"], {"units": u, "long_name": "chi'' measured"}),
           "fit_chi_p": (("temperature", "point"), grid["fit_chi_p"], {"units": u, "long_name": "chi' fitted"}),
           "fit_chi_pp": (("temperature", "point"), grid["fit_chi_pp"], {"units": u, "long_name": "chi'' fitted"})},
        coords={"temperature": ("temperature", T, {"units": "K", "long_name": "sweep temperature (mean)"}),
                "field": ("temperature", np.array([s.field for s in data.sweeps]), {"units": "Oe", "long_name": "static field"}),
                "point": ("point", np.arange(npts), {"units": "1"})},
        attrs={"title": f"AC susceptibility, {model}", "ac_model": model, "sources": ", ".join(data.sources),
               "fit_messages": "\n".join(messages), "chi_units": u},
    )
    return ds
