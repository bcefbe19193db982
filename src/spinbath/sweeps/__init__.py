"""Parameter sweeps over any study, on Dask: ``[sweep]`` in a config, resumable, local or on a cluster.

    spec      the [sweep] section: parse, expand over dotted config paths, validate every task
    tasks     task keys (hash of the validated config), running one task, checkpoint files
    execute   serial / embedded LocalCluster / existing scheduler; outcomes as tasks finish
    rundir    the run folder next to the results: checkpoints, failure records, manifest, lock
    runner    the whole run: resume, compute what is missing, gather, write, plot
    gather    task datasets -> one Dataset with the swept keys as coordinates
    plot      the generic sweep figure (or the study's own ``plot_sweep``)
    status    `spinbath status RUN_DIR`
    pair_sum  the fourth-order spin-phonon pair sum as Dask tasks (the same backends), resumable
    field_nodes  the rates at the field nodes of a hysteresis loop as Dask tasks (the same backends)

Python use (same as the command line)::

    from spinbath.sweeps import load_sweep, run_sweep, choose_backend
    sweep, text = load_sweep("grid.toml")
    result = run_sweep(sweep, text, "grid.nc", backend=choose_backend(workers=2))

Worker processes of the local cluster are spawned (they re-import the main script), so a script
that runs a parallel sweep must do so under ``if __name__ == "__main__":``. Nothing here imports
dask until a parallel sweep starts (the public names are imported eagerly; they need numpy, xarray
and pydantic only).
"""

from __future__ import annotations

from pathlib import Path

from .execute import Backend, choose_backend
from .pair_sum import PairSumResult, distributed_superoperator, fourth_order_sums
from .runner import SweepResult, run_sweep
from .spec import Parameter, Sweep, Task
from .status import sweep_status

__all__ = ["load_sweep", "run_sweep", "choose_backend", "sweep_status", "Sweep", "Task", "Parameter",
           "SweepResult", "Backend", "fourth_order_sums", "distributed_superoperator", "PairSumResult"]


def load_sweep(path: str | Path):
    """Read a config file with a ``[sweep]`` section: (Sweep, config text). ConfigError if it has none."""
    from ..config import ConfigError
    from ..config.loader import parse_config_text, read_config_text

    p = Path(path)
    text = read_config_text(p)
    _, _, sweep = parse_config_text(text, source=str(p), base_dir=p.parent, with_sweep=True)
    if sweep is None:
        raise ConfigError(f"{p}: no [sweep] section")
    return sweep, text
