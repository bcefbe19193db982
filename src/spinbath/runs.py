"""Consecutive runs of close values: thermometer readings of one sweep, degenerate levels."""

from __future__ import annotations

import numpy as np

__all__ = ["consecutive_runs"]


def consecutive_runs(values, tolerance: float) -> list[np.ndarray]:
    """Indices of consecutive runs of ``values`` that stay within ``tolerance`` of the run's mean.

    A value farther than ``tolerance`` from the mean of the current run starts a new one, so slow
    drift within a run is allowed and a value met again after others starts a run of its own.
    """
    values = np.asarray(values, float)
    if values.size == 0:
        return []
    starts = [0]
    total = values[0]  # running sum of the current run: O(n) overall
    for i in range(1, values.size):
        if abs(values[i] - total / (i - starts[-1])) <= tolerance:
            total += values[i]
        else:
            starts.append(i)
            total = values[i]
    bounds = starts + [values.size]
    return [np.arange(a, b) for a, b in zip(bounds[:-1], bounds[1:])]
