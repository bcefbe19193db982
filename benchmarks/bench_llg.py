"""Benchmark: ensemble throughput of the stochastic LLG (spinbath.classical.llg).

System: the dimer of issue #7, E = -J m1.m2 (J = 1), nonlocal damping alpha_11 = alpha_22 = 0.5,
alpha_12 = 0.3, k_B T = 0.5 (Q = 2 k_B T alpha), dt = 0.01, noise-induced drift on (default).
Throughput = trajectories x spins x steps / wall time (spin-steps/s). Each measurement runs in a
fresh process (spawn) so that its peak RSS is its own; compiled kernels are loaded (or compiled)
by a warm-up call before timing, so wall times exclude compilation.

Rows:
* ``numba``   -- the compiled kernels (default backend), Heun and midpoint, several ensemble sizes;
                 also the plain Stratonovich equation (no drift), a general noise covariance
                 (per-step Lyapunov solve) and a single spin;
* ``numpy``   -- the batched numpy reference backend (vectorized across trajectories);
* ``loop``    -- the peer: a plain per-trajectory Python loop of the same Heun scheme (numpy
                 6 x 6 solves per step), checked to reproduce the library's trajectory to 1e-12 on
                 the same noise. (For scale: an atomistic spin-dynamics code runs ~6e5 spin-steps/s
                 on this dimer on the same machine, per the issue.)

    python benchmarks/bench_llg.py            # full table (~2-4 minutes; first run compiles)
    python benchmarks/bench_llg.py --quick    # small sizes only
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
from _fresh_process import in_fresh_process

KT, DT = 0.5, 0.01
ALPHA = [[0.5, 0.3], [0.3, 0.5]]


def dimer():
    from spinbath.classical.spin_model import ClassicalSpinModel

    return ClassicalSpinModel(2, damping=ALPHA).with_exchange(0, 1, J=-1.0)


def general_noise():
    rng = np.random.default_rng(11)
    L = rng.standard_normal((6, 6))
    return L @ L.T / 6 * 0.6 + 0.3 * np.eye(6)


# ----------------------------------------------------------------------------- the peer loop
def peer_loop(model, m0, states, n_steps):
    """Per-trajectory Heun with the thermal noise-induced drift, written plainly (numpy on 6 x 6
    matrices, one trajectory and one step at a time), on the noise of rng.standard_normals."""
    from spinbath.classical import rng as R

    alpha = model.damping
    L, h = model.coupling, model.bias.ravel()
    B = np.linalg.cholesky(2 * KT * alpha) / np.sqrt(DT)
    eye = np.eye(6)
    out = np.empty_like(m0)

    def cross(x):
        X = np.zeros((6, 6))
        for a in range(2):
            m = x[3 * a:3 * a + 3]
            X[3 * a:3 * a + 3, 3 * a:3 * a + 3] = [[0, -m[2], m[1]], [m[2], 0, -m[0]],
                                                   [-m[1], m[0], 0]]
        return X

    def vel(x, xi):
        X = cross(x)
        return X @ np.linalg.solve(eye + alpha @ X, L @ x + h + xi)

    def drift(x):
        X = cross(x)
        gamma, gm, N = eye + alpha @ X, eye - alpha @ X, eye + X @ alpha
        R2 = 0.5 * (np.linalg.inv(gamma) + np.linalg.inv(gm))
        v = np.concatenate([[R2[o + 2, o + 1] - R2[o + 1, o + 2], R2[o, o + 2] - R2[o + 2, o],
                             R2[o + 1, o] - R2[o, o + 1]] for o in (0, 3)])
        return KT * np.linalg.solve(N, v)

    def norm(x):
        return (x.reshape(2, 3) / np.linalg.norm(x.reshape(2, 3), axis=1, keepdims=True)).ravel()

    for t in range(m0.shape[0]):
        x = m0[t].ravel().copy()
        z = R.standard_normals(states[:, t:t + 1].copy(), n_steps, 6)[:, :, 0]  # drawn up front
        for k in range(n_steps):
            xi = B @ z[k]
            F0 = vel(x, xi)
            c = drift(x)
            xt = norm(x + DT * (F0 + c))
            F1 = vel(xt, xi)
            x = norm(x + DT * (0.5 * (F0 + F1) + c))
        out[t] = x.reshape(2, 3)
    return out


# ----------------------------------------------------------------------------- measurements
def _measure(kind, n_traj, n_steps, queue):
    try:
        from spinbath.classical import llg
        from spinbath.classical import rng as R

        model = dimer()
        m0 = llg.random_unit_vectors((n_traj, 2), np.random.default_rng(0))
        n_spins = 2
        if kind == "loop":
            states = R.initial_states(R.seed_key(1), 0, n_traj)
            peer_loop(model, m0[:1], states[:, :1].copy(), 2)            # warm-up
            t0 = time.perf_counter()
            out = peer_loop(model, m0, states.copy(), n_steps)
            wall = time.perf_counter() - t0
            ref = llg.simulate(model, m0, dt=DT, n_steps=n_steps, kT=KT, seed=1)
            check = float(np.max(np.abs(out - ref.final)))
        else:
            backend, scheme, variant = kind.split(":")
            method = llg.Heun() if scheme == "heun" else llg.Midpoint()
            kw = dict(dt=DT, kT=KT, method=method, backend=backend, seed=1)
            if variant == "plain":
                kw["drift_correction"] = False
            elif variant == "general":
                kw.pop("kT")
                kw["noise"] = general_noise()
            elif variant == "single":
                from spinbath.classical.spin_model import ClassicalSpinModel

                model = ClassicalSpinModel(1, damping=0.5).with_uniaxial(0, 1.0, (0, 0, 1))
                m0 = m0[:, :1]
                n_spins = 1
            llg.simulate(model, m0[: min(n_traj, 64)], n_steps=2, **kw)  # compile / load
            t0 = time.perf_counter()
            llg.simulate(model, m0, n_steps=n_steps, **kw)
            wall = time.perf_counter() - t0
            check = float("nan")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        queue.put((wall, peak, n_traj * n_spins * n_steps / wall, check))
    except Exception as exc:  # report, do not hang the parent
        queue.put(exc)


def measure(kind, n_traj, n_steps):
    return in_fresh_process(_measure, kind, n_traj, n_steps)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    args = ap.parse_args()
    rows = [("numba:heun:thermal", 1024, 2000), ("numba:heun:thermal", 16384, 2000),
            ("numba:heun:thermal", 65536, 500), ("numba:midpoint:thermal", 16384, 500),
            ("numba:heun:plain", 16384, 2000), ("numba:heun:general", 16384, 500),
            ("numba:heun:single", 16384, 2000), ("numpy:heun:thermal", 4096, 50),
            ("loop", 8, 200)]
    if args.quick:
        rows = [("numba:heun:thermal", 4096, 500), ("numba:midpoint:thermal", 4096, 100),
                ("numpy:heun:thermal", 1024, 20), ("loop", 4, 100)]
    import os

    print(f"stochastic LLG ensemble throughput; dimer, nonlocal alpha, k_B T = {KT}, dt = {DT}; "
          f"{os.cpu_count()} cores")
    print(f"{'backend:scheme:drift':26s} {'n_traj':>7s} {'steps':>6s} {'wall s':>8s} "
          f"{'peak MB':>8s} {'spin-steps/s':>13s}")
    results = {}
    for kind, n_traj, n_steps in rows:
        wall, peak, thr, check = measure(kind, n_traj, n_steps)
        results[(kind, n_traj)] = thr
        extra = f"   (same trajectory as the library to {check:.1e})" if kind == "loop" else ""
        print(f"{kind:26s} {n_traj:7d} {n_steps:6d} {wall:8.2f} {peak:8.0f} {thr:13.3g}{extra}",
              flush=True)
    loop = [v for (k, _), v in results.items() if k == "loop"][0]
    best = max(v for (k, _), v in results.items() if k == "numba:heun:thermal")
    print(f"numba Heun (corrected) / per-trajectory loop: {best / loop:.0f}x; target 2e7 "
          f"spin-steps/s: {'met' if best >= 2e7 else 'NOT met'} ({best:.3g})")


if __name__ == "__main__":
    main()
