"""Common slips at the command line: a results file given to `run`, and -q after the subcommand."""

from __future__ import annotations

import subprocess
import sys

from helpers import SPECTRUM
from spinbath.cli import main


def test_run_on_a_results_file_says_to_use_rerun(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text(SPECTRUM)
    results = tmp_path / "c.nc"
    assert main(["-q", "run", str(cfg), "--no-figure", "--out", str(results)]) == 0
    assert results.exists()
    before = sorted(p.name for p in tmp_path.iterdir())
    capsys.readouterr()
    proc = subprocess.run([sys.executable, "-m", "spinbath.cli", "run", str(results)], capture_output=True,
                          text=True, cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "UnicodeDecodeError" not in proc.stderr
    assert "results file" in proc.stderr and f"spinbath rerun {results}" in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


def test_quiet_after_the_subcommand_silences_the_run(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text(SPECTRUM)
    assert main(["run", str(cfg), "--no-figure", "--out", str(tmp_path / "loud.nc")]) == 0
    loud = capsys.readouterr()
    assert main(["run", str(cfg), "--no-figure", "--out", str(tmp_path / "q.nc"), "-q"]) == 0
    quiet = capsys.readouterr()
    assert loud.out.strip() != "" and quiet.out == "" and quiet.err == ""
    assert main(["-q", "examples"]) == 0 and main(["examples", "--quiet"]) == 0
