"""Benchmark: tau(T) of the relaxation-laws rates -- broadened modes + a Debye continuum.

For each case, build ``PhononRates`` once, compute one- and two-phonon rates at all temperatures
(each two-phonon process is one adaptive quad_vec over the vector of pairs x temperatures) and tau
from both relaxation models; print wall time per stage, the number of integrand evaluations and
the accuracy: the largest relative change of any two-phonon rate when epsrel goes from 1e-6
(default) to 1e-10. Each case runs in a fresh process (single-threaded BLAS), so the times are
one core's; the issue's target is a 60-temperature curve with 50 broadened modes and a Debye
continuum in < 10 s on 2 cores.

Model (seeded): S = 2 with D = -26 cm^-1, E = 0.05 cm^-1, or S = 5/2 (Kramers) with D = -10,
E = 1 cm^-1; a 0.1 T field along z; modes uniform in 20-300 cm^-1 with half widths 1-5 cm^-1;
rank-2 couplings (Stevens q = -2..2 scaled to unit largest element, ~0.3 cm^-1); a Debye
continuum (w_D = 30 cm^-1) with three branches; T = 2-60 K, even in 1/T. The "clipped" column
counts negative virtual two-phonon rates the multi-level model set to 0 (next to resonances).

    python benchmarks/bench_relaxation_laws.py            # S = 2 (50, 200 modes), S = 5/2 (50 modes)
    python benchmarks/bench_relaxation_laws.py --quick    # S = 2, 50 modes
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")


def model(J: float, n_modes: int, seed: int = 0):
    from spinbath.baths.spectral import DampedOscillator, Debye, SpectralBath, SpectralChannel
    from spinbath.spins.operators import spin_matrices
    from spinbath.spins.stevens import stevens
    from spinbath.units import MUB_CM

    rng = np.random.default_rng(seed)
    Sz = spin_matrices(J)[2]
    if J == 2:
        H = -26.0 * Sz @ Sz + 0.05 * stevens(J, 2, 2)
    else:  # S = 5/2 Kramers: D = -10, E = 1 cm^-1 (doublets at 0, ~40, ~100 cm^-1)
        H = -10.0 * Sz @ Sz + 1.0 * stevens(J, 2, 2)
    H = H + MUB_CM * 2.0 * 0.1 * Sz
    wa = np.sort(rng.uniform(20.0, 300.0, n_modes))
    gam = rng.uniform(1.0, 5.0, n_modes)
    # Rank-2 operators scaled to unit largest element, so that couplings stay ~0.3 cm^-1 (weak
    # against the mode widths) whatever J: perturbation theory in V / Gamma stays valid.
    ops = [stevens(J, 2, q) / np.abs(stevens(J, 2, q)).max() for q in range(-2, 3)]
    ch = []
    for i in range(n_modes):
        V = sum(rng.normal(0.0, 0.3) * o for o in ops)
        ch.append(SpectralChannel(f"m{i}", DampedOscillator(wa[i], gam[i]), V))
    for b in range(3):
        V = sum(rng.normal(0.0, 0.1) * o for o in ops)
        ch.append(SpectralChannel(f"d{b}", Debye(30.0), V))
    return H, SpectralBath(tuple(ch))


def run_case(J: float, n_modes: int, n_temps: int, check: bool) -> dict:
    from spinbath.quantum import phonon_rates as pr
    from spinbath.quantum.pauli import multilevel_rate, two_state_rate

    H, bath = model(J, n_modes)
    T = np.sort(1.0 / np.linspace(1.0 / 2.0, 1.0 / 60.0, n_temps))
    calls = {"n": 0}
    kernel = pr.PhononRates._kernel

    def counted(self, *a, **k):
        calls["n"] += 1
        return kernel(self, *a, **k)

    pr.PhononRates._kernel = counted
    t0 = time.perf_counter()
    rates = pr.PhononRates(H, bath)
    t1 = time.perf_counter()
    W1 = rates.one_phonon(T)
    t2 = time.perf_counter()
    W2 = rates.two_phonon(T)
    t3 = time.perf_counter()
    Wm = rates.model_rates({"one-phonon": W1, **W2})
    tau2 = 1.0 / two_state_rate(Wm["two-state"])
    taum = 1.0 / multilevel_rate(Wm["multi-level"])
    t4 = time.perf_counter()
    out = {"J": J, "modes": n_modes, "T": n_temps, "pairs": len(rates.two_phonon_pairs),
           "build": t1 - t0, "one": t2 - t1, "two": t3 - t2, "tau": t4 - t3, "total": t4 - t0,
           "evals": calls["n"], "tau_range": (float(taum.min()), float(taum.max())),
           "two_vs_multi_lowT": float(abs(tau2[0] / taum[0] - 1)), "clipped": int(Wm["clipped"].sum())}
    if check:
        ref = pr.PhononRates(H, bath, epsrel=1e-10).two_phonon(T)
        err = 0.0
        for k in ("raman", "raman-resonant"):
            a, b = W2[k], ref[k]
            mask = np.abs(b) > 1e-12 * np.abs(b).max()
            err = max(err, float(np.max(np.abs(a[mask] / b[mask] - 1))))
        out["err"] = err
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="S = 2 with 50 modes only")
    ap.add_argument("--temps", type=int, default=60)
    args = ap.parse_args()
    cases = [(2.0, 50)] if args.quick else [(2.0, 50), (2.0, 200), (2.5, 50)]
    rows = []
    for J, n in cases:
        with ProcessPoolExecutor(max_workers=1) as ex:  # fresh process per case
            rows.append(ex.submit(run_case, J, n, args.temps, True).result())
    head = (f"{'J':>4} {'modes':>5} {'T':>3} {'pairs':>5} {'build s':>8} {'1-ph s':>7} {'2-ph s':>7} "
            f"{'tau s':>6} {'total s':>8} {'evals':>6} {'err(1e-6)':>10} {'clipped':>7} {'tau range (s)':>22}")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['J']:>4g} {r['modes']:>5d} {r['T']:>3d} {r['pairs']:>5d} {r['build']:>8.2f} {r['one']:>7.3f} "
              f"{r['two']:>7.2f} {r['tau']:>6.2f} {r['total']:>8.2f} {r['evals']:>6d} {r['err']:>10.1e} "
              f"{r['clipped']:>7d} "
              f"{r['tau_range'][0]:>10.2e}..{r['tau_range'][1]:.2e}")
    target = rows[0]["total"]
    print(f"\ntarget: 60 temperatures, 50 modes + Debye in < 10 s on 2 cores -> {target:.1f} s on one core"
          f" ({'met' if target < 10 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
