"""Benchmark: (V, mu_F) maps of all junction couplings (Keldysh kernels), wall time and memory.

The paper's junction (t_e = 100, t_L = t_R = 10, t0 = 2 meV, weak SOC t = 0.1 meV), V and mu_F
on [-10, 10] (mV, meV). Each row runs in a fresh process (peak RSS is its own); "workers = 2"
splits the V rows into two halves computed in two processes (the issue's target: 101 x 101 at
T = 0 in < 5 min on 2 cores). Accuracy column: the largest deviation of the map from the
one-point function ``couplings`` at 5 random grid points, relative to the largest value of each
coupling (J, D, A, K, alpha_i, j_i).

    python benchmarks/bench_junction_map.py --quick     # 21 x 21 and 51 x 51
    python benchmarks/bench_junction_map.py             # adds 101 x 101 at T = 0 and 10 K
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time

import numpy as np

NAMES = ("J1", "D1", "A1", "K1", "alpha_i", "j_i")


def _rows(args):
    V, mu, T = args
    from spinbath.junction import JunctionModel, couplings_from_kernels, spin_kernels

    VV, MM = np.meshgrid(V, mu, indexing="ij")
    return couplings_from_kernels(spin_kernels(JunctionModel(), VV, MM, T))


def _measure(n: int, T: float, workers: int, queue) -> None:
    V = np.linspace(-10, 10, n)
    mu = np.linspace(-10, 10, n)
    t0 = time.perf_counter()
    halves = np.array_split(V, workers)
    if workers == 1:
        parts = [_rows((V, mu, T))]
    else:
        with mp.get_context("fork").Pool(workers) as pool:
            parts = pool.map(_rows, [(h, mu, T) for h in halves])
    wall = time.perf_counter() - t0
    maps = {k: np.concatenate([p[k] for p in parts]).reshape((n, n) + parts[0][k].shape[1:]) for k in NAMES}
    from spinbath.junction import couplings

    rng = np.random.default_rng(1)
    worst = 0.0
    for i, j in rng.integers(0, n, size=(5, 2)):
        c = couplings(V[i], mu[j], T)
        for k in NAMES:
            scale = np.abs(maps[k]).max() or 1.0
            worst = max(worst, float(np.max(np.abs(maps[k][i, j] - c[k]))) / scale)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if workers > 1:
        peak = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    queue.put((wall, peak, worst))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="21 x 21 and 51 x 51 only")
    args = ap.parse_args()
    cases = [(21, 0.0, 1), (51, 0.0, 1), (51, 0.0, 2)]
    if not args.quick:
        cases += [(101, 0.0, 1), (101, 0.0, 2), (101, 10.0, 2)]
    print(f"{'grid':>9} {'T (K)':>6} {'workers':>7} {'points':>7} {'wall (s)':>9} {'ms/point':>9} "
          f"{'peak RSS (MB)':>14} {'max rel. dev.':>14}")
    ctx = mp.get_context("fork")
    for n, T, workers in cases:
        q = ctx.Queue()
        p = ctx.Process(target=_measure, args=(n, T, workers, q))
        p.start()
        wall, peak, worst = q.get()
        p.join()
        print(f"{n:>4} x {n:<3} {T:>6g} {workers:>7} {n * n:>7} {wall:>9.1f} {1e3 * wall / n**2:>9.2f} "
              f"{peak:>14.0f} {worst:>14.1e}", flush=True)


if __name__ == "__main__":
    main()
