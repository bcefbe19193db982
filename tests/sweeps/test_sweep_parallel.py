"""Serial and local-cluster sweeps agree exactly; the dataset is the study's, point by point; failing
tasks are reported with their parameters while the others finish; workers run single-threaded."""

from __future__ import annotations

import os

import numpy as np
import pytest
import xarray as xr

from spinbath.cli import main
from spinbath.config import parse_config_text
from spinbath.sweeps.execute import WORKER_ENV, Backend, Executor
from helpers import JUNCTION_1x1, load, run_cli


def test_serial_and_two_worker_local_cluster_give_identical_datasets(junction_serial, tmp_path):
    text, reference = junction_serial
    code, out = run_cli(tmp_path, text, "--workers", "2")
    assert code == 0
    xr.testing.assert_identical(load(out), reference)


def test_local_cluster_workers_are_single_threaded_processes():
    with Executor(Backend("local", workers=2), n_jobs=2, module="toy_study") as ex:
        assert ex.n_workers == 2
        assert set(ex.client.nthreads().values()) == {1}
        envs = ex.client.run(lambda: ({k: os.environ.get(k) for k in WORKER_ENV}, os.getpid()))
    assert all(env == WORKER_ENV for env, _ in envs.values())
    assert len({pid for _, pid in envs.values()} | {os.getpid()}) == 3


def test_sweep_dataset_layout_and_values(junction_serial):
    _, ds = junction_serial
    assert list(ds["J_per_Delta2"].dims) == ["junction.t0", "junction.eps0", "t_soc", "site", "V", "mu_F"]
    assert ds["junction.t0"].attrs["units"] == "meV" and ds["junction.eps0"].attrs["units"] == "meV"
    np.testing.assert_array_equal(ds["junction.eps0"], [-0.5, 0.5])
    # One point against a plain run of the study at that point.
    study, cfg = parse_config_text(JUNCTION_1x1.replace("[bias]", "[junction]\nt0 = 3.0\neps0 = -0.5\n[bias]"))
    point = study.run(cfg)
    sel = ds.sel({"junction.t0": 3.0, "junction.eps0": -0.5})
    for name in ("J_per_Delta2", "D_per_Delta2", "alpha_i", "T_eff"):
        np.testing.assert_array_equal(sel[name].values, point[name].values)
    assert "failed" not in ds


@pytest.mark.parametrize("backend", ["serial", "cluster"])
def test_failing_task_is_reported_and_the_others_finish(backend, tmp_path, capsys, request):
    options = ["--serial"] if backend == "serial" else [
        "--scheduler", request.getfixturevalue("dask_scheduler"), "--workers", "2"]
    flag, log = tmp_path / "armed", tmp_path / "computed.log"
    flag.touch()
    text = f'study = "toy"\nfail_at = 2.0\nfail_while = "{flag}"\nlog = "{log}"\n[sweep]\nx = [0, 1, 2, 3]\n'
    code, out = run_cli(tmp_path, text, *options)
    err = capsys.readouterr().err
    assert code == 1, err
    assert "task 2 failed (x = 2): RuntimeError: toy failure at x = 2.0" in err
    assert "1 of 4 sweep tasks failed" in err
    ds = load(out)
    np.testing.assert_array_equal(ds["failed"], [False, False, True, False])
    np.testing.assert_array_equal(ds["f"], [0.0, 1.0, np.nan, 9.0])
    assert "toy failure" in ds.attrs["sweep_failures"]

    assert main(["status", str(tmp_path / "c.sweep")]) == 0
    status = capsys.readouterr().out
    assert "done     3" in status and "failed   1" in status and "pending  0" in status
    assert "task 2 (x = 2): RuntimeError: toy failure at x = 2.0" in status

    flag.unlink()  # the cause is fixed; the same command recomputes only the failed task
    code, out = run_cli(tmp_path, text, *options)
    assert code == 0
    assert len(log.read_text().splitlines()) == 5
    ds = load(out)
    assert "failed" not in ds and "sweep_failures" not in ds.attrs
    np.testing.assert_array_equal(ds["f"], [0.0, 1.0, 4.0, 9.0])


def test_all_tasks_failing_writes_no_results(tmp_path, capsys):
    code, out = run_cli(tmp_path, 'study = "toy"\nfail_at = 2.0\n[sweep]\nx = [2.0]\n', "--serial")
    err = capsys.readouterr().err
    assert code == 1 and "1 of 1 sweep tasks failed; no results written" in err
    assert not out.exists()
