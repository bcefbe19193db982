"""Measured data in: AC susceptibility and DC magnetization decays from magnetometer files.

    read_ac(path, mass_mg=..., molar_mass=...) -> ACData      isothermal frequency sweeps (readers)
    group_by_temperature(T, tolerance, field)                 rows -> sweeps (grouping)
    fit_ac(sweep, model) -> ACFit                             one sweep, Debye family (ac_fit, models)
    fit_ac_all(data, model) -> xarray.Dataset                 tau(T), alpha, chi_S, chi_T, in_window, curves
    read_dc(path) -> list[DCDecay]; fit_dc(decay) -> DCFit; fit_dc_all(decays) -> xarray.Dataset

Units: temperature K, field Oe, frequency Hz, time and tau s, chi in emu/Oe (per sample) or
cm^3/mol (molar). Bad input raises :class:`spinbath.errors.ConfigError` naming the file (and the
column or line). The command line: ``spinbath ac FILE... --out ac.nc --plot ac.png`` and
``spinbath dc FILE...``; ``spinbath fit ac.nc`` then fits the relaxation laws to the in-window taus.
"""

from .ac_fit import ACFit, fit_ac, fit_ac_all
from .dc_fit import DCFit, fit_dc, fit_dc_all
from .grouping import group_by_temperature
from .models import AC_MODELS, ACModel, tau_log_sigma
from .readers import ACData, ACSweep, DCDecay, read_ac, read_dc

__all__ = [
    "ACData", "ACSweep", "read_ac", "group_by_temperature", "ACFit", "fit_ac", "fit_ac_all",
    "AC_MODELS", "ACModel", "tau_log_sigma", "DCDecay", "DCFit", "read_dc", "fit_dc", "fit_dc_all",
]
