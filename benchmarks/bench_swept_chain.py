"""Benchmark: dynamic hysteresis loops of the exact chain (SweptChain) and its mean field.

The example chain-dynamic-hysteresis's model (dimensionless, hbar = gamma = k_B = 1): V = (0.5, 0.1, 0.1),
transverse field (0.25, 0.25, 0), B_z swept between -1.5 and 1.5, Davies bath kappa = 0.1, T = 0.5.
For each N, one loop (``cycles`` periods, 61 fields per branch) at each rate, in a fresh process
(so that its peak RSS is its own): wall time of the build (Liouvillian pattern) and of the loop, the
right-hand-side evaluations of the integrator (DOP853, rtol 1e-8), the time per evaluation, the
peak RSS, and the loop area; the mean field (N Bloch vectors) for comparison.

    python benchmarks/bench_swept_chain.py --quick     # N = 1..6, rate 0.1
    python benchmarks/bench_swept_chain.py             # N = 1..8, rates 0.1 and 0.03
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time

COUPLING, BASE, H_MAX = (0.5, 0.1, 0.1), (0.25, 0.25, 0.0), 1.5
KAPPA, TEMPERATURE = 0.1, 0.5


def _one(n: int, rate: float, model: str, cycles: int, queue) -> None:
    from spinbath.classical.swept_mean_field import SweptMeanFieldChain
    from spinbath.quantum import ChainModel, FieldDaviesBath, SweptChain, TriangleSweep

    t0 = time.perf_counter()
    cls = SweptChain if model == "exact" else SweptMeanFieldChain
    chain = cls(ChainModel(n, coupling=COUPLING), FieldDaviesBath(KAPPA, TEMPERATURE))
    t1 = time.perf_counter()
    loop = chain.loop(TriangleSweep(H_MAX, rate, (0, 0, 1), BASE), num=61, cycles=cycles, **(
        {"check": n <= 6} if model == "exact" else {}))
    t2 = time.perf_counter()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # kB -> GB (Linux)
    queue.put((t1 - t0, t2 - t1, loop.info["rhs_evaluations"], rss, loop.area))


def measure(n: int, rate: float, model: str, cycles: int, timeout: float):
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_one, args=(n, rate, model, cycles, q))
    p.start()
    p.join(timeout)
    if p.is_alive():
        p.kill()
        return None
    return q.get() if not q.empty() else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--sizes", type=int, nargs="*")
    ap.add_argument("--rates", type=float, nargs="*")
    ap.add_argument("--cycles", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=600.0)
    args = ap.parse_args()
    sizes = args.sizes or (list(range(1, 7)) if args.quick else list(range(1, 9)))
    rates = args.rates or ([0.1] if args.quick else [0.1, 0.03])
    print(f"| model | N | Liouville dim | rate | build (s) | loop (s) | RHS evals | ms/eval | peak GB | area |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for rate in rates:
        for model in ("exact", "mean field"):
            for n in sizes:
                r = measure(n, rate, model, args.cycles, args.timeout)
                dim = 4**n if model == "exact" else 3 * n
                if r is None:
                    print(f"| {model} | {n} | {dim} | {rate:g} | | > {args.timeout:g} (killed) | | | | |", flush=True)
                    continue
                build, loop, nfev, rss, area = r
                print(f"| {model} | {n} | {dim} | {rate:g} | {build:.2f} | {loop:.2f} | {nfev} | "
                      f"{1e3 * loop / nfev:.3f} | {rss:.2f} | {area:.4f} |", flush=True)


if __name__ == "__main__":
    main()
