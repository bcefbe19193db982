"""Automatic starting points for tau(T) fits, read off the data the way one reads an Arrhenius plot.

Each term takes its start from the part of the curve it usually dominates (data sorted by T,
rate = 1/tau in s^-1):

    orbach, vibronic   slope of ln(rate) vs 1/T over the hottest quarter (>= 3 points):
                       U_eff = -slope (K), tau0 from the intercept; w = k_B U_eff (cm^-1)
    qtm                tau_QTM = tau averaged (in log) over the 3 coldest points (the plateau)
    raman              log-log slope n of rate vs T over the middle half, clipped to [1, 9];
                       C so that C T^n passes through the middle points
    direct, direct_h   A so that A T passes through the coldest quarter; m = 0

A single start can land in the wrong basin (a Raman term that takes over the Orbach region, a
barrier from a curved tail), so :func:`starting_points` adds variations: other Raman exponents,
the barrier from the hottest 3 points and from the hottest half, and every prefactor shifted by
+-1 decade. The fit runs from each and keeps the lowest chi^2.
"""

from __future__ import annotations

import numpy as np

from ..units import KB_CM
from .relaxation_laws import LN10, RelaxationModel
from .tau_data import TauData

__all__ = ["initial_guess", "starting_points"]


def _arrhenius(T: np.ndarray, ln_rate: np.ndarray, k: int) -> tuple[float, float]:
    """(U in K, log10 tau0) from the k hottest points; a small positive U if the slope is not activated."""
    k = max(2, min(k, T.size))
    x, y = 1.0 / T[-k:], ln_rate[-k:]
    slope, intercept = np.polyfit(x, y, 1)
    U = -slope
    if not np.isfinite(U) or U < 0.5 * T[-1]:
        # Not (yet) activated at the hottest points: start from a barrier of a few k_B T_max.
        U = 5.0 * T[-1]
        intercept = y[-1] + U / T[-1]
    return float(U), float(-intercept / LN10)


def _term_guess(name: str, data: TauData, ln_rate: np.ndarray, *, n_raman: float | None = None,
                hot: int | None = None) -> list[float]:
    T, N = data.T, data.size
    quarter = max(3, N // 4)
    if name in ("orbach", "vibronic"):
        U, lt0 = _arrhenius(T, ln_rate, hot or quarter)
        return [lt0, U if name == "orbach" else U * KB_CM]
    if name == "qtm":
        return [float(-np.mean(ln_rate[: min(3, N)]) / LN10)]
    if name == "raman":
        lo, hi = N // 4, max(N // 4 + 2, N - N // 4)
        lnT, y = np.log(T[lo:hi]), ln_rate[lo:hi]
        n = n_raman
        if n is None:
            n = np.polyfit(lnT, y, 1)[0] if lnT.size >= 2 and np.ptp(lnT) > 0 else 3.0
            n = float(np.clip(n, 1.0, 9.0))
        return [float(np.mean(y - n * lnT) / LN10), float(n)]
    if name in ("direct", "direct_h"):
        lA = float(np.mean(ln_rate[:quarter] - np.log(T[:quarter])) / LN10)
        return [lA] if name == "direct" else [lA, 0.0]
    raise ValueError(f"no initial guess for term {name!r}")


def initial_guess(model: RelaxationModel, data: TauData, **kw) -> np.ndarray:
    """Starting fitted coordinates for ``model`` on ``data`` (see the module docstring)."""
    ln_rate = np.log(data.rate)
    theta = np.concatenate([_term_guess(t.name, data, ln_rate, **kw) for t in model.terms])
    lo, hi = model.bounds
    return np.clip(theta, lo, np.where(np.isfinite(hi), hi, np.inf))


def starting_points(model: RelaxationModel, data: TauData, max_starts: int = 16) -> list[np.ndarray]:
    """The base guess and its variations (distinct, at most ``max_starts``)."""
    names = [t.name for t in model.terms]
    starts = [initial_guess(model, data)]
    if "raman" in names:
        starts += [initial_guess(model, data, n_raman=n) for n in (2.0, 4.0, 6.0, 9.0)]
    if "orbach" in names or "vibronic" in names:
        starts += [initial_guess(model, data, hot=h) for h in (3, max(3, data.size // 2))]
    base = starts[0]
    logs = np.array([p.log for p in model.parameters])
    for shift in (-1.0, 1.0):
        starts.append(base + shift * logs)
    unique: list[np.ndarray] = []
    for s in starts:
        if not any(np.allclose(s, u, rtol=1e-6, atol=1e-9) for u in unique):
            unique.append(s)
    return unique[:max_starts]
