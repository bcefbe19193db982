"""Benchmark: tau(T) relaxation-law fits (spinbath.analysis.fit_relaxation), wall time per fit.

Synthetic tau(T) with 5 % log-normal noise (seeded) on N points, T log-spaced; every fit starts from
the automatic guesses (all multi-starts included, as ``spinbath fit`` runs it). The target of the
issue: orbach+raman+qtm on 60 points in < 1 s. Columns: points, parameters, starts tried, median
and best wall time per fit over the repeats (ms), time per start (ms), and the largest |fitted -
true| / stderr over the parameters of the last fit (a fit that lands in a wrong basin shows here).

    python benchmarks/bench_fit.py                 # 60 points, 20 repeats
    python benchmarks/bench_fit.py --points 60 200 --repeats 50
"""

from __future__ import annotations

import argparse
import time

import numpy as np

CASES = {
    "orbach+raman+qtm": (dict(tau0=1e-11, U_eff=1760.0, C=1e-6, n=3.0, tau_QTM=1e3), (2.0, 100.0)),
    "orbach+direct": (dict(tau0=1e-9, U_eff=300.0, A=1.0), (2.0, 40.0)),
    "raman": (dict(C=1e-3, n=5.0), (5.0, 50.0)),
    "vibronic+raman+qtm": (dict(tau0_vib=1e-11, w=1000.0, C=1e-6, n=3.0, tau_QTM=1e3), (2.0, 120.0)),
    "orbach+raman+direct+qtm": (dict(tau0=1e-10, U_eff=800.0, C=1e-4, n=4.0, A=1e-2, tau_QTM=100.0), (2.0, 80.0)),
}


def main() -> int:
    from spinbath.analysis import TauData, fit_relaxation, parse_model

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", type=int, nargs="+", default=[60])
    ap.add_argument("--repeats", type=int, default=20)
    args = ap.parse_args()
    print(f"{'model':<26} {'points':>6} {'params':>6} {'starts':>6} {'median (ms)':>11} {'best (ms)':>9} "
          f"{'ms/start':>8} {'max |z|':>7}")
    target = None
    for spec, (true, (tmin, tmax)) in CASES.items():
        model = parse_model(spec)
        theta_true = model.theta_from_values(true)
        for n in args.points:
            T = np.geomspace(tmin, tmax, n)
            times = []
            for seed in range(args.repeats):
                tau = model.tau(true, T) * np.exp(0.05 * np.random.default_rng(seed).standard_normal(n))
                data = TauData(T, tau)
                t0 = time.perf_counter()
                res = fit_relaxation(data, model)
                times.append(time.perf_counter() - t0)
            med, best = 1e3 * np.median(times), 1e3 * np.min(times)
            z = np.max(np.abs(res.theta - theta_true) / res.theta_stderr)
            print(f"{spec:<26} {n:>6} {len(theta_true):>6} {res.n_starts:>6} {med:>11.1f} {best:>9.1f} "
                  f"{med / res.n_starts:>8.2f} {z:>7.2f}")
            if spec == "orbach+raman+qtm" and n == 60:
                target = med
    if target is not None:
        print(f"\norbach+raman+qtm, 60 points: {target:.1f} ms per fit (target < 1000 ms): "
              f"{'OK' if target < 1000 else 'TOO SLOW'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
