"""Benchmark: exact Lindblad dynamics of the open spin-1/2 chain, spinbath against QuTiP.

The paper's parameters (dimensionless, hbar = 1): B = (0.25, 0.25, -0.5), V = (0.5, 0.1, 0.1),
Gamma = 0.1, n_b = 0.08, neighbour ratio 1/10, all spins along +x at t = 0.

For each N, every measurement runs in a fresh process (so that its peak RSS is its own):

* evolution to t = 100 with 200 output times: ``spinbath.quantum.evolve`` (Krylov, default
  tol 1e-10 on the global error) against ``qutip.mesolve`` (atol 1e-8, rtol 1e-6) on a Liouvillian
  that QuTiP builds from its own operators; build times are listed separately;
* the steady state: ``spinbath.quantum.steady_state`` (preconditioned FGMRES, relative residual
  1e-10) against ``qutip.steadystate`` (default direct solver).

Accuracy columns: max |Delta <S_j>| over sites, components and times (exact evolution), and
max |Delta rho_ss| (steady state), spinbath vs QuTiP where both ran. QuTiP runs are skipped where
they would exceed the time limit (default: mesolve up to N = 9, steadystate up to N = 7; on this
2-core machine QuTiP 5.3 takes ~170 s for mesolve at N = 9, ~200 s and 3.5 GB for steadystate
at N = 7 and finds no N = 8 steady state within 5 minutes), and killed after ``--timeout``.

    python benchmarks/bench_open_chain.py --quick          # N = 2..7
    python benchmarks/bench_open_chain.py                  # N = 2..10 (about 15 minutes)
    python benchmarks/bench_open_chain.py --sizes 8 --qutip-steady-max 8 --timeout 300
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time
import traceback

import numpy as np

FIELD = (0.25, 0.25, -0.5)
COUPLING = (0.5, 0.1, 0.1)
GAMMA, NB, RATIO = 0.1, 0.08, 0.1
T_FINAL, N_TIMES = 100.0, 200


def initial_state(n: int) -> np.ndarray:
    from spinbath.quantum.open_chain import product_state

    return product_state(n, (1.0, 0.0, 0.0))  # all spins along +x


def site_moments(rhos: np.ndarray, n: int) -> np.ndarray:
    """<S_j^a>(t) for all sites j and a = x, y, z: shape (n_t, n, 3)."""
    from spinbath.quantum.open_chain import spin_half

    S = spin_half()
    d = 2**n
    out = np.empty((rhos.shape[0], n, 3))
    for j in range(n):
        # partial trace to site j: reshape rho to (2^j, 2, 2^(n-j-1)) x (same)
        r = rhos.reshape(-1, 2**j, 2, 2 ** (n - j - 1), 2**j, 2, 2 ** (n - j - 1))
        rj = np.einsum("tajbakb->tjk", r)
        for a in range(3):
            out[:, j, a] = np.einsum("tjk,kj->t", rj, S[a]).real
    assert d == 2**n
    return out


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # kB -> GB (Linux)


def ours_evolve(n: int) -> dict:
    from spinbath.quantum import evolve, open_chain_liouvillian, thermal_rates

    t0 = time.perf_counter()
    on, nb = thermal_rates(GAMMA, NB, RATIO)
    L = open_chain_liouvillian(n, FIELD, COUPLING, on, nb) if n <= 8 else None
    if L is None:  # the sparse matrix is not needed; the matrix-free operator is the same model
        from spinbath.quantum import ChainModel, OpenChainLiouvillian

        L = OpenChainLiouvillian(ChainModel(n, FIELD, COUPLING, on, nb))
    build = time.perf_counter() - t0
    t = np.linspace(0.0, T_FINAL, N_TIMES)
    t0 = time.perf_counter()
    rhos = evolve(L, initial_state(n), t).states
    wall = time.perf_counter() - t0
    tr = float(np.abs(np.trace(rhos, axis1=1, axis2=2) - 1).max())
    return dict(build=build, wall=wall, rss=_peak_gb(), moments=site_moments(rhos, n), trace_err=tr)


def ours_steady(n: int) -> dict:
    from spinbath.quantum import ChainModel, OpenChainLiouvillian, steady_state_details

    t0 = time.perf_counter()
    L = OpenChainLiouvillian(ChainModel.thermal(n, GAMMA, NB, RATIO, field=FIELD, coupling=COUPLING))
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = steady_state_details(L)
    wall = time.perf_counter() - t0
    return dict(build=build, wall=wall, rss=_peak_gb(), rho=res.rho if n <= 8 else None,
                iterations=res.iterations or 0, residual=res.residual)


def qutip_liouvillian(n: int):
    import qutip as qt

    from spinbath.quantum import thermal_rates

    S = [qt.sigmax() / 2, qt.sigmay() / 2, qt.sigmaz() / 2]

    def site(op, j):
        return qt.tensor([op if k == j else qt.qeye(2) for k in range(n)])

    H = sum(b * site(s, j) for j in range(n) for b, s in zip(FIELD, S))
    H = H + sum(v * site(s, j) * site(s, j + 1) for j in range(n - 1) for v, s in zip(COUPLING, S))
    on, nb = thermal_rates(GAMMA, NB, RATIO)
    sp_, sm_ = S[0] + 1j * S[1], S[0] - 1j * S[1]
    ops = {("z", "+"): sp_, ("z", "-"): sm_}
    L = qt.liouvillian(H, [np.sqrt(g) * site(ops[k], j) for k, g in on.items() for j in range(n)])
    for k, g in nb.items():
        for j in range(n):
            for jp in (j - 1, j + 1):
                if 0 <= jp < n:
                    A, B = site(ops[k], jp), site(ops[k], j)
                    L = L + g * (qt.sprepost(A, B.dag()) - 0.5 * qt.spre(B.dag() * A) - 0.5 * qt.spost(B.dag() * A))
    return qt, L


def qutip_evolve(n: int) -> dict:
    t0 = time.perf_counter()
    qt, L = qutip_liouvillian(n)
    build = time.perf_counter() - t0
    rho0 = qt.Qobj(initial_state(n), dims=[[2] * n, [2] * n])
    t = np.linspace(0.0, T_FINAL, N_TIMES)
    t0 = time.perf_counter()
    res = qt.mesolve(L, rho0, t, options={"atol": 1e-8, "rtol": 1e-6, "store_states": True})
    wall = time.perf_counter() - t0
    rhos = np.array([s.full() for s in res.states])
    return dict(build=build, wall=wall, rss=_peak_gb(), moments=site_moments(rhos, n))


def qutip_steady(n: int) -> dict:
    t0 = time.perf_counter()
    qt, L = qutip_liouvillian(n)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    rho = qt.steadystate(L).full()
    wall = time.perf_counter() - t0
    return dict(build=build, wall=wall, rss=_peak_gb(), rho=rho)


def _child(func, n, conn):
    try:
        conn.send(("ok", func(n)))
    except BaseException:  # noqa: BLE001 - report anything to the parent
        conn.send(("error", traceback.format_exc()))
    conn.close()


def run_isolated(func, n: int, timeout: float) -> dict | str:
    """Run func(n) in a fresh process; returns its dict, or a string saying why not."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    p = ctx.Process(target=_child, args=(func, n, child))
    t0 = time.perf_counter()
    p.start()
    child.close()
    if parent.poll(timeout):
        status, payload = parent.recv()
        p.join()
        if status == "ok":
            return payload
        print(payload, flush=True)
        return "error"
    p.kill()
    p.join()
    return f">{time.perf_counter() - t0:.0f} s (killed)"


def fmt_time(r) -> str:
    return r if isinstance(r, str) else f"{r['wall']:.2f}"


def fmt_rss(r) -> str:
    return "-" if isinstance(r, str) else f"{r['rss']:.2f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=None, help="chain lengths (default 2..10)")
    ap.add_argument("--quick", action="store_true", help="N = 2..7")
    ap.add_argument("--qutip-evolve-max", type=int, default=9, help="largest N for qutip.mesolve")
    ap.add_argument("--qutip-steady-max", type=int, default=7, help="largest N for qutip.steadystate")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds before a run is killed")
    args = ap.parse_args()
    sizes = args.sizes or (list(range(2, 8)) if args.quick else list(range(2, 11)))

    rows = []
    for n in sizes:
        print(f"N = {n} ...", flush=True)
        oe = run_isolated(ours_evolve, n, args.timeout)
        qe = run_isolated(qutip_evolve, n, args.timeout) if n <= args.qutip_evolve_max else "skipped"
        os_ = run_isolated(ours_steady, n, args.timeout)
        qs = run_isolated(qutip_steady, n, args.timeout) if n <= args.qutip_steady_max else "skipped"
        dm = "-"
        if isinstance(oe, dict) and isinstance(qe, dict):
            dm = f"{np.abs(oe['moments'] - qe['moments']).max():.1e}"
        ds = "-"
        if isinstance(os_, dict) and isinstance(qs, dict) and os_["rho"] is not None:
            ds = f"{np.abs(os_['rho'] - qs['rho']).max():.1e}"
        speed = "-"
        if isinstance(oe, dict) and isinstance(qe, dict):
            speed = f"{qe['wall'] / oe['wall']:.1f}x"
        row = (n, 4**n, fmt_time(oe), fmt_rss(oe), fmt_time(qe), fmt_rss(qe), speed, dm,
               fmt_time(os_), fmt_rss(os_), "-" if isinstance(os_, str) else str(os_["iterations"]),
               fmt_time(qs), fmt_rss(qs), ds)
        rows.append(row)
        print("  " + " | ".join(map(str, row)), flush=True)

    head = ("N", "4^N", "evolve s", "GB", "mesolve s", "GB", "speed-up", "max|dS|",
            "steady s", "GB", "FGMRES it", "qutip ss s", "GB", "max|drho|")
    print()
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for row in rows:
        print("| " + " | ".join(map(str, row)) + " |")
    print("\nevolve: t = 0..100, 200 output times; GB = peak RSS of the measuring process "
          "(includes the (200, 2^N, 2^N) result: 3.4 GB at N = 10). 'skipped': beyond the QuTiP "
          "limits given by --qutip-*-max.")


if __name__ == "__main__":
    main()
