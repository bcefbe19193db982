"""Effective barrier from the local slope of an Arrhenius plot.

    U_eff(T) = d ln tau / d(1/T)        [K, with k_B = 1],      U_eff(T) k_B  [cm^-1]

For a pure Orbach law tau = tau0 exp(U/T) it is U at every T; where a Raman law C T^n takes over,
ln tau = -ln C - n ln T gives U_eff(T) = n T, so the apparent barrier falls towards low T; a
temperature-independent (QTM) plateau gives 0.

The derivative is taken on the grid x = 1/T as given (sorted), with numpy.gradient's second-order
differences for unevenly spaced points (one-sided second-order formulas at the ends): exact for
ln tau linear in 1/T, error O(h^2 d^3 ln tau / dx^3) otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import ConfigError
from ..units import KB_CM

__all__ = ["LocalBarrier", "local_barrier"]


@dataclass(frozen=True)
class LocalBarrier:
    """U_eff at each temperature T (K, ascending): ``U_K`` in K and ``U_cm`` in cm^-1."""

    T: np.ndarray
    U_K: np.ndarray

    @property
    def U_cm(self) -> np.ndarray:
        return self.U_K * KB_CM


def local_barrier(T, tau) -> LocalBarrier:
    """U_eff(T) = d ln tau / d(1/T) (K) at each point; needs >= 3 points with T, tau > 0 finite."""
    T = np.asarray(T, dtype=float).ravel()
    tau = np.asarray(tau, dtype=float).ravel()
    if T.shape != tau.shape:
        raise ConfigError(f"T and tau have different lengths ({T.size} and {tau.size})")
    if not (np.all(np.isfinite(T)) and np.all(np.isfinite(tau)) and np.all(T > 0) and np.all(tau > 0)):
        raise ConfigError("local barrier: T and tau must be finite and positive")
    order = np.argsort(T)
    T, tau = T[order], tau[order]
    if T.size < 3 or np.any(np.diff(T) <= 0):
        raise ConfigError("local barrier: need at least 3 points at distinct temperatures")
    x = 1.0 / T
    return LocalBarrier(T, np.gradient(np.log(tau), x, edge_order=2))
