"""Studies: a config schema, a run that returns an xarray.Dataset, and a figure drawn from it.

Each study module defines a :class:`Study` and is listed in ``_MODULES``; the registry imports
them lazily so that ``spinbath --version`` stays fast.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

__all__ = ["Study", "get_study", "study_names", "tau_range_row"]

_MODULES = {
    "spectrum": "spinbath.studies.spectrum",
    "spin-phonon": "spinbath.studies.spin_phonon",
    "open-chain": "spinbath.studies.open_chain",
    "junction-couplings": "spinbath.studies.junction_couplings",
    "dimer-llg": "spinbath.studies.dimer_llg",
    "relaxation-laws": "spinbath.studies.relaxation_laws",
}


@dataclass(frozen=True)
class Study:
    """What a study provides to the CLI.

    name: the value of ``study`` in configs.
    config_model: pydantic model of the whole TOML file.
    run: config -> xarray.Dataset, every variable and coordinate with a ``units`` attribute.
    plot: (dataset, path) -> None, writes the figure (format from the suffix).
    summary: dataset -> list of (label, value) rows printed after a run.
    plot_sweep: optional (dataset of a [sweep], path) -> None; without it the generic sweep figure.
    """

    name: str
    description: str
    config_model: type
    run: Callable
    plot: Callable
    summary: Callable
    plot_sweep: Callable | None = None


def tau_range_row(label: str, T, tau) -> tuple[str, str]:
    """A summary row "tau <label> (s)": its values at the lowest and highest temperature."""
    def fmt(x: float) -> str:
        return "inf" if not math.isfinite(x) else f"{x:.3g}"

    return (f"tau {label} (s)", f"{fmt(float(tau[0]))} at {float(T[0]):g} K .. "
                                f"{fmt(float(tau[-1]))} at {float(T[-1]):g} K")


def study_names() -> list[str]:
    return sorted(_MODULES)


@cache
def get_study(name: str) -> Study:
    if name not in _MODULES:
        raise KeyError(name)
    return importlib.import_module(_MODULES[name]).STUDY
