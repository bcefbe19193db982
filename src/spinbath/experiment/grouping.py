"""Rows of a magnetometer file -> isothermal sweeps (AC) or decays (DC).

A sweep is a run of *consecutive* rows whose temperature stays within ``tolerance`` (K) of the
running mean of the run and, when a field column is given, whose field stays within
``field_tolerance`` (Oe) of the run's mean field. Grouping by stability rather than by equal values
lets thermometer jitter and slow drift stay inside one sweep, while a temperature (or field) met
again later in the file, after other rows, starts a sweep of its own, and a field change at constant
temperature (field-dependent AC data) also starts a new sweep.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError

__all__ = ["group_by_temperature", "DEFAULT_TEMPERATURE_TOLERANCE", "DEFAULT_FIELD_TOLERANCE"]

#: K: thermometer readings of one sweep stay within this of the sweep's mean.
DEFAULT_TEMPERATURE_TOLERANCE = 0.1
#: Oe: field readings of one sweep stay within this of the sweep's mean (a set field of a
#: superconducting magnet reads back within a few Oe; field series step by 100 Oe or more).
DEFAULT_FIELD_TOLERANCE = 25.0


def group_by_temperature(temperature, tolerance: float = DEFAULT_TEMPERATURE_TOLERANCE, field=None,
                         field_tolerance: float = DEFAULT_FIELD_TOLERANCE) -> list[np.ndarray]:
    """Indices (into ``temperature``) of the consecutive runs described in the module docstring.

    temperature: K, one value per row, in file order; field: Oe per row (NaN where a row has no
    reading: it neither splits nor moves a run) or None. The running means are kept as sums, so a
    run of n rows costs O(n) (DC decays have thousands of rows).
    """
    T = np.asarray(temperature, float)
    if not tolerance > 0:
        raise ConfigError(f"the temperature tolerance must be > 0 K, got {tolerance}")
    H = None if field is None else np.asarray(field, float)
    if H is not None and H.shape != T.shape:
        raise ConfigError(f"{H.size} field values for {T.size} temperatures")
    if T.size == 0:
        return []
    starts = [0]
    sum_T, n = T[0], 1
    sum_H, n_H = _field_start(H, 0)
    for i in range(1, T.size):
        new = abs(T[i] - sum_T / n) > tolerance
        if not new and H is not None and n_H and np.isfinite(H[i]):
            new = abs(H[i] - sum_H / n_H) > field_tolerance
        if new:
            starts.append(i)
            sum_T, n = T[i], 1
            sum_H, n_H = _field_start(H, i)
        else:
            sum_T += T[i]
            n += 1
            if H is not None and np.isfinite(H[i]):
                sum_H += H[i]
                n_H += 1
    bounds = starts + [T.size]
    return [np.arange(bounds[k], bounds[k + 1]) for k in range(len(starts))]


def _field_start(H, i: int) -> tuple[float, int]:
    """(sum, count) of the finite field readings of a run that starts at row i."""
    if H is None or not np.isfinite(H[i]):
        return 0.0, 0
    return float(H[i]), 1
