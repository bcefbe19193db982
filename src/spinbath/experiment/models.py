"""The Debye family of AC susceptibility models, chi(w) = chi' - i chi'' (w = 2 pi nu, nu in Hz).

    debye              chi_S + (chi_T - chi_S) / (1 + i w tau)
    generalized-debye  chi_S + (chi_T - chi_S) / (1 + (i w tau)^(1 - alpha))              (Cole-Cole)
    havriliak-negami   chi_S + (chi_T - chi_S) / (1 + (i w tau)^(1 - alpha))^beta
    two-debye          chi_S + dchi_1 / (1 + (i w tau_1)^(1 - alpha_1)) + dchi_2 / (1 + (i w tau_2)^(1 - alpha_2))

chi_S (adiabatic) and chi_T (isothermal) in the unit of the data; tau in s, fitted as log10(tau);
0 <= alpha < 1, 0 < beta <= 1. The distribution of relaxation times behind the generalized Debye
law (Cole and Cole) has, in s = ln(tau'/tau),

    g(s) = sin(pi alpha) / (2 pi [cosh((1 - alpha) s) - cos(pi alpha)]),
    standard deviation sigma_ln_tau = (pi / sqrt 3) sqrt(alpha (2 - alpha)) / (1 - alpha),

which :func:`spinbath.experiment.tau_log_sigma` returns; tau exp(+-sigma) is the +-1 sigma range of relaxation times
that alpha implies (the point of Reta and Chilton, Phys. Chem. Chem. Phys. 21, 23567 (2019): a tau
from a broad distribution is not one number).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ACModel", "AC_MODELS", "tau_log_sigma"]


@dataclass(frozen=True)
class ACModel:
    """A model: parameter names (log10 tau for times), bounds, and chi(nu, params)."""

    name: str
    parameters: tuple[str, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]

    def chi(self, frequency, p) -> np.ndarray:
        w = 2 * np.pi * np.asarray(frequency, float)
        v = dict(zip(self.parameters, p))
        if self.name == "two-debye":
            return (v["chi_S"]
                    + v["dchi_1"] / (1 + (1j * w * 10 ** v["log10_tau_1"]) ** (1 - v["alpha_1"]))
                    + v["dchi_2"] / (1 + (1j * w * 10 ** v["log10_tau_2"]) ** (1 - v["alpha_2"])))
        alpha = v.get("alpha", 0.0)
        beta = v.get("beta", 1.0)
        return v["chi_S"] + (v["chi_T"] - v["chi_S"]) / (1 + (1j * w * 10 ** v["log10_tau"]) ** (1 - alpha)) ** beta


_INF = np.inf
AC_MODELS = {
    "debye": ACModel("debye", ("chi_S", "chi_T", "log10_tau"), (-_INF, -_INF, -12.0), (_INF, _INF, 8.0)),
    "generalized-debye": ACModel("generalized-debye", ("chi_S", "chi_T", "log10_tau", "alpha"),
                                 (-_INF, -_INF, -12.0, 0.0), (_INF, _INF, 8.0, 0.95)),
    "havriliak-negami": ACModel("havriliak-negami", ("chi_S", "chi_T", "log10_tau", "alpha", "beta"),
                                (-_INF, -_INF, -12.0, 0.0, 0.05), (_INF, _INF, 8.0, 0.95, 1.0)),
    "two-debye": ACModel("two-debye", ("chi_S", "dchi_1", "log10_tau_1", "alpha_1", "dchi_2", "log10_tau_2", "alpha_2"),
                         (-_INF, 0.0, -12.0, 0.0, 0.0, -12.0, 0.0), (_INF, _INF, 8.0, 0.95, _INF, 8.0, 0.95)),
}


def tau_log_sigma(alpha) -> np.ndarray:
    """Standard deviation of ln tau under the Cole-Cole distribution of the generalized Debye law."""
    a = np.asarray(alpha, float)
    return np.pi / np.sqrt(3.0) * np.sqrt(a * (2 - a)) / (1 - a)
