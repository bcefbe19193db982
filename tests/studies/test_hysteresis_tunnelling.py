"""Tunnel splitting of the ground doublet in the ``hysteresis`` study: the Landau-Zener step and the waist.

[loop] tunnel_splitting = Delta (cm^-1) adds H_t = (Delta / 2) (|+><-| + |-><+|) between the two
zero-field ground states |+>, |-> of definite moment along the sweep direction n, so the ground
doublet has an avoided crossing of full gap Delta at B = 0. Swept at v (T/s) its diabatic splitting
s B (s = 2 M_0 mu_B, cm^-1/T, M_0 the moment of |+-> in mu_B) changes at v_E = s v (cm^-1/s), and
the passage is diabatic (the state keeps its moment) with the Landau-Zener probability

    P = exp(-pi Delta^2 / (2 hbar v_E))        (landau_zener_probability; hbar = 1 / CM_TO_RAD_PER_S cm^-1 s)

A populated doublet with moment M = M_0 (p_+ - p_-) before the crossing leaves it with
(2P - 1) M (populations exchanged with probability 1 - P, coherences averaged out).

Toy: a spin 1/2 (g = 2, M_0 = 1 mu_B, no other level) at 0.5 K, swept +-3 T at 20 Oe/s, with one
phonon mode coupled through a g-tensor derivative, V = mu_B B . dg . J (cm^-1 per unit Q): V vanishes
with B, so the bath flips the spin at high fields and freezes near zero field (order 2, direct process).

- Bath off (dg 1e-9): the down branch steps at zero field by the factor 2P - 1; P within 1 %.
- Bath on (dg 1e-6): the waist. Without Delta the loop is open at zero field by 2 m_f (m_f: the
  moment frozen in on the way to zero field). With Delta the up branch tunnels there too, so just
  past zero field the opening is M_down - M_up = m_f - (1 - 2P) m_f = 2 P m_f: the opening at zero
  field is P times the one without Delta (within 1 %), and smaller than the loop's widest opening;
  the remanence drops.
"""

from __future__ import annotations

import numpy as np
import pytest

import spinbath
from helpers import spin_half_loop
from spinbath.quantum.field_sweep import landau_zener_probability
from spinbath.units import CM_TO_RAD_PER_S, MUB_CM

RATE = 2e-3  # T/s (20 Oe/s)
S = 2 * 1.0 * MUB_CM  # cm^-1/T: diabatic splitting per tesla, 2 M_0 mu_B with M_0 = g J = 1
#: Delta (cm^-1) with P = 0.4: pi Delta^2 / (2 hbar s v) = ln(1 / 0.4).
DELTA = float(np.sqrt(2 * np.log(1 / 0.4) * S * RATE / (np.pi * CM_TO_RAD_PER_S)))
#: The step is read this many crossing widths Delta / s from zero field, where the adiabatic states are
#: the diabatic ones to 1 / (2 x 1000)^2 and the coherence they keep moves M by < 1e-3 M_0.
PAST = 1000


def _branches(ds):
    """(fields, M) of the down branch and of the up branch."""
    down = ds.branch.values == "down"
    f, m = ds.field.values, ds.magnetization.values[0]
    return f[down], m[down], f[~down], m[~down]


def _at_zero(fields: np.ndarray, m: np.ndarray) -> float:
    """M at the node B = 0 (an odd number of points puts one there)."""
    k = np.flatnonzero(fields == 0.0)
    assert k.size == 1
    return float(m[k[0]])


def _past_zero(fields: np.ndarray, m: np.ndarray, side: float) -> float:
    """M at the node nearest to PAST crossing widths on ``side`` (+1 / -1) of zero field."""
    width = DELTA / S
    sel = np.flatnonzero(side * fields > 0.3 * PAST * width)
    k = sel[np.argmin(np.abs(fields[sel] - side * PAST * width))]
    assert abs(fields[k]) < 3 * PAST * width
    return float(m[k])


@pytest.fixture(scope="module")
def loops():
    """Bath off with Delta; bath on with and without Delta."""
    return {key: spinbath.run(spin_half_loop(*key, rate=RATE), quiet=True) for key in [(DELTA, 1e-9), (DELTA, 1e-6), (0.0, 1e-6)]}


def test_zero_field_step_of_a_sweep_through_the_avoided_crossing_is_landau_zener(loops):
    ds = loops[DELTA, 1e-9]
    P = landau_zener_probability(DELTA, S * RATE)
    assert P == pytest.approx(0.4, rel=1e-12)  # a partial step: neither sudden nor adiabatic
    assert int(ds.attrs["refined_nodes"]) > 50  # the crossing (width 1e-7 T) is resolved on the grid
    fd, md, _, _ = _branches(ds)
    before, after = _past_zero(fd, md, +1), _past_zero(fd, md, -1)
    assert before > 0.99  # from saturation (0.5 K, 3 T: tanh(2.9 / 0.7) = 0.9994), bath off
    assert (1 + after / before) / 2 == pytest.approx(P, rel=1e-2)


def test_tunnel_splitting_pinches_the_loop_at_zero_field(loops):
    P = landau_zener_probability(DELTA, S * RATE)
    on, plain = loops[DELTA, 1e-6], loops[0.0, 1e-6]
    fd, md, fu, mu = _branches(plain)
    m_f = _at_zero(fd, md)
    assert 0.5 < m_f < 0.95  # frozen in below saturation: an open loop without Delta ...
    open_plain = m_f - _at_zero(fu, mu)
    assert open_plain == pytest.approx(2 * m_f, rel=1e-3)  # ... open by 2 m_f at zero field
    assert float(plain.remanence[0]) == pytest.approx(m_f, rel=1e-3)
    fd, md, fu, mu = _branches(on)
    assert _past_zero(fd, md, +1) == pytest.approx(m_f, rel=3e-3)  # the same loop up to the crossing (other grid)
    open_delta = _past_zero(fd, md, +1) - _past_zero(fu, mu, +1)
    assert open_delta / open_plain == pytest.approx(P, rel=1e-2)  # the waist: 2 P m_f (0.4015 for P = 0.4)
    sat = float(on.attrs["saturation_mu_B"])
    assert open_delta < 0.7 * float(on.loop_opening[0]) * sat  # narrower at zero field than elsewhere
    assert float(on.remanence[0]) < 0.7 * float(plain.remanence[0])
    for ds in (on, plain):  # both closed on saturation at +-3 T
        m = ds.magnetization.values[0]
        assert m[0] > 0.999 and m[-1] > 0.99 and m[np.argmin(ds.field.values)] < -0.99
