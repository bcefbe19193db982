"""Config sections of the ``dimer-llg`` study: the spins, the Langevin ensemble, the coupling source.

[spins] also holds the spins' own on-site terms (:class:`spinbath.classical.OnsiteTerms`): a field
``field = [B_x, B_y, B_z]`` (T, or "mT", "kOe"; or Zeeman energies g mu_B B_i such as "0.1 meV",
divided here by g mu_B), the g-factor ``g`` (H_Z = +g mu_B B.S, so with g > 0 the spin's lowest
energy is antiparallel to B), an easy axis (``K_easy_axis`` >= 0 in meV, energy -K (S.n)^2 along
``easy_axis``) and an easy plane (``K_easy_plane`` >= 0 in meV, energy +K (S.n)^2 with n =
``plane_normal``). Both spins get the same terms; spin 1 is pinned, so only spin 2 feels them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Union

import numpy as np
from pydantic import Field, ValidationInfo, field_validator, model_validator

from ..quantities import UnitError, to_unit
from ..units import MUB_MEV
from .base import StrictModel, quantity
from .junction import EnergyMeV, TemperatureK0, VoltageMV, VoltageRange
from .spin import Direction

__all__ = ["DimerSpinsConfig", "LangevinConfig", "DimerBiasConfig", "TimePs", "field_in_tesla"]

TimePs = quantity("ps")


def field_in_tesla(value, g: float) -> list[float]:
    """A field vector [B_x, B_y, B_z] in T from numbers (T), field strings ("0.5 T", "200 mT",
    "10 kOe") or Zeeman energies g mu_B B_i ("0.1 meV", "1 cm^-1", "10 GHz"), divided by g mu_B."""
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"must be a 3-vector [B_x, B_y, B_z] in T (or Zeeman energies g mu_B B like "
                         f"'0.1 meV'), got {value!r}")
    if len(value) != 3:
        raise ValueError(f"must be a 3-vector [B_x, B_y, B_z], got {len(value)} entries ({value!r})")
    out = []
    for i, c in enumerate(value):
        try:
            out.append(to_unit(c, "T"))
        except UnitError:
            try:
                energy = to_unit(c, "meV")
            except UnitError:
                raise ValueError(f"component {i} ({c!r}) is neither a magnetic field (T, mT, G, Oe) "
                                 "nor a Zeeman energy g mu_B B (meV, cm^-1, GHz)") from None
            if not np.isfinite(g):
                raise ValueError(f"component {i} ({c!r}) is a Zeeman energy, which needs a valid g") from None
            out.append(energy / (g * MUB_MEV))
    return out


class DimerSpinsConfig(StrictModel):
    """[spins]: spin length S, s-d exchange Delta (meV), the pinned spin 1 and the start of spin 2,
    and the on-site terms of both spins: g, ``field`` (T), easy axis and easy plane (meV)."""

    S: float = Field(default=1.0, gt=0, le=100)
    Delta: EnergyMeV = Field(default=3.0, gt=0)
    pinned: Direction = Field(default=[0.0, 0.0, 1.0], min_length=3, max_length=3,
                                description="direction of the pinned spin 1")
    initial: Direction = Field(default=[0.0, 0.0, -1.0], min_length=3, max_length=3,
                                 description="direction of the free spin 2 at t = 0")
    g: float = Field(default=2.0, gt=0, le=10, description="g-factor (H_Z = +g mu_B B.S)")
    field: list[float] = Field(default=[0.0, 0.0, 0.0],
                               description="applied field [B_x, B_y, B_z] in T (or Zeeman energies g mu_B B)")
    K_easy_axis: EnergyMeV = Field(default=0.0, ge=0, description="E = -K (S.easy_axis)^2, meV")
    easy_axis: Direction = Field(default=[0.0, 0.0, 1.0], min_length=3, max_length=3)
    K_easy_plane: EnergyMeV = Field(default=0.0, ge=0, description="E = +K (S.plane_normal)^2, meV")
    plane_normal: Direction = Field(default=[0.0, 0.0, 1.0], min_length=3, max_length=3)

    @field_validator("field", mode="before")
    @classmethod
    def _field(cls, v, info: ValidationInfo):
        # Without a valid g (reported under its own key) only fields in T can be read.
        return field_in_tesla(v, info.data.get("g", float("nan")))

    def onsite(self):
        """The :class:`~spinbath.classical.OnsiteTerms` of each spin."""
        from ..classical.onsite import OnsiteTerms

        return OnsiteTerms(S=self.S, g=self.g, B=tuple(self.field), K_axis=self.K_easy_axis,
                           axis=tuple(self.easy_axis), K_plane=self.K_easy_plane,
                           normal=tuple(self.plane_normal))


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

