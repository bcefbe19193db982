"""Classical and mean-field spin dynamics.

Modules:
    mean_field_chain    product-state (mean-field) dynamics of the open spin-1/2 chain: the
                        generalized Landau-Lifshitz equation, steady states, hysteresis loops
    paper_mean_field    the open-Heisenberg paper's Eqs. 12-14 as printed (`PaperMeanFieldChain`),
                        term by term against the consistent first moments
    swept_mean_field    `SweptMeanFieldChain`: the mean-field chain in a swept field with the
                        field-following Davies bath (comparison curve of the exact SweptChain)
    stoner_wohlfarth    the Stoner-Wohlfarth particle: energy, branch-following minimization,
                        switching field and astroid, hysteresis loops; the `HysteresisLoop` container
    spin_model          `ClassicalSpinModel`: M unit vectors, linear fields H = L m + h (Zeeman,
                        anisotropy, exchange/DM/anisotropic exchange, non-conservative W), damping
                        matrix alpha, pinned spins
    llg                 generalized stochastic LLG with nonlocal damping: `simulate` (Heun, Midpoint),
                        the implicit Gilbert operator, the noise-induced drift (derivation inside)
    llg_kernels         compiled kernels of llg (straight-line code generated per system size)
    onsite              `OnsiteTerms`: Zeeman energy (g, B in T) and easy-axis / easy-plane anisotropy
                        (meV) of one spin of length S, as a linear field on its unit vector
    rng                 per-trajectory Gaussian streams (xoshiro256++), identical in every backend
    fokker_planck       Boltzmann averages (quadrature, Metropolis), effective temperature,
                        Neel-Brown relaxation times

The main entry points are importable from the package (``__all__``). Those of the numpy/scipy
modules are imported here; those of :mod:`~spinbath.classical.llg` (which loads numba) on first use.
No public name is the name of a submodule, so a lazy name cannot be shadowed by a module.
"""

from __future__ import annotations

import importlib

from .fokker_planck import (
    BoltzmannAverage, boltzmann_quadrature, effective_temperature, metropolis_average, neel_brown_tau_N,
    uniaxial_relaxation_time,
)
from .mean_field_chain import MeanFieldChain, MeanFieldTrajectory, SteadyState
from .onsite import OnsiteTerms
from .paper_mean_field import PaperMeanFieldChain
from .swept_mean_field import SweptMeanFieldChain
from .spin_model import ClassicalSpinModel
from .stoner_wohlfarth import HysteresisLoop, astroid, hysteresis_loop, switching_field

#: Public names imported on first use (module of this package that defines each).
_LAZY = {"simulate": "llg", "Heun": "llg", "Midpoint": "llg", "LLGResult": "llg"}

__all__ = [
    "ClassicalSpinModel", "OnsiteTerms", "simulate", "Heun", "Midpoint", "LLGResult",
    "MeanFieldChain", "MeanFieldTrajectory", "SteadyState", "PaperMeanFieldChain", "SweptMeanFieldChain",
    "HysteresisLoop", "hysteresis_loop", "switching_field", "astroid",
    "BoltzmannAverage", "boltzmann_quadrature", "metropolis_average", "effective_temperature",
    "neel_brown_tau_N", "uniaxial_relaxation_time",
]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
