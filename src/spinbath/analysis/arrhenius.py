"""Arrhenius analysis of relaxation times: the one home of the barrier fits.

:func:`arrhenius_fit` is the least-squares line ln tau = ln tau_0 + U/T over given points;
:func:`local_barrier` and :func:`log_slopes` are the local slopes on a grid.

Effective barrier from the local slope of an Arrhenius plot:

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

from ..errors import ConfigError
from ..units import KB_CM

__all__ = ["ArrheniusFit", "LocalBarrier", "arrhenius_fit", "local_barrier", "log_slopes"]


@dataclass(frozen=True)
class LocalBarrier:
    """U_eff at each temperature T (K, ascending): ``U_K`` in K and ``U_cm`` in cm^-1."""

    T: np.ndarray
    U_K: np.ndarray

    @property
    def U_cm(self) -> np.ndarray:
        return self.U_K * KB_CM


def local_barrier(T, tau) -> LocalBarrier:
    """U_eff(T) = d ln tau / d(1/T) (K) at each point; needs >= 3 points with T, tau > 0 finite.

    Second-order differences on the grid 1/T (module docstring); for tau = tau_0 exp(U/T) it is U,
    for a Raman law tau ~ T^-n it is n T (Gu & Wu, Phys. Rev. Lett. 125, 117203 (2020),
    doi:10.1103/PhysRevLett.125.117203).
    """
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


@dataclass(frozen=True)
class ArrheniusFit:
    """Least-squares Orbach line ln tau = ln tau_0 + U / T: ``U_K`` (K), ``tau0`` (s, units of tau).

    ``U_cm`` is U k_B in cm^-1. Both are NaN when fewer than 2 points were fitted.
    """

    U_K: float
    tau0: float

    @property
    def U_cm(self) -> float:
        return self.U_K * KB_CM


def arrhenius_fit(T, tau) -> ArrheniusFit:
    """Fit ln tau = ln tau_0 + U / T (T in K, U in K with k_B = 1) by least squares in x = 1/T.

    Orbach law tau = tau_0 exp(U / k_B T) (e.g. Gu & Wu, Phys. Rev. Lett. 125, 117203 (2020),
    doi:10.1103/PhysRevLett.125.117203). All given points are used (select them before calling);
    the points must be finite with tau > 0. NaN for fewer than 2 points.
    """
    T = np.asarray(T, dtype=float).ravel()
    tau = np.asarray(tau, dtype=float).ravel()
    if T.size < 2:
        return ArrheniusFit(float("nan"), float("nan"))
    slope, icpt = np.polyfit(1.0 / T, np.log(tau), 1)
    return ArrheniusFit(float(slope), float(np.exp(icpt)))


def log_slopes(T, tau) -> tuple[np.ndarray, np.ndarray]:
    """(U_eff in K, n): d ln tau / d(1/T) and -d ln tau / d ln T on the grid T (K) as given.

    numpy.gradient's second-order central differences (first-order at the ends); NaN where a
    difference stencil touches a tau that is not finite and positive, and everywhere with fewer than 2 points. For
    tau = tau_0 exp(U/T) the first is U; for a Raman law tau ~ T^-n the second is n.
    """
    T = np.asarray(T, float)
    tau = np.asarray(tau, float)
    lt = np.log(np.where(np.isfinite(tau) & (tau > 0), tau, np.nan))
    if T.size < 2:
        return np.full(T.shape, np.nan), np.full(T.shape, np.nan)
    with np.errstate(invalid="ignore"):
        U = np.gradient(lt, 1.0 / T)
        n = -np.gradient(lt, np.log(T))
    return U, n
