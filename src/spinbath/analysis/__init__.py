"""Relaxation-law analysis of tau(T): fits to Orbach, Raman, QTM, direct and vibronic terms; barriers.

    relaxation_laws  the rate forms (rate = 1/tau, s^-1; T in K) and models "orbach+raman+qtm"
    tau_data         reading tau(T) from a text/CSV table or a netCDF results file, validation
    guesses          automatic starting points (Arrhenius slope, QTM plateau, log-log slope)
    fit              weighted least squares on log10(rate), uncertainties from the Jacobian
    arrhenius        local barrier U_eff(T) = d ln tau / d(1/T) (K and cm^-1)
    fit_plot         the figure of a fit
    fit_cli          the ``spinbath fit`` command

Typical use::

    from spinbath.analysis import read_tau_data, fit_relaxation
    result = fit_relaxation(read_tau_data("tau.csv"), "orbach+raman+qtm")
    result.parameters["U_eff"].value, result.derived["U_eff_cm"].value
"""

from .arrhenius import LocalBarrier, local_barrier
from .fit import FitResult, ParameterEstimate, fit_relaxation
from .relaxation_laws import (
    TERMS, Parameter, RelaxationModel, RelaxationTerm, direct_rate, orbach_rate, parse_model, qtm_rate,
    raman_rate, vibronic_factor, vibronic_rate,
)
from .tau_data import TauData, read_tau_data

__all__ = [
    "TERMS", "Parameter", "RelaxationTerm", "RelaxationModel", "parse_model",
    "orbach_rate", "raman_rate", "qtm_rate", "direct_rate", "vibronic_rate", "vibronic_factor",
    "TauData", "read_tau_data", "FitResult", "ParameterEstimate", "fit_relaxation",
    "LocalBarrier", "local_barrier",
]
