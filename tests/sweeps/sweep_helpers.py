"""Helpers of the sweep tests: run `spinbath` in-process on a config text, load results."""

from __future__ import annotations

from pathlib import Path

import xarray as xr

from spinbath.cli import main

#: junction-couplings on a 1 x 1 (V, mu_F) grid: ~0.15 s per task.
JUNCTION_1x1 = """
study = "junction-couplings"
[bias]
V = [1.0]
mu_F = [0.0]
"""

#: spectrum of a J = 5/2 ion: a few ms per task.
SPECTRUM = """
study = "spectrum"
[spin]
J = "5/2"
g = 2.0
[spin.crystal_field]
B2 = {"0" = -1.0, "2" = 0.1}
"""


def run_cli(folder: Path, text: str, *options: str, name: str = "c", figure: bool = False) -> tuple[int, Path]:
    """Write folder/name.toml, run ``spinbath --quiet run`` on it with ``options``; (exit code, results).

    No figure unless ``figure`` (drawing costs ~0.3 s a run, and the figure tests ask for it)."""
    cfg = Path(folder) / f"{name}.toml"
    cfg.write_text(text)
    out = Path(folder) / f"{name}.nc"
    extra = [] if figure else ["--no-figure"]
    return main(["--quiet", "run", str(cfg), "--out", str(out), *extra, *options]), out


def load(path: Path) -> xr.Dataset:
    return xr.load_dataset(path, engine="h5netcdf")

#: 2 x 2 sweep of JUNCTION_1x1 at T = 0 (~0.2 s per task).
JUNCTION_SWEEP = JUNCTION_1x1 + '[sweep]\n"junction.t0" = ["2 meV", "3 meV"]\n"junction.eps0" = ["-0.5 meV", 0.5]\n'
