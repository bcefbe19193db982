"""What an experimentalist reads off M(H) loops and ZFC/FC curves: coercive field, remanence, loop
opening, and the blocking temperature by its three usual definitions.

    T_B (tau)   tau(T_B) = tau_B (100 s by convention): log tau interpolated linearly in T
    T_B (ZFC)   the temperature of the maximum of the zero-field-cooled M(T) (parabola through the
                largest sample and its neighbours)
    T_B (loop)  the loop-closing temperature: the lowest T at which the largest opening of the loop,
                max_B |M_up(B) - M_down(B)|, falls below a fraction of the saturation moment
                (log opening interpolated linearly in T between the last open and first closed loop)

Fields in T, moments in mu_B, temperatures in K, times in s.
"""

from __future__ import annotations

import numpy as np

__all__ = ["branch_zero", "loop_opening", "tau_blocking_temperature", "zfc_peak_temperature",
           "loop_closing_temperature"]


def branch_zero(fields: np.ndarray, values: np.ndarray) -> float:
    """The field (T) where ``values`` along a branch first changes sign (linear interpolation); NaN if never."""
    f, v = np.asarray(fields, float), np.asarray(values, float)
    s = np.flatnonzero(np.sign(v[:-1]) * np.sign(v[1:]) <= 0)
    s = [k for k in s if v[k] != v[k + 1] or v[k] == 0]
    if not s:
        return float("nan")
    k = s[0]
    if v[k] == v[k + 1]:
        return float(f[k])
    return float(f[k] + (f[k + 1] - f[k]) * v[k] / (v[k] - v[k + 1]))


def loop_opening(down_fields, down_m, up_fields, up_m) -> float:
    """max over fields of |M_up(B) - M_down(B)| (mu_B), the up branch interpolated onto the down branch's fields."""
    order = np.argsort(up_fields)
    up = np.interp(down_fields, np.asarray(up_fields)[order], np.asarray(up_m)[order])
    return float(np.max(np.abs(up - np.asarray(down_m))))


def _first_crossing(T: np.ndarray, y: np.ndarray, level: float) -> float:
    """Lowest T where y (decreasing through ``level``) crosses it, linear interpolation in T; NaN if none."""
    ok = np.isfinite(y)
    T, y = T[ok], y[ok]
    for k in range(T.size - 1):
        if y[k] >= level > y[k + 1]:
            return float(T[k] + (T[k + 1] - T[k]) * (y[k] - level) / (y[k] - y[k + 1]))
    return float("nan")


def tau_blocking_temperature(T, tau, tau_block: float = 100.0) -> float:
    """T_B (K) with tau(T_B) = tau_block (s): log tau linear in T between the bracketing samples."""
    with np.errstate(divide="ignore"):
        return _first_crossing(np.asarray(T, float), np.log(np.asarray(tau, float)), float(np.log(tau_block)))


def zfc_peak_temperature(T, m_zfc) -> float:
    """Temperature (K) of the maximum of the ZFC curve: the vertex of the parabola through the largest
    sample and its two neighbours. NaN when the largest sample is at an end of the grid (the maximum
    lies outside the temperatures computed, or there is none) or the three samples are flat."""
    T, m = np.asarray(T, float), np.asarray(m_zfc, float)
    if T.size < 3 or not np.any(np.isfinite(m)):
        return float("nan")
    k = int(np.nanargmax(m))
    if k == 0 or k == T.size - 1:
        return float("nan")
    c = np.polyfit(T[k - 1:k + 2], m[k - 1:k + 2], 2)
    return float(-c[1] / (2 * c[0])) if c[0] < 0 else float("nan")


def loop_closing_temperature(T, opening, threshold: float) -> tuple[float, float, float]:
    """(T_close, T_last_open, T_first_closed) in K: the interpolated temperature where the opening (same
    unit as threshold) falls below ``threshold`` and the loop temperatures bracketing it (the
    resolution of the estimate). NaN when no loop is closed, or the first one already is."""
    T, op = np.asarray(T, float), np.asarray(opening, float)
    closed = np.flatnonzero(op < threshold)
    if closed.size == 0 or closed[0] == 0:
        return float("nan"), float("nan"), float(T[0]) if closed.size else float("nan")
    k = int(closed[0])
    with np.errstate(divide="ignore"):
        t = _first_crossing(T[k - 1:k + 1], np.log(np.maximum(op[k - 1:k + 1], 1e-300)), float(np.log(threshold)))
    return t, float(T[k - 1]), float(T[k])
