"""Sweeps on a running dask.distributed cluster (scheduler + 2 workers started by the standard CLI
on 127.0.0.1): through --scheduler and through SPINBATH_SCHEDULER, the same dataset as serially."""

from __future__ import annotations

import xarray as xr

from spinbath.sweeps import execute
from helpers import load, run_cli


def test_scheduler_option_gives_the_serial_dataset(dask_scheduler, junction_serial, tmp_path, capsys):
    text, reference = junction_serial
    code, out = run_cli(tmp_path, text, "--scheduler", dask_scheduler, "--workers", "2")
    assert code == 0
    xr.testing.assert_identical(load(out), reference)
    assert "note:" not in capsys.readouterr().err  # the workers were started single-threaded


def test_environment_variable_selects_the_scheduler(dask_scheduler, junction_serial, tmp_path, monkeypatch):
    text, reference = junction_serial
    monkeypatch.setenv(execute.SCHEDULER_ENV_VAR, dask_scheduler)
    assert execute.choose_backend() == execute.Backend("scheduler", address=dask_scheduler)
    assert execute.choose_backend(serial=True).kind == "serial"  # the command line wins
    code, out = run_cli(tmp_path, text)
    assert code == 0
    xr.testing.assert_identical(load(out), reference)


def test_unreachable_scheduler_is_bad_input_and_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(execute, "CONNECT_TIMEOUT", "1s")
    code, _ = run_cli(tmp_path, 'study = "toy"\n[sweep]\nx = [1, 2]\n', "--scheduler", "tcp://127.0.0.1:9")
    err = capsys.readouterr().err
    assert code == 2 and "cannot connect to the dask scheduler at 'tcp://127.0.0.1:9'" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.toml"]
