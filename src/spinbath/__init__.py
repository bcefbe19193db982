"""spinbath: relaxation and decoherence of molecular spins coupled to phonons, bosonic reservoirs
and electronic leads.

From Python, as from the command line::

    import spinbath
    ds = spinbath.run("spectrum.toml")      # a config path, TOML text, a dict or a config object
    fig = spinbath.plot(ds, "spectrum.png") # the study's figure (a matplotlib Figure)
    ds = spinbath.load("spectrum.nc")       # a results file

Config objects: ``spinbath.studies.SpectrumConfig`` and the other ``*Config`` models there. The
subpackages (spins, baths, quantum, classical, junction, analysis, config, studies, sweeps, interop)
list their public names in ``__all__``. ``import spinbath`` stays light (numpy and pydantic;
no scipy, xarray, matplotlib or dask).
"""

__version__ = "0.1.0"

from .api import load, plot, run  # noqa: E402
from .errors import ConfigError  # noqa: E402

__all__ = ["__version__", "run", "load", "plot", "ConfigError"]
