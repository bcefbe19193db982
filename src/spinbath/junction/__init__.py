"""Voltage-controlled two-spin junction: Keldysh Green's functions and the spin couplings.

- :mod:`~spinbath.junction.model`: the device, leads and bias (meV, mV).
- :mod:`~spinbath.junction.greens`: G^R, G^A, G^<, G^> of the device.
- :mod:`~spinbath.junction.kernels`: static spin kernel, its frequency slope and the noise.
- :mod:`~spinbath.junction.couplings`: J, D, A, K, damping and noise per Delta^2 (:func:`couplings`).
- :mod:`~spinbath.junction.llg`: the parameter set of the dimer's stochastic LLG.
"""

from spinbath.junction.couplings import couplings, couplings_from_kernels
from spinbath.junction.greens import greens_functions
from spinbath.junction.kernels import SpinKernels, spin_kernels
from spinbath.junction.llg import DimerLLGParameters, llg_parameters
from spinbath.junction.model import JunctionModel

__all__ = [
    "couplings", "couplings_from_kernels", "greens_functions", "SpinKernels", "spin_kernels",
    "DimerLLGParameters", "llg_parameters", "JunctionModel",
]
