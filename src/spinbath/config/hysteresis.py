"""Config of the ``hysteresis`` study: M(H) loops, ZFC/FC curves and blocking temperatures.

    study = "hysteresis"
    temperatures = [2, 10, 20, 40, 60, 80]      # K, one loop each
    [spin] ...  [bath] ...                       # as in spin-phonon
    [loop]     direction, max (T or Oe), points per branch, rate ("20 Oe/s", "0.002 T/s", "1 T/min"),
               spacing ("cubic": denser near zero field, or "linear"), transverse field, tunnel splitting
    [zfc_fc]   field, temperatures, rate ("2 K/min", K/s)
    [blocking] tau ("100 s"), closed_below (loop opening / saturation), reference (a measured T_B, K)
    [method]   order (2, 4 or "2+4"), lineshape, width, secular_tol, resonance_window, max_rotation
    [method.field_nodes]  backend ("process" or "dask"), workers, scheduler: where the rates at the
               field nodes are computed (Dask tasks: spinbath.sweeps.field_nodes)

Rates are converted once here: a field rate to T/s (Oe and G as 1e-4 T, B = mu_0 H in vacuum), a
temperature rate to K/s.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Union

import numpy as np
from pydantic import BeforeValidator, Field, field_validator, model_validator

from ..quantities import to_unit
from ..quantum.orders import study_orders
from ..quantum.spin_phonon import RESONANCE_WINDOW
from .base import EnergyCm, FieldT, StrictModel, TaskBackendConfig, TemperatureK
from .bath import PhononBathConfig
from .grids import TemperatureSpec, temperature_values
from .spin import Direction, SpinConfig

__all__ = ["HysteresisConfig", "LoopConfig", "ZfcFcConfig", "BlockingConfig", "HysteresisMethodConfig",
           "FieldNodesConfig", "per_second"]

_TIME_UNITS = {"s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0, "hr": 3600.0, "ms": 1e-3}


def per_second(value, unit: str) -> float:
    """A rate "<number> <unit>/<time>" (time s, min, h, ms) or a plain number (already in unit/s) in
    ``unit`` per second, > 0. The quantity before the slash is read by :func:`spinbath.quantities.to_unit`
    (so "20 Oe/s" = 0.002 T/s and "2 K/min" = 1/30 K/s)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a rate in {unit}/s, got {value!r}")
    if isinstance(value, (int, float)):
        out = float(value)
    elif isinstance(value, str):
        m = re.match(r"^(.*\S)\s*/\s*([A-Za-z]+)\s*$", value.strip())
        if m is None or m.group(2) not in _TIME_UNITS:
            raise ValueError(f"cannot read {value!r} as a rate: write '<number> <unit>/<time>' with the time "
                             f"in {', '.join(_TIME_UNITS)} (e.g. '20 Oe/s', '0.002 T/s', '2 K/min')")
        out = to_unit(m.group(1), unit) / _TIME_UNITS[m.group(2)]
    else:
        raise ValueError(f"expected a rate in {unit}/s, got {value!r}")
    if not np.isfinite(out) or out <= 0:
        raise ValueError(f"a rate must be finite and > 0 {unit}/s, got {value!r}")
    return out


FieldRate = Annotated[float, BeforeValidator(lambda v: per_second(v, "T"))]
TemperatureRate = Annotated[float, BeforeValidator(lambda v: per_second(v, "K"))]
TimeS = Annotated[float, BeforeValidator(lambda v: to_unit(v, "s"))]

Order = Union[Literal[tuple(int(n) for n in study_orders() if n.isdigit())], Literal[study_orders()]]


class LoopConfig(StrictModel):
    """[loop]: the field swept from +max to -max and back along ``direction`` at ``rate``.

    points: field nodes per branch (a 400-point loop has 200), where the rates are computed;
    spacing "cubic" puts them at B = max (s + 2 s^3) / 3, s even in [-1, 1] (seven times denser at zero
    field than at the ends, three times denser there than "linear"), "linear" evenly. More nodes are inserted (rates computed there too)
    wherever the eigenvectors of neighbouring fields are rotated by more than ``max_rotation`` of
    [method] (avoided crossings: transverse field, tunnel splitting). transverse: a constant field
    (T) along ``transverse_direction`` (perpendicular to ``direction``). tunnel_splitting: an added
    splitting (cm^-1) of the ground doublet at zero field, Delta (|+><-| + |-><+|)/2 between the two
    states of definite moment along ``direction``: a stand-in for hyperfine or intermolecular
    couplings that let the ground doublet tunnel (it is not a property of the bare ion, whose Kramers
    doublet cannot split at zero field).
    """

    direction: Direction = [0.0, 0.0, 1.0]
    max: FieldT = Field(default=7.0, gt=0)
    points: int = Field(default=200, ge=4, le=20000)
    rate: FieldRate = 0.002
    spacing: Literal["cubic", "linear"] = "cubic"
    transverse: FieldT = Field(default=0.0, ge=0)
    transverse_direction: Direction = [1.0, 0.0, 0.0]
    tunnel_splitting: EnergyCm = Field(default=0.0, ge=0)

    @model_validator(mode="after")
    def _perpendicular(self):
        if self.transverse > 0 and abs(float(np.dot(self.direction, self.transverse_direction))) > 1e-9:
            raise ValueError("loop.transverse_direction must be perpendicular to loop.direction")
        return self

    def branch(self) -> np.ndarray:
        """Fields (T) of the down branch, +max to -max (``points`` nodes)."""
        s = np.linspace(1.0, -1.0, self.points)
        return self.max * (s if self.spacing == "linear" else (s + 2 * s**3) / 3)


class ZfcFcConfig(StrictModel):
    """[zfc_fc]: the measuring field (T, along [loop].direction), the temperatures (K) and the rate (K/s)
    at which the sample is cooled (FC) and warmed (ZFC and FC)."""

    field: FieldT = Field(default=0.1, gt=0)
    temperatures: TemperatureSpec = Field(default_factory=lambda: {"start": 2.0, "stop": 80.0, "num": 79},
                                          validate_default=True)
    rate: TemperatureRate = 2.0 / 60.0

    @field_validator("temperatures")
    @classmethod
    def _several(cls, v):
        T = temperature_values(v)
        if T.size < 3:
            raise ValueError("zfc_fc.temperatures needs at least 3 temperatures")
        return v


class BlockingConfig(StrictModel):
    """[blocking]: tau (s) of the tau definition of T_B; the loop counts as closed when its largest
    opening max_B |M_up - M_down| is below ``closed_below`` times the saturation moment; ``reference``:
    a measured blocking temperature (K) drawn on the figure, with its ``reference_label``."""

    tau: TimeS = Field(default=100.0, gt=0)
    closed_below: float = Field(default=0.01, gt=0, lt=1)
    reference: TemperatureK | None = None
    reference_label: str = "measured"


class FieldNodesConfig(TaskBackendConfig):
    """[method.field_nodes]: where the rates at the field nodes (and the ZFC/FC and zero-field models)
    are computed. backend "process" (default): one after the other in this process; "dask": as Dask
    tasks, batches of field nodes (:mod:`spinbath.sweeps.field_nodes`) on a local cluster of
    ``workers`` processes (default one per core) or on ``scheduler``. The command-line options
    --workers N and --scheduler ADDRESS select "dask" too (and win over the keys here),
    ``SPINBATH_SCHEDULER`` comes after both, --serial runs the tasks in this process. The results
    are the same on every backend (to rounding: the same code on the same inputs)."""


class HysteresisMethodConfig(StrictModel):
    """[method]: one order of the spin-phonon rates (2, 4 or "2+4"), lineshape, width (cm^-1),
    secular_tol (cm^-1), resonance_window (line widths), max_rotation (the largest
    1 - max|<a|b>|^2 between the eigenvectors of neighbouring field nodes before a node is inserted),
    and field_nodes (where the rates at the field nodes are computed, :class:`FieldNodesConfig`)."""

    order: Order = "2+4"
    lineshape: Literal["gaussian", "lorentzian"] = "gaussian"
    width: EnergyCm = Field(default=10.0, gt=0)
    secular_tol: EnergyCm = Field(default=1e-4, ge=0)
    resonance_window: float = Field(default=RESONANCE_WINDOW, ge=0)
    max_rotation: float = Field(default=1e-5, gt=0, lt=0.5)
    field_nodes: FieldNodesConfig = FieldNodesConfig()


class HysteresisConfig(StrictModel):
    """``study = "hysteresis"``: [spin], [bath], [loop], [zfc_fc], [blocking], [method], loop temperatures."""

    study: Literal["hysteresis"]
    title: str = "Magnetic hysteresis"
    spin: SpinConfig
    bath: PhononBathConfig
    temperatures: TemperatureSpec
    loop: LoopConfig = LoopConfig()
    zfc_fc: ZfcFcConfig = ZfcFcConfig()
    blocking: BlockingConfig = BlockingConfig()
    method: HysteresisMethodConfig = HysteresisMethodConfig()

    @model_validator(mode="after")
    def _check(self):
        temperature_values(self.temperatures)
        return self
