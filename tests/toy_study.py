"""A tiny study for the sweep tests (registered as ``toy`` by tests/sweeps/conftest.py): fast, and able to fail.

    f = x^2 + y                 (per task scalar)
    v(k) = k x, k = 0, 1, 2     (a small array)

``sleep`` (s) makes a task slow; a task with x == fail_at raises RuntimeError (only while the file
``fail_while`` exists, if that is given, so a test can "fix" the failure without changing the
config). Each run appends a line "x y" to ``log`` (if given), so tests can count what was computed.
``omp_threads`` records OMP_NUM_THREADS of the process that ran the task (0 if unset).
"""

from __future__ import annotations

import os
import time
from typing import Literal

import numpy as np
import xarray as xr

from spinbath.config.base import StrictModel
from spinbath.studies import Study


class ToyConfig(StrictModel):
    study: Literal["toy"]
    title: str = "toy"
    x: float = 0.0
    y: float = 0.0
    n: int = 3
    sleep: float = 0.0
    fail_at: float | None = None
    fail_while: str | None = None
    log: str | None = None


def run(cfg: ToyConfig) -> xr.Dataset:
    if cfg.log:
        with open(cfg.log, "a") as fh:
            fh.write(f"{cfg.x} {cfg.y}\n")
    time.sleep(cfg.sleep)
    armed = cfg.fail_while is None or os.path.exists(cfg.fail_while)
    if cfg.fail_at is not None and cfg.x == cfg.fail_at and armed:
        raise RuntimeError(f"toy failure at x = {cfg.x}")
    k = np.arange(cfg.n)
    return xr.Dataset(
        {"f": ((), cfg.x**2 + cfg.y, {"units": "1", "long_name": "x^2 + y"}),
         "v": (("k",), k * cfg.x, {"units": "1"}),
         "n_points": ((), cfg.n, {"units": "1"}),
         "omp_threads": ((), int(os.environ.get("OMP_NUM_THREADS", "0")), {"units": "1"})},
        coords={"k": ("k", k, {"units": "1"})},
        attrs={"title": cfg.title, "x": cfg.x},
    )


def plot(ds, path) -> None:
    from spinbath.plotting import plt, save_figure

    fig, ax = plt.subplots()
    ax.plot(ds.k, ds.v)
    save_figure(fig, path)


def summary(ds) -> list[tuple[str, str]]:
    return [("f", f"{float(ds.f):g}")]


STUDY = Study(name="toy", description="test study", config_model=ToyConfig, run=run, plot=plot, summary=summary)
