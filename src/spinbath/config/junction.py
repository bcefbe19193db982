"""Config sections of the junction studies: the junction ([junction]) and the bias grid ([bias]).

Reference: Leiva, Diaz and Nunez, Phys. Rev. B 107, 094401 (2023), doi:10.1103/PhysRevB.107.094401.

Energies in meV, bias in mV, temperature in K (T = 0 allowed); unit strings such as "2 meV",
"-5 mV" or "300 mK" are converted here.
"""

from __future__ import annotations

from typing import Annotated, Union

import numpy as np
from pydantic import BeforeValidator, Field, field_validator

from ..quantities import to_unit
from .base import StrictModel, quantity
from .grids import grid_values, range_model
from .spin import Direction

__all__ = ["JunctionConfig", "BiasConfig", "EnergyMeV", "VoltageMV", "TemperatureK0", "grid_values"]

EnergyMeV = quantity("meV")
VoltageMV = quantity("mV")


def _nonnegative_temperature(v):
    t = to_unit(v, "K")
    if not np.isfinite(t) or t < 0:
        raise ValueError(f"temperature must be >= 0 K (absolute), got {v!r}")
    return t


TemperatureK0 = Annotated[float, BeforeValidator(_nonnegative_temperature)]


VoltageRange = range_model(VoltageMV, "mV", name="Range_mV", max_num=2001)
EnergyRange = range_model(EnergyMeV, "meV", name="Range_meV", max_num=2001)


class JunctionConfig(StrictModel):
    """[junction]: leads and device in meV (defaults: the junction with weak SOC).

    ``t`` is one spin-orbit hopping or a list (e.g. ``[0.1, 1.0]`` for t = 0.05 t0 and 0.5 t0), each
    computed as its own map.
    """

    t_e: EnergyMeV = Field(default=100.0, gt=0)
    t_L: EnergyMeV = Field(default=10.0, ge=0)
    t_R: EnergyMeV = Field(default=10.0, ge=0)
    t0: EnergyMeV = 2.0
    t: Union[EnergyMeV, list[EnergyMeV]] = 0.1
    t_hat: Direction = Field(default=[1.0, 0.0, 0.0], min_length=3, max_length=3)
    eps0: EnergyMeV = 0.0

    @field_validator("t")
    @classmethod
    def _soc(cls, v):
        values = v if isinstance(v, list) else [v]
        if not values:
            raise ValueError("give at least one spin-orbit hopping t")
        if not np.all(np.isfinite(values)):
            raise ValueError("t must be finite")
        return v

    def soc_values(self) -> list[float]:
        return list(self.t) if isinstance(self.t, list) else [self.t]

    def model(self, t: float):
        from ..junction.model import JunctionModel

        return JunctionModel(t_e=self.t_e, t_L=self.t_L, t_R=self.t_R, t0=self.t0, t=t,
                             t_hat=tuple(self.t_hat), eps0=self.eps0)


class BiasConfig(StrictModel):
    """[bias]: the (V, mu_F) map and the temperature.

    V: bias in mV (list or ``{start, stop, num}``); mu_F: Fermi energy in meV (same forms);
    temperature: K, 0 allowed; cut_mu_F: the Fermi energy of the line cuts vs V (nearest grid value).
    """

    V: Union[list[VoltageMV], VoltageRange] = VoltageRange(start=-10.0, stop=10.0, num=41)
    mu_F: Union[list[EnergyMeV], EnergyRange] = EnergyRange(start=-6.0, stop=6.0, num=41)
    temperature: TemperatureK0 = 0.0
    cut_mu_F: EnergyMeV = 0.0

    @field_validator("V", "mu_F")
    @classmethod
    def _nonempty(cls, v):
        grid_values(v)
        return v
