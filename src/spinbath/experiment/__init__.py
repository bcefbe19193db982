"""Measured data in: AC susceptibility and DC magnetization decays from magnetometer files.

    read_ac(path, mass_mg=..., molar_mass=...) -> ACData      isothermal frequency sweeps
    fit_ac(sweep, model) -> ACFit                             one sweep, Debye family
    fit_ac_all(data, model) -> xarray.Dataset                 tau(T), alpha, chi_S, chi_T, in_window, curves
    read_dc(path) -> list[DCDecay]; fit_dc(decay) -> DCFit; fit_dc_all(decays) -> xarray.Dataset

The command line: ``spinbath ac FILE... --out ac.nc --plot ac.png`` and ``spinbath dc FILE...``;
``spinbath fit ac.nc`` then fits the relaxation laws to the in-window taus.
"""

from .ac_data import ACData, ACSweep, group_by_temperature, read_ac
from .ac_fit import ACFit, fit_ac, fit_ac_all
from .dc import DCDecay, DCFit, fit_dc, fit_dc_all, read_dc
from .models import AC_MODELS, ACModel, tau_log_sigma

__all__ = [
    "ACData", "ACSweep", "read_ac", "group_by_temperature", "ACFit", "fit_ac", "fit_ac_all",
    "AC_MODELS", "ACModel", "tau_log_sigma", "DCDecay", "DCFit", "read_dc", "fit_dc", "fit_dc_all",
]
