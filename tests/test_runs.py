"""consecutive_runs: runs of values within a tolerance of the run's mean (sweeps, degenerate levels)."""

import numpy as np

from spinbath.runs import consecutive_runs


def _reference(values, tol):
    """The definition, written the slow way: the mean of the run so far, recomputed each step."""
    groups, current = [], [0]
    for i in range(1, len(values)):
        if abs(values[i] - np.mean([values[j] for j in current])) <= tol:
            current.append(i)
        else:
            groups.append(current)
            current = [i]
    return groups + [current]


def test_runs_follow_the_definition_and_cover_every_index_once():
    rng = np.random.default_rng(3)
    for _ in range(20):
        v = np.repeat(rng.uniform(0, 10, 8), rng.integers(1, 6, 8))
        v = v + 0.03 * rng.standard_normal(v.size)
        got = consecutive_runs(v, 0.1)
        assert [list(g) for g in got] == _reference(v, 0.1)
        np.testing.assert_array_equal(np.concatenate(got), np.arange(v.size))


def test_drift_stays_in_one_run_and_a_return_starts_a_new_one():
    assert [list(g) for g in consecutive_runs([2.0, 2.04, 2.08, 5.0, 2.0], 0.1)] == [[0, 1, 2], [3], [4]]
    assert consecutive_runs([], 0.1) == []
