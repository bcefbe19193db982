"""Models of measured relaxation: the Debye family for AC susceptibility, the stretched exponential for
DC decays, and the spread of relaxation times each one implies.

AC susceptibility, chi(nu) = chi'(nu) - i chi''(nu) (chi'' > 0), w = 2 pi nu with nu in Hz:

    debye              chi_S + (chi_T - chi_S) / (1 + i w tau)
    generalized-debye  chi_S + (chi_T - chi_S) / (1 + (i w tau)^(1 - alpha))                (Cole-Cole)
    havriliak-negami   chi_S + (chi_T - chi_S) / (1 + (i w tau)^(1 - alpha))^beta
    two-debye          chi_S + dchi_1 / (1 + (i w tau_1)^(1 - alpha_1)) + dchi_2 / (1 + (i w tau_2)^(1 - alpha_2))

chi_S (adiabatic, nu -> infinity) and chi_T (isothermal, nu -> 0; for two processes
chi_T = chi_S + dchi_1 + dchi_2) carry the unit of the data (emu/Oe or cm^3/mol); tau in s, fitted
as log10(tau / s); 0 <= alpha <= 0.95 and 0.05 <= beta <= 1 (dimensionless).

DC decays after a field step, t in s from the first point of the decay, M in the file's unit:

    M(t) = M_eq + (M_0 - M_eq) exp(-(t / tau)^beta),       0.05 <= beta <= 1.

Spread of relaxation times (tau_lower, tau_upper). A generalized Debye law is a superposition of
Debye processes with a distribution of ln tau (Cole and Cole); a stretched exponential likewise.
Reta and Chilton (Phys. Chem. Chem. Phys. 21, 23567 (2019)) approximate both by log-normal
distributions of tau around the fitted tau and report the +-1 sigma range tau exp(+-sigma):

    generalized Debye (alpha):      sigma_ln_tau = 1.82 sqrt(alpha) / (1 - alpha)
    stretched exponential (beta):   sigma_ln_tau = 1.64 tan(pi (1 - beta) / 2) / (1 - beta)^0.141

(``tau_log_sigma``, ``stretched_log_sigma``; both vanish for a single exponential).
For the Havriliak-Negami law, which has no such formula, the range is the central 68.27 %
(the +-1 sigma probability of a normal law) of its exact, asymmetric distribution of
s = ln(tau' / tau) (``hn_distribution``, ``hn_log_quantiles``):

    G(s) = y^(a b) sin(b theta) / (pi (y^(2a) + 2 y^a cos(pi a) + 1)^(b/2)),    y = e^s, a = 1 - alpha, b = beta,
    theta = atan2(sin(pi a), y^a + cos(pi a)) in [0, pi],

so that chi = chi_S + (chi_T - chi_S) int G(s) ds / (1 + i w tau e^s); at beta = 1 it is the Cole-Cole
distribution sin(pi alpha) / (2 pi (cosh((1 - alpha) s) - cos(pi alpha))).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "ACModel", "AC_MODELS", "tau_log_sigma", "stretched_log_sigma", "hn_distribution", "hn_log_quantiles",
    "stretched_exponential", "ONE_SIGMA",
]

#: Probability of |x| < 1 sigma for a normal law: the central fraction reported as the "+-1 sigma" range.
ONE_SIGMA = 0.6826894921370859

_INF = np.inf
#: log10(tau / s) bounds of the fits: 1 ps to 3 years, far outside any magnetometer's window.
LOG10_TAU_BOUNDS = (-12.0, 8.0)
ALPHA_MAX = 0.95
BETA_MIN = 0.05


@dataclass(frozen=True)
class ACModel:
    """A Debye-family model: its name, the fitted parameters (``log10_tau`` for times, tau in s),
    their bounds, and chi(nu) = chi' - i chi'' (``chi``)."""

    name: str
    parameters: tuple[str, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]

    @property
    def n_processes(self) -> int:
        return 2 if self.name == "two-debye" else 1

    def chi(self, frequency, p) -> np.ndarray:
        """Complex chi = chi' - i chi'' at ``frequency`` (Hz) for parameters ``p`` (in the order of
        ``parameters``; chi in the unit of chi_S, tau as log10(tau / s))."""
        w = 2 * np.pi * np.asarray(frequency, float)
        v = dict(zip(self.parameters, p))
        if self.name == "two-debye":
            return (v["chi_S"]
                    + v["dchi_1"] / (1 + (1j * w * 10 ** v["log10_tau_1"]) ** (1 - v["alpha_1"]))
                    + v["dchi_2"] / (1 + (1j * w * 10 ** v["log10_tau_2"]) ** (1 - v["alpha_2"])))
        alpha = v.get("alpha", 0.0)
        beta = v.get("beta", 1.0)
        return v["chi_S"] + (v["chi_T"] - v["chi_S"]) / (1 + (1j * w * 10 ** v["log10_tau"]) ** (1 - alpha)) ** beta

    def jacobian(self, frequency, p) -> np.ndarray:
        """d chi / d p, complex, shape (len(frequency), len(parameters)), analytic: with
        z = (i w tau)^(1 - alpha) and D = (1 + z)^-beta, dD/dz = -beta D / (1 + z),
        dz/dlog10_tau = (1 - alpha) ln(10) z, dz/dalpha = -z ln(i w tau), dD/dbeta = -ln(1 + z) D."""
        w = 2 * np.pi * np.asarray(frequency, float)
        v = dict(zip(self.parameters, p))
        out = np.zeros((w.size, len(self.parameters)), complex)
        col = {name: k for k, name in enumerate(self.parameters)}

        def process(amplitude, log10_tau, alpha, beta, suffix):
            log_iwt = np.log(w * 10**log10_tau) + 0.5j * np.pi
            z = np.exp((1 - alpha) * log_iwt)
            D = (1 + z) ** (-beta)
            dD_dz = -beta * D / (1 + z)
            out[:, col["log10_tau" + suffix]] = amplitude * dD_dz * (1 - alpha) * np.log(10.0) * z
            if "alpha" + suffix in col:
                out[:, col["alpha" + suffix]] = amplitude * dD_dz * (-z * log_iwt)
            if "beta" + suffix in col:
                out[:, col["beta" + suffix]] = -amplitude * np.log1p(z) * D
            return D

        if self.name == "two-debye":
            out[:, col["chi_S"]] = 1.0
            for k in ("_1", "_2"):
                out[:, col["dchi" + k]] = process(v["dchi" + k], v["log10_tau" + k], v["alpha" + k], 1.0, k)
            return out
        D = process(v["chi_T"] - v["chi_S"], v["log10_tau"], v.get("alpha", 0.0), v.get("beta", 1.0), "")
        out[:, col["chi_S"]] = 1 - D
        out[:, col["chi_T"]] = D
        return out


_LT = LOG10_TAU_BOUNDS
AC_MODELS: dict[str, ACModel] = {
    "debye": ACModel("debye", ("chi_S", "chi_T", "log10_tau"), (-_INF, -_INF, _LT[0]), (_INF, _INF, _LT[1])),
    "generalized-debye": ACModel("generalized-debye", ("chi_S", "chi_T", "log10_tau", "alpha"),
                                 (-_INF, -_INF, _LT[0], 0.0), (_INF, _INF, _LT[1], ALPHA_MAX)),
    "havriliak-negami": ACModel("havriliak-negami", ("chi_S", "chi_T", "log10_tau", "alpha", "beta"),
                                (-_INF, -_INF, _LT[0], 0.0, BETA_MIN), (_INF, _INF, _LT[1], ALPHA_MAX, 1.0)),
    "two-debye": ACModel("two-debye",
                         ("chi_S", "dchi_1", "log10_tau_1", "alpha_1", "dchi_2", "log10_tau_2", "alpha_2"),
                         (-_INF, 0.0, _LT[0], 0.0, 0.0, _LT[0], 0.0),
                         (_INF, _INF, _LT[1], ALPHA_MAX, _INF, _LT[1], ALPHA_MAX)),
}


def tau_log_sigma(alpha) -> np.ndarray:
    """Width of ln tau implied by the Cole-Cole alpha, Reta and Chilton's log-normal approximation:
    sigma_ln_tau = 1.82 sqrt(alpha) / (1 - alpha) (dimensionless; tau exp(+-sigma) is the +-1 sigma range)."""
    a = np.asarray(alpha, float)
    return 1.82 * np.sqrt(a) / (1 - a)


def stretched_log_sigma(beta) -> np.ndarray:
    """Width of ln tau implied by a stretched exponential's beta, Reta and Chilton's log-normal
    approximation: sigma_ln_tau = 1.64 tan(pi (1 - beta) / 2) / (1 - beta)^0.141 (0 at beta = 1)."""
    b = np.asarray(beta, float)
    one_minus = np.clip(1 - b, 1e-300, None)
    return np.where(b >= 1, 0.0, 1.64 * np.tan(np.pi * one_minus / 2) / one_minus**0.141)


def hn_distribution(s, alpha: float, beta: float) -> np.ndarray:
    """Havriliak-Negami distribution G(s) of s = ln(tau' / tau) (per unit s, integrates to 1; module
    docstring). beta = 1 gives Cole-Cole, alpha = 0 Cole-Davidson (G = 0 for s > 0)."""
    a, b = 1.0 - float(alpha), float(beta)
    s = np.asarray(s, float)
    L = a * s
    c = np.cos(np.pi * a)
    theta = np.arctan2(np.sin(np.pi * a), np.exp(np.clip(L, -700, 700)) + c)
    # log(y^(2a) + 2 y^a cos(pi a) + 1), finite for any s: factor out y^(2a) where y^a > 1
    u = np.exp(-np.abs(L))
    log_den = 2 * np.maximum(L, 0) + np.log1p(2 * c * u + u * u)
    log_ratio = b * L - 0.5 * b * log_den
    return np.exp(log_ratio) * np.sin(b * theta) / np.pi


def hn_log_quantiles(alpha: float, beta: float, fraction: float = ONE_SIGMA) -> tuple[float, float]:
    """(s_lo, s_hi): the central ``fraction`` of the Havriliak-Negami distribution of s = ln(tau'/tau).

    Cumulative integral of :func:`hn_distribution` on the grid s = c sinh(x), c = alpha (at least
    1e-4), dense where the distribution peaks (width ~ alpha around s = 0) and reaching
    |s| ~ 80 / ((1 - alpha) beta). At alpha = 0 (Cole-Davidson) the distribution of y = e^s is
    sin(pi beta)/pi y^(beta-1) (1-y)^(-beta) on 0 < y < 1, whose cumulative distribution is the
    regularized incomplete beta function I_y(beta, 1 - beta); its quantiles are used directly.
    """
    from scipy.special import betaincinv

    a, b = 1.0 - float(alpha), float(beta)
    lo, hi = (1 - fraction) / 2, (1 + fraction) / 2
    if b >= 1 - 1e-12 and alpha < 1e-12:
        return 0.0, 0.0  # Debye: one relaxation time
    if alpha < 1e-6:
        return float(np.log(betaincinv(b, 1 - b, lo))), float(np.log(betaincinv(b, 1 - b, hi)))
    c = min(max(float(alpha), 1e-4), 1.0)
    reach = 80.0 / max(a * b, 1e-3)
    x = np.linspace(-np.arcsinh(reach / c), np.arcsinh(reach / c), 40000)
    s = c * np.sinh(x)
    g = hn_distribution(s, alpha, beta) * c * np.cosh(x)  # density per unit x
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (g[1:] + g[:-1]) * np.diff(x))])
    cdf /= cdf[-1]
    return float(np.interp(lo, cdf, s)), float(np.interp(hi, cdf, s))


def stretched_exponential(t, M_eq: float, M_0: float, tau: float, beta: float) -> np.ndarray:
    """M(t) = M_eq + (M_0 - M_eq) exp(-(t / tau)^beta): t and tau in s, M in the unit of M_eq and M_0."""
    t = np.asarray(t, float)
    return M_eq + (M_0 - M_eq) * np.exp(-((np.clip(t, 0, None) / tau) ** beta))
