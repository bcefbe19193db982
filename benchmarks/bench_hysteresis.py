"""Benchmark: a DyCp hysteresis loop (825 model modes, spin-phonon order 2+4) through the user API.

Each row runs ``spinbath.run`` on the shipped ``dycp-hysteresis`` example in a fresh process, with
``[loop].points`` field nodes per branch (a loop of 2 x points - 1 fields; 200 -> the 400-point loop of
the performance goal: < 10 min on 2 cores), the example's loop temperatures (three with --quick; all carried at once) and a
reduced ZFC/FC grid, and prints: points, temperatures, where the rates ran (this process, or Dask
tasks on a local cluster of N workers: ``[method.field_nodes] backend = "dask"``), wall time of the
rates (field nodes + the ZFC/FC and zero-field models), total wall time, peak RSS of the process
(the Dask workers not counted), the machine's load average at the start (the machine is shared)
and the three blocking temperatures (equal on every backend).

    python benchmarks/bench_hysteresis.py --quick               # 50 points per branch, 3 temperatures
    python benchmarks/bench_hysteresis.py                       # 200 points per branch, 10 temperatures
    python benchmarks/bench_hysteresis.py --quick --workers 2   # + the same on 2 Dask workers
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import tomllib
from importlib import resources

from _fresh_process import in_fresh_process


def run_case(points: int, temperatures: list[float], zfc_num: int, workers: int | None, queue) -> None:
    """One run (``workers``: None in this process, else a local Dask cluster of that size); the row on ``queue``."""
    try:
        import spinbath

        cfg = tomllib.loads(resources.files("spinbath.examples").joinpath("dycp-hysteresis.toml").read_text())
        cfg["loop"]["points"] = points
        cfg["temperatures"] = temperatures
        cfg["zfc_fc"]["temperatures"] = {"start": "2 K", "stop": "80 K", "num": zfc_num}
        if workers is not None:
            cfg["method"]["field_nodes"] = {"backend": "dask", "workers": workers}
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        ds = spinbath.run(cfg, quiet=True)
        wall = time.perf_counter() - t0
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        queue.put({"points": points, "loop_fields": int(ds.sizes["loop_point"]), "temperatures": len(temperatures),
                   "where": "this process" if workers is None else f"Dask, {workers} workers",
                   "tasks": int(ds.attrs["rates_tasks"]),
                   "rates_s": float(ds.attrs["wall_rates_s"]), "total_s": wall, "rss_mb": rss, "load": load,
                   "T_B": (float(ds.attrs["T_B_tau_K"]), float(ds.attrs["T_B_zfc_K"]), float(ds.attrs["T_B_loop_K"]))})
    except Exception as err:  # raised again in the parent
        queue.put(err)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--workers", type=int, nargs="*", default=[], metavar="N",
                    help="also run with the field nodes as Dask tasks on a local cluster of N workers")
    args = ap.parse_args()
    example = tomllib.loads(resources.files("spinbath.examples").joinpath("dycp-hysteresis.toml").read_text())
    cases = ([(50, [2.0, 60.0, 80.0], 20)] if args.quick
             else [(200, example["temperatures"], 79)])  # the example's loop temperatures
    print("| points per branch | loop fields | loop temperatures | rates computed in | tasks "
          "| rates (s) | total wall (s) | peak RSS (MB) | load avg | T_B tau / ZFC / loop (K) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for points, temps, zfc in cases:
        for workers in [None, *args.workers]:
            r = in_fresh_process(run_case, points, [float(t) for t in temps], zfc, workers)
            tb = " / ".join(f"{x:.1f}" for x in r["T_B"])
            print(f"| {r['points']} | {r['loop_fields']} | {r['temperatures']} | {r['where']} | {r['tasks']} "
                  f"| {r['rates_s']:.0f} | {r['total_s']:.0f} | {r['rss_mb']:.0f} | {r['load']:.1f} | {tb} |",
                  flush=True)


if __name__ == "__main__":
    main()
