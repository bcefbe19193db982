"""Stoner-Wohlfarth particle (spinbath.classical.stoner_wohlfarth): reduced units h = H/H_K."""

from __future__ import annotations

import numpy as np
import pytest

from spinbath.classical.stoner_wohlfarth import (
    astroid, descend, energy, hysteresis_loop, reduced_curvature, reduced_energy,
    reduced_gradient, stationary_angles, switching_field, switching_field_numeric,
)

ANGLES = np.radians([0.0, 5.0, 15.0, 30.0, 45.0, 60.0, 75.0, 89.0, 120.0, 200.0])


def test_energy_units_reduce_to_the_reduced_energy():
    theta = np.linspace(0, 2 * np.pi, 17)
    K, mu, H, psi = 3.0, 0.5, 4.0, 0.7
    np.testing.assert_allclose(energy(theta, H, psi, K, mu) / (2 * K),
                               reduced_energy(theta, mu * H / (2 * K), psi), atol=1e-15)


@pytest.mark.parametrize("psi", ANGLES)
def test_numeric_switching_field_equals_the_astroid_formula(psi):
    assert switching_field_numeric(psi) == pytest.approx(switching_field(psi), abs=1e-6)


def test_switching_field_special_values_and_astroid():
    assert switching_field(0.0) == pytest.approx(1.0)
    assert switching_field(np.pi / 4) == pytest.approx(0.5)
    assert switching_field(np.pi / 2) == pytest.approx(1.0)
    h_par, h_perp = astroid(181)
    np.testing.assert_allclose(np.abs(h_par) ** (2 / 3) + np.abs(h_perp) ** (2 / 3), 1.0)
    psi = np.linspace(0, 2 * np.pi, 50)
    hs = switching_field(psi)
    np.testing.assert_allclose(np.abs(hs * np.cos(psi)) ** (2 / 3)
                               + np.abs(hs * np.sin(psi)) ** (2 / 3), 1.0)


@pytest.mark.parametrize("deg", [10.0, 30.0, 45.0, 60.0, 80.0])
def test_branch_survives_just_below_and_switches_just_above_h_sw(deg):
    """Start on the branch theta = 0 and apply the reversed field -h at angle psi: the minimum
    reached by sliding downhill keeps cos(theta) > 0 for h = h_sw - 1e-6 and flips for
    h = h_sw + 1e-6 (the minimizer resolves the astroid to 1e-6)."""
    psi = np.radians(deg)
    hs = switching_field(psi)
    below = descend(0.0, -(hs - 1e-6), psi)
    above = descend(0.0, -(hs + 1e-6), psi)
    assert np.cos(below) > 0.3
    assert np.cos(above) < -0.3
    for th, h in ((below, -(hs - 1e-6)), (above, -(hs + 1e-6))):
        assert abs(reduced_gradient(th, h, psi)) < 1e-10
        assert reduced_curvature(th, h, psi) > 0


@pytest.mark.parametrize("h,psi", [(0.0, 0.3), (0.3, 0.5), (0.7, 1.0), (1.5, 0.2), (0.49, np.pi / 4)])
def test_stationary_angles_are_all_the_stationary_points(h, psi):
    stat = stationary_angles(h, psi)
    np.testing.assert_allclose(reduced_gradient(stat, h, psi), 0, atol=1e-10)
    grid = np.linspace(0, 2 * np.pi, 20001)
    sign_changes = np.count_nonzero(np.diff(np.sign(reduced_gradient(grid, h, psi))))
    assert stat.size == sign_changes


@pytest.mark.parametrize("deg", [0.0, 20.0, 45.0, 70.0, 90.0])
def test_loop_is_symmetric_and_made_of_minima(deg):
    psi = np.radians(deg)
    loop = hysteresis_loop(psi, h_max=2.0, n_points=401)
    np.testing.assert_array_equal(loop.h_down, loop.h_up[::-1])
    np.testing.assert_allclose(loop.h_up, -loop.h_up[::-1], atol=1e-15)
    # m_down(h) = -m_up(-h): the down branch is the up branch rotated by 180 degrees
    np.testing.assert_allclose(loop.m_down, -loop.m_up, atol=1e-9)
    for hs, th in ((loop.h_up, loop.states_up), (loop.h_down, loop.states_down)):
        np.testing.assert_allclose(reduced_gradient(th, hs, psi), 0, atol=1e-9)
        assert np.all(reduced_curvature(th, hs, psi) > -1e-9)
    # saturation at the ends
    assert loop.m_up[-1] > 0.85 and loop.m_up[0] < -0.85


@pytest.mark.parametrize("deg", [0.0, 10.0, 30.0, 45.0, 60.0])
def test_loop_jumps_at_the_switching_field(deg):
    psi = np.radians(deg)
    step = 0.01
    loop = hysteresis_loop(psi, h_max=2.0, n_points=401)
    jump_up, jump_down = loop.jumps(threshold=0.2)
    hs = switching_field(psi)
    assert jump_up.size == 1 and jump_down.size == 1
    assert abs(jump_up[0] - hs) <= step / 2 + 1e-12
    assert jump_down[0] == pytest.approx(-jump_up[0])
    assert loop.area() > 0 and loop.is_open()


def test_easy_axis_loop_is_square_and_hard_axis_loop_is_closed():
    easy = hysteresis_loop(0.0, 2.0, 401)
    np.testing.assert_allclose(np.abs(easy.m_up), 1.0, atol=1e-12)
    assert easy.area() == pytest.approx(4.0, abs=0.05)  # 2 * (2 h_sw) with h_sw = 1
    hard = hysteresis_loop(np.pi / 2, 2.0, 401)
    assert not hard.is_open(1e-8)
    inside = np.abs(hard.h_up) <= 1
    np.testing.assert_allclose(hard.m_up[inside], hard.h_up[inside], atol=1e-9)  # m = h
    np.testing.assert_allclose(np.abs(hard.m_up[~inside]), 1.0, atol=1e-12)
