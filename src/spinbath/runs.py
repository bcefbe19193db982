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
    groups, current = [], [0]
    for i in range(1, values.size):
        if abs(values[i] - np.mean(values[current])) <= tolerance:
            current.append(i)
        else:
            groups.append(np.array(current))
            current = [i]
    groups.append(np.array(current))
    return groups
