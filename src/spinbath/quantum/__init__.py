"""Open-system methods: Liouville space, spin-phonon rate superoperators (orders 2 and 4), observables.

Public entry points (imported lazily, so ``import spinbath`` stays light):
    spin_phonon_superoperator(H, V, mode_energies, temperature, order, width, lineshape) -> (E, R)
    SpinPhononRates                 the same, built once for many temperatures
    relaxation_time, coherence_times, steady_state, evolve, magnetization   observables of R
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "spin_phonon_superoperator": "spin_phonon",
    "SpinPhononRates": "spin_phonon",
    "relaxation_time": "relaxation",
    "relaxation_modes": "relaxation",
    "coherence_times": "relaxation",
    "effective_generator": "relaxation",
    "steady_state": "relaxation",
    "evolve": "relaxation",
    "magnetization": "relaxation",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
