"""The rates of the ``hysteresis`` study as Dask tasks ([method.field_nodes] backend = "dask").

Checked: on a local Dask cluster of 2 worker processes, R(b, T) at every field node (those at -b
derived here by time reversal, R(-b) = conj(R(b)), or all computed in tasks when a transverse field
breaks it), the ZFC/FC and zero-field models, and the study's M(H), ZFC/FC and tau(T) equal those of
the default path in this process to 1e-12 relative (the same code on the same inputs: in practice
bit for bit); the results record where the rates ran; bad settings are one config error (exit 2).
Order 2 on the DyCp model bath (0.05 s per node), one cluster for the module.
"""

from __future__ import annotations

import logging
import tomllib
from importlib import resources

import numpy as np
import pytest

import spinbath
from helpers import assert_bad_input, spin_half_loop
from spinbath.quantum.field_rates import PhononFieldRates
from spinbath.quantum.field_sweep import SweepNode
from spinbath.studies import HysteresisConfig
from spinbath.sweeps.execute import WORKER_ENV, Backend
from spinbath.sweeps.field_nodes import field_rates

RTOL = 1e-12


def _small() -> dict:
    cfg = tomllib.loads(resources.files("spinbath.examples").joinpath("dycp-hysteresis.toml").read_text())
    cfg["method"]["order"] = "2"
    cfg["loop"]["points"] = 12
    cfg["temperatures"] = [2.0, 40.0]
    cfg["zfc_fc"]["temperatures"] = {"start": "2 K", "stop": "80 K", "num": 6}
    return cfg


@pytest.fixture(scope="module")
def scheduler():
    """A local cluster of 2 single-threaded worker processes (one BLAS thread each), its address."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  env=dict(WORKER_ENV), silence_logs=logging.ERROR) as cluster:
        yield cluster.scheduler_address


def _close(a: np.ndarray, b: np.ndarray) -> None:
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape
    assert np.abs(a - b).max(initial=0.0) <= RTOL * max(np.abs(b).max(initial=0.0), 1e-300)


def _same_node(x: SweepNode, y: SweepNode) -> None:
    assert x.field == y.field and x.n_channels == y.n_channels
    _close(x.energies, y.energies)
    _close(x.basis, y.basis)
    assert len(x.blocks) == len(y.blocks)
    for (ix, Rx), (iy, Ry) in zip(x.blocks, y.blocks):
        np.testing.assert_array_equal(ix, iy)
        _close(Rx, Ry)
    np.testing.assert_array_equal(x.single, y.single)
    _close(x.single_rates, y.single_rates)


def _provider(transverse: float = 0.0) -> PhononFieldRates:
    cfg = HysteresisConfig(**_small())
    return PhononFieldRates(cfg.spin.hamiltonian(), cfg.bath.build(cfg.spin.J), [0, 0, 1], [2.0, 40.0], "2",
                            transverse=(transverse, 0.0, 0.0), width=10.0)


@pytest.mark.parametrize("transverse", [0.0, 0.3])
def test_rates_per_node_on_dask_equal_the_serial_ones(scheduler, transverse):
    fields = np.array([2.0, 0.7, 0.1, 0.0, -0.1, -0.7, -2.0, -3.0])
    TZ = np.array([2.0, 20.0, 80.0])
    pr = _provider(transverse)
    assert pr.time_reversal == (transverse == 0.0)
    out = field_rates(pr, fields, backend=Backend("scheduler", address=scheduler, workers=2), zfc=(0.1, TZ),
                      zero_field_temperatures=TZ)
    # time reversal: the 8 fields need 5 direct nodes (|b|), the 4 at b < 0 are derived here; else all 8 in tasks
    assert (out.direct, out.derived) == ((5, 4) if transverse == 0.0 else (8, 0))
    assert out.tasks == 2 + min(out.direct, 4 * 2) and out.backend.startswith("Dask scheduler")
    ref = _provider(transverse)
    for b, nd in zip(fields, out.nodes):
        _same_node(nd, ref.node(b))
    for x, y in zip(out.zfc_nodes, ref.temperature_nodes(0.1, TZ)):
        _same_node(x, y)
    for x, y in zip(out.zero_field, ref.zero_field_stack(TZ)):
        _close(x, y)


@pytest.mark.parametrize("case", ["dycp", "tunnelling"])
def test_study_on_dask_equals_the_serial_study(scheduler, case):
    """DyCp (time reversal on) and a spin 1/2 with a tunnel splitting and a field-dependent bath
    (time reversal off; the bath a callable that travels with the tasks)."""
    make = _small if case == "dycp" else (lambda: spin_half_loop(2e-7, 1e-6))
    serial = spinbath.run(make(), quiet=True)
    cfg = make()
    cfg["method"]["field_nodes"] = {"backend": "dask", "scheduler": scheduler}
    dask = spinbath.run(cfg, quiet=True)
    for name in ("magnetization", "equilibrium_magnetization", "M_zfc", "M_fc", "tau_zero_field", "coercive_field"):
        np.testing.assert_array_equal(np.isnan(dask[name].values), np.isnan(serial[name].values))
        _close(np.nan_to_num(dask[name].values), np.nan_to_num(serial[name].values))
    np.testing.assert_array_equal(dask.field.values, serial.field.values)
    assert serial.attrs["rates_backend"] == "this process" and serial.attrs["rates_tasks"] == 0
    assert dask.attrs["rates_backend"] == f"Dask tasks: Dask scheduler {scheduler}"
    assert dask.attrs["rates_tasks"] >= 3


@pytest.mark.parametrize("table, needles", [
    ('backend = "threads"', ["method.field_nodes.backend", "threads"]),
    ("workers = 0", ["method.field_nodes.workers"]),
    ("processes = 2", ["method.field_nodes", "processes"]),
])
def test_bad_field_node_settings_are_one_line_and_exit_code_2(tmp_path, capsys, table, needles):
    text = resources.files("spinbath.examples").joinpath("dycp-hysteresis.toml").read_text()
    assert_bad_input(tmp_path, capsys, text + f"\n[method.field_nodes]\n{table}\n", needles)
