"""Progress in the unit of the work, and a size/time line without a terminal.

pytest captures stderr (not a terminal), so these runs see what a log file or a CI job sees.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import spinbath
from spinbath import progress
from spinbath.progress import work

from test_figures import small_config
from test_sweep_figures import SPIN_PHONON

UNITS = {
    "spectrum": (lambda: small_config("spectrum"), r"spectrum: 51 fields"),
    "spin-phonon": (lambda: {k: v for k, v in SPIN_PHONON.items() if k != "sweep"},
                    r"spin-phonon rates \(orders 2; \d+ modes, 4 temperatures\): \d+ transition groups"),
    "relaxation-laws": (lambda: small_config("relaxation-two-modes"),
                        r"relaxation-laws rates \(2 bath channels\): 50 temperatures"),
    "junction-couplings": (lambda: small_config("junction"),
                           r"junction couplings \(9 V x 7 mu_F x 2 t\): 126 \(V, mu_F, t\) points"),
    "dimer-llg": (lambda: small_config("dimer-llg"), r"dimer-llg couplings \(Keldysh integrals\): 9 biases"),
    "hysteresis": (lambda: small_config("dycp-hysteresis"),
                   r"hysteresis rates \(order 2; 825 modes, 3 temperatures\): \d+ field nodes"),
    "open-chain": (lambda: small_config("chain-n3"), r"open chain N = 3 \(mean-field evolution, exact evolution.*\): \d stages"),
}


@pytest.mark.parametrize("study", sorted(UNITS))
def test_every_study_states_its_size_in_work_units_without_a_terminal(study, capsys):
    make, pattern = UNITS[study]
    spinbath.run(make())
    err = capsys.readouterr().err
    assert re.search(pattern, err), err
    assert "\x1b[" not in err  # no control characters in a log


def test_quiet_prints_nothing(capsys):
    spinbath.run(small_config("spectrum"), quiet=True)
    assert capsys.readouterr().err == ""


def test_time_estimate_line_for_a_long_run(monkeypatch, capsys):
    """After the first units, a run that will take longer than ESTIMATE_AFTER_S says how long."""
    clock = iter([0.0, 2.0, 4.0, 6.0])
    monkeypatch.setattr(progress, "_clock", lambda: next(clock))
    monkeypatch.setattr(progress, "_QUIET", False)  # an earlier `spinbath -q ...` in this process may have set it
    with work("toy run", 100, "bias points") as advance:
        advance(2)  # 2 of 100 in 2 s -> about 100 s
        advance(2)
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "toy run: 100 bias points"
    assert err[1] == "toy run: about 1.7 min in total (2 of 100 bias points took 2 s)"
    assert len(err) == 2  # said once


def test_time_estimate_weighs_units_of_unequal_cost(monkeypatch, capsys):
    """Chunks of a pair sum differ in cost: 2 of 100 chunks done in 2 s, but they hold 1 % of the work
    (and 3 reused chunks, weight 0, none of it and no time): the estimate is 200 s, not 2 s x 100 / 5."""
    clock = iter([0.0, 2.0, 4.0])
    monkeypatch.setattr(progress, "_clock", lambda: next(clock))
    monkeypatch.setattr(progress, "_QUIET", False)
    with work("pair sum", 100, "chunks", total_weight=1000.0) as advance:
        advance(3, weight=0.0)
        advance(2, weight=10.0)
    err = capsys.readouterr().err.splitlines()
    assert err[1] == "pair sum: about 3.3 min in total (2 of 100 chunks took 2 s)"


def test_no_estimate_for_a_short_run(monkeypatch, capsys):
    clock = iter([0.0, 0.6, 1.2])
    monkeypatch.setattr(progress, "_clock", lambda: next(clock))
    monkeypatch.setattr(progress, "_QUIET", False)  # an earlier `spinbath -q ...` in this process may have set it
    with work("toy run", 10, "temperatures") as advance:
        advance(1)
        advance(1)
    assert capsys.readouterr().err.splitlines() == ["toy run: 10 temperatures"]


def test_spin_phonon_progress_counts_every_transition_group():
    from spinbath.quantum.spin_phonon import SpinPhononRates

    from helpers import kramers_model

    H, V, w = kramers_model()
    rates = SpinPhononRates(H, V, w, 8.0)
    for order in (2, 4, "2+4"):
        told = []
        rates.superoperator(np.array([20.0, 40.0]), order, progress=told.append)
        assert sum(told) == rates.work_units(order) > 0
        assert all(n > 0 for n in told)


def test_terminal_bar_counts_units_and_runs_on_the_weights(monkeypatch):
    """On a terminal the text counts the chunks while the bar (and rich's remaining time) follows
    their work: the bar's total is the total weight and each chunk advances it by its own weight."""
    import io

    from rich.console import Console
    from rich.progress import Progress

    updates = []
    real_update = Progress.update

    def update(self, task_id, **kw):
        updates.append((kw.get("advance"), kw.get("units")))
        return real_update(self, task_id, **kw)

    monkeypatch.setattr(Progress, "update", update)
    monkeypatch.setattr(progress, "_QUIET", False)
    monkeypatch.setattr(progress, "progress_console",
                        lambda: Console(file=io.StringIO(), force_terminal=True, width=120))
    monkeypatch.setattr(progress, "bars_visible", lambda console, quiet=None: True)
    with work("pair sum", 4, "chunks", total_weight=100.0) as advance:
        advance(1, weight=0.0)  # reused
        advance(1, weight=90.0)
        advance(2, weight=10.0)
    assert updates == [(0.0, 1), (90.0, 2), (10.0, 4)]
    updates.clear()
    with work("plain", 3, "temperatures") as advance:  # unweighted: the bar counts the units
        advance()
        advance(2)
    assert updates == [(1, 1), (2, 3)]
