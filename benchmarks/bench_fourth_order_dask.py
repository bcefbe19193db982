"""Benchmark: the fourth-order pair sum on Dask workers (1 and 2), J = 15/2, 20 temperatures.

For each number of modes and each worker count, the pair sum of order 4 (20 temperatures, 5-100 K)
runs through :func:`spinbath.sweeps.pair_sum.fourth_order_sums` on a local Dask cluster (workers
with one thread and one BLAS thread each, started as the sweeps start them, reached through its
scheduler address as ``--scheduler`` would), in a fresh run folder. Printed per row: chunks, wall
time, the compute time summed over chunks, the measured cost per chunk (median seconds, and seconds
per 1e9 complex multiply-adds of the chunk's work), the peak RSS of each worker and of this
process, and the machine's load average.

``--sample K`` (for sizes too large to finish here) computes only K chunks spread evenly over the
plan, on the same workers, and reports their measured cost and the wall time projected from it:
(total work of the plan) x (measured seconds per work) / workers. A projection, labelled as such.

The last table projects 1e6 modes on 64 workers from the measured cost per work and the total work
of the plan, which grows as n^2 (pairs inside the lineshape window at fixed width): the work of
1e6 modes is extrapolated from the largest planned size as (1e6 / n)^2 x work(n).

Model (:func:`build`): the DyCp crystal field (J = 15/2, Kramers doublets over 0-1540 cm^-1), mode
energies drawn with the spread of the DyCp cell's phonon bands (``spinbath.baths.model_baths``:
dense below 700 cm^-1, stretches at 750-1650 and 2850-3120 cm^-1), Gaussian width 10 cm^-1,
seeded; couplings that are crystal-field derivatives (time-even: the sweep uses time reversal,
``--couplings stevens``, the default) or random Hermitian matrices (``--couplings random``).

    python benchmarks/bench_fourth_order_dask.py --quick               # 2000 modes, about 2 min
    python benchmarks/bench_fourth_order_dask.py                       # 10000 modes, full rows
    python benchmarks/bench_fourth_order_dask.py --sizes 30000 100000 --sample 8
    python benchmarks/bench_fourth_order_dask.py --couplings random    # without time reversal
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

N_TEMPS = 20


def _peak_rss_mb() -> float:
    """Peak resident memory of this process, MB: VmHWM (reset by exec, unlike ru_maxrss, which a
    spawned worker inherits from the driver it was forked from)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB -> MB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cluster(workers: int):
    import logging

    import dask
    import distributed

    from spinbath.sweeps.execute import WORKER_ENV

    with dask.config.set({"distributed.nanny.pre-spawn-environ": {
            **dask.config.get("distributed.nanny.pre-spawn-environ", {}), **WORKER_ENV}}):
        return distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                        dashboard_address=None, env=dict(WORKER_ENV), silence_logs=logging.ERROR)


def _worker_peaks(address: str) -> list[float]:
    import distributed

    with distributed.Client(address) as client:
        return sorted(client.run(_peak_rss_mb).values())


def build(n_modes: int, seed: int, couplings: str = "stevens"):
    """DyCp crystal field (J = 15/2, zero field), mode energies spread as the DyCp cell's bands
    (lattice, soft intramolecular, CH3 torsions, stretches, C-H stretches; 20-3000 cm^-1), Gaussian
    width 10 cm^-1, and couplings of one of two kinds:

    "stevens" (default): crystal-field derivatives, V^a = sum_{k = 2, 4, 6; q} c^a_kq O_k^q with
        c^a_kq normal in cm^-1 (each O_k^q scaled to unit Frobenius norm; max |V_ij| ~ 2 cm^-1):
        time-even, as every crystal-field derivative at zero field is, so the sweep uses time reversal
        (:mod:`spinbath.quantum.time_reversal`);
    "random": random Hermitian matrices (real and imaginary parts normal, scale 0.25 cm^-1), not
        time-even: the general sweep (the rows measured before time reversal was used)."""
    from spinbath.baths.model_baths import molecular_crystal_mode_energies
    from spinbath.config.spin import SpinConfig
    from spinbath.quantum.spin_phonon import SpinPhononRates
    from spinbath.spins.stevens import stevens

    H = SpinConfig(J="15/2", g=4 / 3, crystal_field={"dataset": "dycp"}).hamiltonian().matrix(np.zeros(3))
    rng = np.random.default_rng(seed)
    w = molecular_crystal_mode_energies(n_modes, rng)
    d = H.shape[0]
    V = np.empty((n_modes, d, d), dtype=complex)
    if couplings == "stevens":
        ops = np.array([stevens(7.5, k, q) for k in (2, 4, 6) for q in range(-k, k + 1)], dtype=complex)
        ops /= np.linalg.norm(ops, axis=(1, 2))[:, None, None]
        for s in range(0, n_modes, 8192):
            c = rng.normal(size=(min(8192, n_modes - s), len(ops)))
            V[s : s + c.shape[0]] = np.einsum("ak,kij->aij", c, ops)
    else:
        for s in range(0, n_modes, 8192):
            k = min(8192, n_modes - s)
            A = rng.normal(size=(k, d, d)) + 1j * rng.normal(size=(k, d, d))
            V[s : s + k] = 0.25 * (A + A.conj().transpose(0, 2, 1))
    m = SpinPhononRates(H, V, w, 10.0)
    del V
    return m


def measure(m, workers: int, sample: int | None, chunk_work: float) -> dict:
    from spinbath.quantum.pair_chunks import chunk_payload, compute_pair_chunk, plan_chunks
    from spinbath.sweeps.execute import Backend, Executor
    from spinbath.sweeps.pair_sum import fourth_order_sums, task_memory_bytes

    T = np.linspace(5.0, 100.0, N_TEMPS)
    plans = plan_chunks(m, T.size, task_memory_bytes(), chunk_work)
    total_work = sum(p.work for p in plans)
    load = os.getloadavg()[0]
    with _cluster(workers) as cluster, tempfile.TemporaryDirectory(prefix="bench-pairsum-") as tmp:
        backend = Backend("scheduler", address=cluster.scheduler_address, workers=workers)
        t0, cpu0 = time.perf_counter(), time.process_time()
        if sample is None:
            r = fourth_order_sums(m, T, backend=backend, run_dir=tmp, chunk_work=chunk_work)
            secs, cpu, work = r.chunk_seconds, r.chunk_cpu_seconds, r.chunk_work
        else:
            pick = np.unique(np.linspace(0, len(plans) - 1, sample).round().astype(int))
            secs, cpu, work = {}, {}, {}
            with Executor(backend, len(pick), "spinbath.quantum.pair_chunks") as ex:
                # Warm-up, not counted: the first chunk on a worker also pays imports and the
                # compiled kernel's load (a full run pays it once in its wall time).
                small = min(plans, key=lambda p: p.work)
                list(ex.map_unordered(compute_pair_chunk, ((f"w{k}", (chunk_payload(m, small), T))
                                                           for k in range(2 * workers))))
                t0, cpu0 = time.perf_counter(), time.process_time()
                items = ((str(i), (chunk_payload(m, plans[i]), T)) for i in pick)
                for o in ex.map_unordered(compute_pair_chunk, items):
                    assert o.ok, o.error
                    i = int(o.key)
                    secs[i], cpu[i], work[i] = o.dataset.seconds, o.dataset.cpu_seconds, plans[i].work
        wall = time.perf_counter() - t0
        driver_cpu = time.process_time() - cpu0  # this process: the scheduler, the client, the chunk payloads
        peaks = _worker_peaks(cluster.scheduler_address)
    load = max(load, os.getloadavg()[0])
    s = np.array(list(secs.values()))
    per_work = s.sum() / sum(work.values())  # seconds per complex multiply-add
    cpu_per_work = sum(cpu.values()) / sum(work.values())
    return dict(n=m.n_modes, workers=workers, chunks=len(plans), done=len(secs), wall=wall,
                compute=s.sum(), median=float(np.median(s)), per_gwork=1e9 * per_work, total_work=total_work,
                cpu_per_gwork=1e9 * cpu_per_work, projected_cpu=total_work * cpu_per_work / workers,
                projected=total_work * per_work / workers, peaks=peaks, driver=_peak_rss_mb(), load=load,
                driver_cpu=driver_cpu,
                sampled=sample is not None, max_bytes=max(p.nbytes for p in plans))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--quick", action="store_true", help="2000 modes only")
    ap.add_argument("--sample", type=int, default=None, help="compute only this many chunks and project")
    ap.add_argument("--chunk-work", type=float, default=None, help="complex multiply-adds per chunk (default: chosen from the plan)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--couplings", choices=("stevens", "random"), default="stevens",
                    help="time-even crystal-field derivatives (default) or random Hermitian matrices (see build)")
    args = ap.parse_args(argv)
    sizes = [2000] if args.quick else args.sizes
    print(f"fourth order on Dask, DyCp J = 15/2 (d = 16), {N_TEMPS} temperatures, Gaussian width 10 cm^-1, "
          f"modes spread as the DyCp bands; couplings: {args.couplings}; {os.cpu_count()} CPU(s); "
          f"{time.strftime('%Y-%m-%d %H:%M %Z')}")
    print(f"{'modes':>7} {'workers':>7} {'chunks':>7} {'wall (s)':>9} {'compute (s)':>11} {'s/chunk':>8} "
          f"{'s/1e9 work':>10} {'cpu s/1e9':>9} {'worker peak (MB)':>17} {'driver (MB)':>11} {'driver cpu (s)':>14} {'load':>5}", flush=True)
    rows = []
    for n in sizes:
        m = build(n, args.seed, args.couplings)
        for k in args.workers:
            r = measure(m, k, args.sample, args.chunk_work)
            rows.append(r)
            wall = f"{r['projected']:.0f}*" if r["sampled"] else f"{r['wall']:.1f}"
            chunks = f"{r['done']}/{r['chunks']}" if r["sampled"] else f"{r['chunks']}"
            print(f"{n:>7} {k:>7} {chunks:>7} {wall:>9} {r['compute']:>11.1f} {r['median']:>8.2f} "
                  f"{r['per_gwork']:>10.3f} {r['cpu_per_gwork']:>9.3f} {'/'.join(f'{p:.0f}' for p in r['peaks']):>17} "
                  f"{r['driver']:>11.0f} {r['driver_cpu']:>14.1f} "
                  f"{r['load']:>5.1f}", flush=True)
        del m
    if any(r["sampled"] for r in rows):
        print("* projected: total work of the plan x measured seconds per work / workers (not run to the end)")
        for r in rows:
            if r["sampled"]:
                print(f"  {r['n']} modes, {r['workers']} worker(s): {r['projected']:.0f} s at the measured wall cost, "
                      f"{r['projected_cpu']:.0f} s at the measured CPU cost (a core per worker)")
    by_n = {}
    for r in rows:
        by_n.setdefault(r["n"], r)
    n_big = max(by_n)
    work_1e6 = by_n[n_big]["total_work"] * (1e6 / n_big) ** 2
    print()
    print(f"total work of the plan (complex multiply-adds): "
          + ", ".join(f"{n}: {r['total_work']:.3e}" for n, r in sorted(by_n.items())))
    for label, key in (("wall", "per_gwork"), ("CPU", "cpu_per_gwork")):
        cost = float(np.median([r[key] for r in rows]))
        print(f"PROJECTION (not measured): 1e6 modes = {work_1e6:.3e} multiply-adds (n^2 from {n_big}); at the "
              f"measured {label} cost {cost:.3f} s per 1e9, 64 workers need {work_1e6 * cost / 1e9 / 64 / 60:.0f} min "
              f"({work_1e6 * cost / 1e9 / 3600:.0f} core-hours)")


if __name__ == "__main__":
    main()  # under the guard: the cluster's worker processes are spawned and re-import this file
