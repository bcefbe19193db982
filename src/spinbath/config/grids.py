"""Grids of a swept quantity in configs: an explicit list, or ``{start, stop, num[, spacing]}``.

One model serves every study: temperatures (K; spacing "linear", "log" or "inverse"), bias (mV) and
Fermi energy (meV) maps; the ``[field]`` section's inline ``start``/``stop``/``num`` use the same
checks and the same :func:`even_grid`. :func:`grid_values` turns either form into sorted values.
"""

from __future__ import annotations

from typing import Literal, Union

import numpy as np
from pydantic import Field, model_validator

from .base import StrictModel, TemperatureK

__all__ = ["TemperatureGrid", "TemperatureSpec", "range_model", "even_grid", "check_grid_ends",
           "grid_values", "temperature_values"]

#: Spacings an even grid can have: even in the value, in its logarithm, or in its inverse.
SPACINGS = ("linear", "log", "inverse")


def even_grid(start: float, stop: float, num: int, spacing: str = "linear") -> np.ndarray:
    """``num`` values from ``start`` to ``stop`` (both included), evenly spaced in x ("linear"),
    ln x ("log", x > 0) or 1/x ("inverse", x > 0: the natural grid of an Arrhenius plot)."""
    if num == 1:
        return np.array([float(start)])
    if spacing == "linear":
        return np.linspace(start, stop, num)
    if spacing == "log":
        return np.geomspace(start, stop, num)
    if spacing == "inverse":
        return 1.0 / np.linspace(1.0 / start, 1.0 / stop, num)
    raise ValueError(f"spacing must be one of {SPACINGS}, got {spacing!r}")


def check_grid_ends(start: float, stop: float, num: int) -> None:
    """ValueError when a grid of several points has equal ends (a list or num = 1 is meant)."""
    if num > 1 and stop == start:
        raise ValueError("start and stop are equal; use num = 1 or a list")


def range_model(value_type, unit: str, *, name: str, max_num: int, spacings: tuple[str, ...] = ("linear",),
                doc: str | None = None) -> type[StrictModel]:
    """A config model ``{start, stop, num[, spacing]}`` of values in ``unit`` (``value_type``: the
    annotated float type that parses unit strings); ``values()`` gives them in ``unit``."""

    class Range(StrictModel):
        start: value_type
        stop: value_type
        num: int = Field(ge=1, le=max_num)
        spacing: Literal[spacings] = spacings[0]  # type: ignore[valid-type]

        @model_validator(mode="after")
        def _order(self):
            check_grid_ends(self.start, self.stop, self.num)
            return self

        def values(self) -> np.ndarray:
            """The grid values in the model's unit, from start to stop."""
            return even_grid(self.start, self.stop, self.num, self.spacing)

    Range.__name__ = Range.__qualname__ = name
    Range.__doc__ = doc or f"An even grid ``{{start = ..., stop = ..., num = ...}}`` in {unit}."
    return Range


TemperatureGrid = range_model(
    TemperatureK, "K", name="TemperatureGrid", max_num=10000, spacings=SPACINGS,
    doc='''``temperatures = {start = "5 K", stop = "150 K", num = 30, spacing = "inverse"}``.

    spacing: "linear" (even in T), "log" (even in ln T) or "inverse" (even in 1/T, the natural grid
    of an Arrhenius plot). Values in K.
    ''')

TemperatureSpec = Union[list[TemperatureK], TemperatureGrid]


def grid_values(spec) -> np.ndarray:
    """Values of a list or a range model, sorted ascending, duplicates removed; ValueError if
    empty or not finite."""
    v = spec.values() if isinstance(spec, StrictModel) else np.asarray(spec, dtype=float)
    v = np.unique(np.asarray(v, dtype=float))
    if v.size == 0:
        raise ValueError("give at least one value")
    if not np.all(np.isfinite(v)):
        raise ValueError("values must be finite")
    return v


def temperature_values(spec: TemperatureSpec) -> np.ndarray:
    """Temperatures in K, sorted ascending, duplicates removed (ValueError if empty)."""
    if not isinstance(spec, StrictModel) and len(spec) == 0:
        raise ValueError("temperatures: give at least one temperature")
    return grid_values(spec)
