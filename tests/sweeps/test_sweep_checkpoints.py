"""Checkpoints: exact round trip, atomic files, partial files never read, damaged files recomputed,
re-runs compute only what is missing and give the identical dataset."""

from __future__ import annotations

import numpy as np
import xarray as xr

from spinbath.cli import main
from spinbath.config import parse_config_text
from spinbath.sweeps.rundir import RunDir
from spinbath.sweeps.status import sweep_status
from spinbath.sweeps.tasks import compute_task, read_checkpoint, write_checkpoint
from helpers import SPECTRUM, load, run_cli


def _toy(tmp_path, extra=""):
    log = tmp_path / "computed.log"
    return (f'study = "toy"\nlog = "{log}"\n{extra}[sweep]\nx = [0, 1, 2]\ny = [10, 20]\n'), log


def test_checkpoint_round_trip_is_exact(tmp_path):
    study, cfg = parse_config_text("temperatures = [2, 300]\n" + SPECTRUM)
    ds, _ = compute_task(study, cfg)
    ds["label"] = ("level", np.array([f"L{i}" for i in range(ds.sizes["level"])], dtype=object), {"units": "1"})
    ds.attrs["tuple_attr"] = (1, 2)
    path = write_checkpoint(tmp_path / "k.npz", ds, {"key": "k", "config": "{}"})
    back, header = read_checkpoint(path, expect_config="{}")
    xr.testing.assert_identical(back, ds)
    assert back["label"].dtype == object and header["key"] == "k"
    assert [p.name for p in tmp_path.iterdir()] == ["k.npz"]  # no temporary left behind


def test_rerun_computes_only_missing_and_is_identical(tmp_path):
    text, log = _toy(tmp_path)
    code, out = run_cli(tmp_path, text, "--serial")
    assert code == 0
    first = load(out)
    assert len(log.read_text().splitlines()) == 6
    rd = RunDir(tmp_path / "c.sweep")
    assert len(rd.done_keys()) == 6
    # Lose two checkpoints; leave a torn temporary file such as a SIGKILL mid-write would.
    for key in sorted(rd.done_keys())[:2]:
        rd.checkpoint(key).unlink()
    torn = rd.tasks / f".{sorted(rd.done_keys())[0]}.npz.abcd.tmp"
    torn.write_bytes(b"PK\x03\x04 torn")
    assert len(rd.done_keys()) == 4
    out.unlink()
    code, out = run_cli(tmp_path, text, "--serial")
    assert code == 0
    assert len(log.read_text().splitlines()) == 8  # two recomputed, four reused
    assert not torn.exists()
    xr.testing.assert_identical(load(out), first)
    # Nothing missing: nothing computed, no cluster started, same file again.
    code, out = run_cli(tmp_path, text)
    assert code == 0 and len(log.read_text().splitlines()) == 8
    xr.testing.assert_identical(load(out), first)


def test_changing_one_value_recomputes_only_the_new_tasks(tmp_path):
    text, log = _toy(tmp_path)
    assert run_cli(tmp_path, text, "--serial")[0] == 0
    assert run_cli(tmp_path, text.replace("y = [10, 20]", "y = [10, 20, 30]"), "--serial")[0] == 0
    assert len(log.read_text().splitlines()) == 6 + 3


def test_damaged_checkpoint_is_reported_removed_and_recomputed(tmp_path, capsys):
    text, log = _toy(tmp_path)
    assert run_cli(tmp_path, text, "--serial")[0] == 0
    rd = RunDir(tmp_path / "c.sweep")
    victim = sorted(rd.done_keys())[0]
    rd.checkpoint(victim).write_bytes(b"not a checkpoint")
    code, out = run_cli(tmp_path, text, "--serial")
    err = capsys.readouterr().err
    assert code == 1 and "unreadable checkpoint" in err
    assert not rd.checkpoint(victim).exists()
    assert int(load(out)["failed"].sum()) == 1
    code, out = run_cli(tmp_path, text, "--serial")
    assert code == 0 and "failed" not in load(out)
    assert len(log.read_text().splitlines()) == 7


def test_locked_run_folder_is_refused(tmp_path, capsys):
    text, _ = _toy(tmp_path)
    assert run_cli(tmp_path, text, "--serial")[0] == 0
    with RunDir(tmp_path / "c.sweep").locked():
        code, _ = run_cli(tmp_path, text, "--serial")
        assert sweep_status(tmp_path / "c.sweep").state == "running"
    assert code == 2 and "another spinbath process" in capsys.readouterr().err
    assert sweep_status(tmp_path / "c.sweep").state == "finished"


def test_status_of_a_finished_sweep(tmp_path, capsys):
    text, _ = _toy(tmp_path)
    assert run_cli(tmp_path, text, "--serial")[0] == 0
    capsys.readouterr()
    for target in (tmp_path / "c.sweep", tmp_path / "c.nc"):
        assert main(["status", str(target)]) == 0
        out = capsys.readouterr().out
        assert "6 tasks" in out and "done     6" in out and "pending  0" in out and "state    finished" in out
    assert main(["status", str(tmp_path)]) == 2
    assert "not a sweep run folder" in capsys.readouterr().err
