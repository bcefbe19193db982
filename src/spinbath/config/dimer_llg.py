"""Config sections of the ``dimer-llg`` study: the spins, the Langevin ensemble, the coupling source."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Union

from pydantic import Field, ValidationInfo, field_validator, model_validator

from .base import StrictModel, quantity
from .junction import EnergyMeV, TemperatureK0, VoltageMV, VoltageRange
from .spin import Direction

__all__ = ["DimerSpinsConfig", "LangevinConfig", "DimerBiasConfig", "TimePs"]

TimePs = quantity("ps")


class DimerSpinsConfig(StrictModel):
    """[spins]: spin length S, s-d exchange Delta (meV), the pinned spin 1 and the start of spin 2."""

    S: float = Field(default=1.0, gt=0, le=100)
    Delta: EnergyMeV = Field(default=3.0, gt=0)
    pinned: Direction = Field(default=[0.0, 0.0, 1.0], min_length=3, max_length=3,
                                description="direction of the pinned spin 1")
    initial: Direction = Field(default=[0.0, 0.0, -1.0], min_length=3, max_length=3,
                                 description="direction of the free spin 2 at t = 0")


class LangevinConfig(StrictModel):
    """[langevin]: the ensemble. Times in ps (hbar S / meV = 0.658 S ps is the reduced unit)."""

    trajectories: int = Field(default=1000, ge=2, le=1_000_000)
    dt: TimePs = Field(default=0.01, gt=0)
    t_end: TimePs = Field(default=100.0, gt=0)
    average_from: float = Field(default=0.5, ge=0, lt=1,
                                description="fraction of t_end after which <m> is time-averaged")
    samples: int = Field(default=50, ge=1, le=10_000, description="saved times per trajectory")
    method: Literal["heun", "midpoint"] = "heun"
    seed: int = Field(default=2024, ge=0)
    drift_correction: bool = True
    keep_trajectories: int = Field(default=3, ge=0, le=100,
                                   description="sample trajectories stored per bias (first ones)")

    @model_validator(mode="after")
    def _steps(self):
        if self.dt >= self.t_end:
            raise ValueError(f"dt = {self.dt} ps must be smaller than t_end = {self.t_end} ps")
        if self.t_end / self.dt > 5e7:
            raise ValueError(f"t_end/dt = {self.t_end / self.dt:.3g} steps is too many (max 5e7)")
        return self


class DimerBiasConfig(StrictModel):
    """[bias]: the bias points (mV), the Fermi energy (meV) and the electron temperature (K).

    ``couplings_file``: a results file of the ``junction-couplings`` study to take the couplings
    from (its V grid must contain every V here, its mu_F grid the mu_F here); without it they are
    computed from the [junction] section.
    """

    V: Union[list[VoltageMV], VoltageRange] = VoltageRange(start=-6.0, stop=6.0, num=25)
    mu_F: EnergyMeV = 0.0
    temperature: TemperatureK0 = 1.0
    couplings_file: str | None = None

    @field_validator("couplings_file")
    @classmethod
    def _file(cls, v, info: ValidationInfo):
        if v is None:
            return v
        base = (info.context or {}).get("base_dir") if info.context else None
        p = Path(v) if Path(v).is_absolute() or base is None else Path(base) / v
        if not p.is_file():
            raise ValueError(f"file {v!r} does not exist")
        return str(p)

