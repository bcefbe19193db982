"""Temperature grids for studies that sweep T: an explicit list or an even grid in T, log T or 1/T."""

from __future__ import annotations

from typing import Literal, Union

import numpy as np
from pydantic import Field, model_validator

from .base import StrictModel, TemperatureK

__all__ = ["TemperatureGrid", "TemperatureSpec", "temperature_values"]


class TemperatureGrid(StrictModel):
    """``temperatures = {start = "5 K", stop = "150 K", num = 30, spacing = "inverse"}``.

    spacing: "linear" (even in T), "log" (even in ln T) or "inverse" (even in 1/T, the natural grid
    of an Arrhenius plot). Values in K, ascending in the output.
    """

    start: TemperatureK
    stop: TemperatureK
    num: int = Field(ge=1, le=10000)
    spacing: Literal["linear", "log", "inverse"] = "linear"

    @model_validator(mode="after")
    def _order(self):
        if self.num > 1 and self.stop == self.start:
            raise ValueError("start and stop are equal; use num = 1 or a list")
        return self

    def values(self) -> np.ndarray:
        a, b = sorted((self.start, self.stop))
        if self.num == 1:
            return np.array([a])
        if self.spacing == "linear":
            return np.linspace(a, b, self.num)
        if self.spacing == "log":
            return np.geomspace(a, b, self.num)
        return np.sort(1.0 / np.linspace(1.0 / a, 1.0 / b, self.num))


TemperatureSpec = Union[list[TemperatureK], TemperatureGrid]


def temperature_values(spec: TemperatureSpec) -> np.ndarray:
    """Temperatures in K, sorted ascending, duplicates removed (ValueError if empty)."""
    t = spec.values() if isinstance(spec, TemperatureGrid) else np.asarray(spec, dtype=float)
    t = np.unique(t)
    if t.size == 0:
        raise ValueError("temperatures: give at least one temperature")
    return t
