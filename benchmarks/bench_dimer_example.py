"""Benchmark: wall time and peak memory of the shipped example ``dimer-llg-paper`` (S = 5/2, T = 0,
Zeeman field and anisotropy), with and without its on-site terms.

Each row runs ``spinbath.run`` on the example's config in a fresh process (spawn), so that its peak
RSS is its own; the compiled LLG kernels are loaded (or compiled) by a two-step warm-up run first,
so the wall time excludes compilation. Columns: biases, trajectories per bias, steps per trajectory,
wall time of the whole run (Keldysh couplings + Langevin + Fokker-Planck, no figure), peak RSS.
The "no on-site terms" row is the same config without g, field and anisotropies: the terms are
part of the linear field the kernels already evaluate, so they should cost nothing.

    python benchmarks/bench_dimer_example.py            # the example as shipped (~1-3 minutes)
    python benchmarks/bench_dimer_example.py --quick    # 9 biases, 40 trajectories
"""

from __future__ import annotations

import argparse
import resource
import time
import tomllib
from importlib import resources

from _fresh_process import in_fresh_process

ONSITE_KEYS = ("g", "field", "K_easy_axis", "easy_axis", "K_easy_plane", "plane_normal")


def config(quick: bool, onsite: bool) -> dict:
    cfg = tomllib.loads(resources.files("spinbath.examples").joinpath("dimer-llg-paper.toml").read_text())
    if quick:
        cfg["bias"]["V"] = {"start": "-6 mV", "stop": "6 mV", "num": 9}
        cfg["langevin"]["trajectories"] = 40
    if not onsite:
        for key in ONSITE_KEYS:
            cfg["spins"].pop(key, None)
    return cfg


def _measure(cfg: dict, queue) -> None:
    try:
        import spinbath

        warm = {**cfg, "bias": {**cfg["bias"], "V": [0.0]},
                "langevin": {**cfg["langevin"], "trajectories": 2, "t_end": "0.02 ps", "samples": 1}}
        spinbath.run(warm, quiet=True)
        t0 = time.perf_counter()
        spinbath.run(cfg, quiet=True)
        wall = time.perf_counter() - t0
        queue.put((wall, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0))
    except Exception as exc:  # report, do not hang the parent
        queue.put(exc)


def measure(cfg: dict) -> tuple[float, float]:
    return in_fresh_process(_measure, cfg)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="9 biases, 40 trajectories")
    args = ap.parse_args()
    import os

    import numpy as np

    from spinbath.config.grids import grid_values
    from spinbath.studies.dimer_llg import DimerLLGConfig

    print(f"dimer-llg-paper example (spinbath.run, no figure); {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} at start")
    print(f"{'variant':22s} {'biases':>6s} {'traj':>5s} {'steps':>6s} {'wall s':>7s} {'peak MB':>8s}")
    for label, onsite in (("with on-site terms", True), ("no on-site terms", False)):
        cfg = config(args.quick, onsite)
        parsed = DimerLLGConfig.model_validate(cfg)
        n_v = np.size(grid_values(parsed.bias.V))
        steps = int(round(parsed.langevin.t_end / parsed.langevin.dt))
        wall, peak = measure(cfg)
        print(f"{label:22s} {n_v:6d} {parsed.langevin.trajectories:5d} {steps:6d} {wall:7.1f} {peak:8.0f}",
              flush=True)


if __name__ == "__main__":
    main()
