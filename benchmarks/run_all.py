"""Run every benchmark in this folder (each prints its own table).

    python benchmarks/run_all.py            # full sizes (the 16000-mode case takes a few minutes)
    python benchmarks/run_all.py --quick    # reduced sizes, about a minute
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: script -> extra arguments for --quick
BENCHMARKS = {
    "bench_fourth_order.py": ["--quick"],
    "bench_fourth_order_dask.py": ["--quick"],
    "tune_dycp_model.py": [],
    "bench_open_chain.py": ["--quick"],
    "bench_swept_chain.py": ["--quick"],
    "bench_junction_map.py": ["--quick"],
    "bench_fit.py": [],
    "bench_sweeps.py": ["--quick"],
    "bench_relaxation_laws.py": ["--quick"],
    "bench_ac_fit.py": [],
    "bench_dimer_example.py": ["--quick"],
    "bench_hysteresis.py": ["--quick"],
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="reduced sizes")
    args = ap.parse_args()
    failed = []
    for script, quick_args in BENCHMARKS.items():
        print(f"\n=== {script} ===", flush=True)
        cmd = [sys.executable, str(HERE / script)] + (quick_args if args.quick else [])
        if subprocess.call(cmd) != 0:
            failed.append(script)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
