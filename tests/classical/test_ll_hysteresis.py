"""The open-Heisenberg paper's mean-field loops (Gamma = 0, D = alpha B_eff) against Stoner-Wohlfarth."""

import numpy as np
import pytest

from spinbath.classical.ll_hysteresis import coercive_field, ll_loop


@pytest.mark.parametrize("b_perp", [0.0, np.sqrt(2.0)])
def test_quasi_static_ll_loop_is_the_stoner_wohlfarth_loop_of_its_energy(b_perp):
    """LL relaxation and a direct minimization of E = -B.M - (V_z/2) M_z^2 follow the same branches:
    the damping D = alpha B_eff makes E the Lyapunov function of the flow."""
    ll = ll_loop(3.0, 31, 1.5, b_perp)
    sw = ll_loop(3.0, 31, 1.5, b_perp, method="sw")
    np.testing.assert_allclose(ll.up, sw.up, atol=1e-3)
    np.testing.assert_allclose(ll.down, sw.down, atol=1e-3)
    np.testing.assert_allclose(np.linalg.norm(ll.up, axis=1), 1.0, atol=1e-12)  # |M| = 1 conserved


@pytest.mark.parametrize("Vz", [0.5, 1.0, 1.5, 2.0])
def test_square_loop_with_coercive_field_vz(Vz):
    """No transverse field: M_z = +-1 on the branches and H_c = V_z within 2 % (the switching field,
    bisected between grid points), by LL relaxation and by Stoner-Wohlfarth minimization alike."""
    loop = ll_loop(3.0, 31, Vz)
    assert loop.coercive_field == pytest.approx(Vz, rel=0.02)
    assert ll_loop(3.0, 31, Vz, method="sw").coercive_field == pytest.approx(loop.coercive_field, rel=0.02)
    assert np.allclose(np.abs(loop.up[:, 2]), 1.0, atol=1e-6)
    assert np.all(loop.up[loop.h < Vz - 1e-9, 2] < -0.999)


def test_transverse_field_closes_weak_loops_and_not_strong_ones():
    """B_perp = |(1, 1)| = 1.41: closed for V_z = 0.5, 1 (Fig. 2d of the paper), open for 2."""
    assert ll_loop(3.0, 41, 0.5, np.sqrt(2.0)).coercive_field == 0.0
    assert ll_loop(3.0, 41, 1.0, np.sqrt(2.0)).coercive_field == 0.0
    assert ll_loop(3.0, 41, 2.0, np.sqrt(2.0)).coercive_field > 0.1


def test_coercive_field_of_a_closed_and_of_a_shifted_loop():
    h = np.linspace(-2, 2, 41)
    assert coercive_field(h, np.tanh(h), np.tanh(h)) == 0.0
    assert coercive_field(h, np.tanh(h - 0.5), np.tanh(h + 0.5)) == pytest.approx(0.5, abs=1e-2)
