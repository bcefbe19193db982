"""Field-sweep master equation (spinbath.quantum.field_sweep) against laws with closed forms.

- Landau-Zener: a two-level avoided crossing of full gap Delta swept at diabatic rate v_E, bath off,
  ends in the upper adiabatic level with P = exp(-pi Delta^2 / (2 hbar v_E)) (within 1 %), also when
  the crossing sits off zero field between two coarse nodes (refine_nodes must find it); an exact
  crossing adds no node.
- Populations alone (Pauli equation): equal to the density matrix within the bound of
  populations_suffice when it holds; wrong (adiabatic) at a resolved avoided crossing, where it fails.
- Two-level rate equation: a doublet with relaxation rate Gamma = W_up + W_down independent of the
  field and W_up / W_down = exp(-dE / k_B T) at every field follows dm/dt = -Gamma (m - m_eq(B(t)))
  (integrated independently with solve_ivp); slow sweeps close onto m_eq = (g/2) tanh(g mu_B B / 2 k_B T);
  the loop area grows with the sweep rate.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from spinbath.quantum.field_sweep import (
    landau_zener_probability, node_from_rates, phase_averaged_transport, propagate, refine_nodes, rotation,
    thermal_state, transport,
)
from spinbath.quantum.liouville import lindblad_dissipator
from spinbath.spins.hamiltonian import deterministic_phase
from spinbath.units import CM_TO_RAD_PER_S, KB_CM, MUB_CM


def _eig(H):
    E, U = np.linalg.eigh(H)
    return E, deterministic_phase(U)


def _lz_hamiltonian(B, gap, c=1.0):
    """[[c B / 2, gap / 2], [gap / 2, -c B / 2]] (cm^-1): diabatic splitting c B, full gap ``gap``."""
    return np.array([[c * B / 2, gap / 2], [gap / 2, -c * B / 2]])


@pytest.mark.parametrize("gap, v", [(1e-6, 0.1), (1e-6, 0.3), (2e-6, 1.0), (1e-6, 0.07)])
def test_landau_zener_probability_within_one_percent(gap, v):
    """P from 0.015 (nearly adiabatic) to 0.91 (nearly sudden), each within 1 % of itself."""
    c = 1.0  # cm^-1 per T: v_E = c v
    P = landau_zener_probability(gap, c * v)
    assert P == pytest.approx(np.exp(-np.pi * gap**2 * CM_TO_RAD_PER_S / (2 * c * v)))
    Bmax = 100 * gap / c
    fields = refine_nodes(np.linspace(-Bmax, Bmax, 41), lambda b: _eig(_lz_hamiltonian(b, gap))[1],
                          max_rotation=1e-5)
    nodes = [node_from_rates(b, *_eig(_lz_hamiltonian(b, gap)), None) for b in fields]
    rho, _ = propagate(nodes, (fields - fields[0]) / v, np.diag([1.0, 0.0]))
    assert P > 1e-2
    assert rho[0, 1, 1].real == pytest.approx(P, rel=1e-2)
    assert np.trace(rho[0]).real == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("centre, n", [(0.3, 8), (-0.4123, 31)])
def test_an_avoided_crossing_between_coarse_nodes_is_found_and_resolved(centre, n):
    """The gap (1e-6 cm^-1 at B = ``centre``, off zero field and off the grid) is far narrower than the
    coarse steps (2 / (n - 1) T): between two nodes the states only swap. refine_nodes must bisect,
    find the rotation, keep the nodes that resolve it, and the sweep must then give Landau-Zener."""
    gap, v = 1e-6, 0.1

    def H(b):
        return _lz_hamiltonian(b - centre, gap)

    grid = np.linspace(-1.0, 1.0, n)
    fields = refine_nodes(grid, lambda b: _eig(H(b))[1], max_rotation=1e-5)
    inserted = np.setdiff1d(fields, grid)
    assert inserted.size > 10
    assert np.all(np.abs(inserted - centre) < 2.0 / (n - 1))  # only in the step that holds the gap
    nodes = [node_from_rates(b, *_eig(H(b)), None) for b in fields]
    rho, _ = propagate(nodes, (fields - fields[0]) / v, np.diag([1.0, 0.0]))
    assert rho[0, 1, 1].real == pytest.approx(landau_zener_probability(gap, v), rel=1e-2)


def test_an_exact_crossing_adds_no_node():
    """No gap: the overlap of the two neighbours is a permutation at every depth, which passes each
    population exactly, so the grid is returned unchanged (and the state keeps its moment)."""
    grid = np.linspace(-1.0, 1.0, 8)
    fields = refine_nodes(grid, lambda b: _eig(_lz_hamiltonian(b - 0.3, 0.0))[1], max_rotation=1e-5)
    np.testing.assert_array_equal(fields, grid)
    nodes = [node_from_rates(b, *_eig(_lz_hamiltonian(b - 0.3, 0.0)), None) for b in fields]
    rho, _ = propagate(nodes, (fields - fields[0]) / 0.1, np.diag([1.0, 0.0]))
    assert rho[0, 1, 1].real == pytest.approx(1.0, abs=1e-12)


def test_the_convention_is_the_full_gap():
    """The law's Delta is the minimum splitting of the adiabatic levels (2 |H_12|), not |H_12|."""
    gap = 3e-6
    E = np.linalg.eigvalsh(_lz_hamiltonian(0.0, gap))
    assert E[1] - E[0] == pytest.approx(gap)
    h12, vE = gap / 2, 0.2
    assert landau_zener_probability(gap, vE) == pytest.approx(np.exp(-2 * np.pi * h12**2 * CM_TO_RAD_PER_S / vE))


def test_sudden_and_adiabatic_limits_of_the_transport():
    """Bath off: a crossing (no gap) is passed diabatically (the state keeps its moment, P = 1), and a
    wide gap swept slowly adiabatically (P = exp(-large) ~ 0)."""
    for gap, P in ((0.0, 1.0), (1e-4, 0.0)):
        fields = refine_nodes(np.linspace(-1e-2, 1e-2, 40), lambda b: _eig(_lz_hamiltonian(b, gap))[1], 1e-5)
        nodes = [node_from_rates(b, *_eig(_lz_hamiltonian(b, gap)), None) for b in fields]
        rho, _ = propagate(nodes, (fields - fields[0]) / 0.1, np.diag([1.0, 0.0]))
        assert rho[0, 1, 1].real == pytest.approx(P, abs=1e-6)


def test_phase_averaged_transport_is_the_overlap_at_short_steps_and_unitary():
    gap = 1e-3
    a = node_from_rates(-1e-3, *_eig(_lz_hamiltonian(-1e-3, gap)), None)
    b = node_from_rates(-0.9e-3, *_eig(_lz_hamiltonian(-0.9e-3, gap)), None)
    O = transport(a, b)
    assert rotation(O) > 1e-4
    np.testing.assert_allclose(phase_averaged_transport(a, b, 1e-20), O, atol=1e-12)
    X = phase_averaged_transport(a, b, 1.0)
    np.testing.assert_allclose(X.conj().T @ X, np.eye(2), atol=1e-12)


# --- two-level rate equation ------------------------------------------------------------------------

G = 2.0  # g of the effective spin 1/2: moment -g S_z mu_B, saturation g/2 = 1 mu_B
GAMMA = 0.05  # s^-1, W_up + W_down at every field
T_K = 2.0


def _doublet_nodes(fields, T=T_K, gamma=GAMMA):
    """Nodes of H = g mu_B B S_z with W_down = Gamma / (1 + e^-x), W_up = Gamma e^-x / (1 + e^-x)."""
    Sz = np.diag([0.5, -0.5])
    nodes = []
    for b in fields:
        E, U = _eig(G * MUB_CM * b * Sz)
        x = (E[1] - E[0]) / (KB_CM * T)
        down, up = gamma / (1 + np.exp(-x)), gamma * np.exp(-x) / (1 + np.exp(-x))
        R = (lindblad_dissipator(np.array([[0, 1], [0, 0]]), down)
             + lindblad_dissipator(np.array([[0, 0], [1, 0]]), up))
        nodes.append(node_from_rates(b, E, U, R))
    return nodes, -G * Sz  # moment operator, mu_B


def _m_eq(b, T=T_K):
    return (G / 2) * np.tanh(G * MUB_CM * b / (2 * KB_CM * T))


def _numerical_loop(rate, Bmax=1.0, n=200, gamma=GAMMA):
    """Down then up branch; returns fields and moments (mu_B) of both branches."""
    down = np.linspace(Bmax, -Bmax, n)
    path = np.concatenate([down, down[::-1][1:]])
    nodes, moment = _doublet_nodes(path, gamma=gamma)
    t = np.concatenate([[0.0], np.cumsum(np.abs(np.diff(path)) / rate)])
    rho0 = np.diag(thermal_state(nodes[0].energies, T_K)[0])  # equilibrium at +Bmax
    _, m = propagate(nodes, t, rho0, observable=moment)
    return path, t, m[:, 0]


def _analytic_loop(path, t, gamma=GAMMA):
    """dm/dt = -Gamma (m - m_eq(B(t))) with B(t) piecewise linear, integrated by solve_ivp (rtol 1e-10)."""
    def B(s):
        return np.interp(s, t, path)

    sol = solve_ivp(lambda s, m: -gamma * (m - _m_eq(B(s))), (t[0], t[-1]), [_m_eq(path[0])],
                    t_eval=t, rtol=1e-10, atol=1e-12, max_step=(t[-1] - t[0]) / 2000)
    return sol.y[0]


def test_two_level_loop_follows_the_rate_equation():
    rate = 0.02  # T/s: the thermal width (~2 T) is crossed in ~ 1/Gamma, an open loop
    path, t, m = _numerical_loop(rate)
    ref = _analytic_loop(path, t)
    assert np.max(np.abs(m - ref)) < 2e-3 * (G / 2)
    assert np.max(np.abs(m)) <= G / 2 + 1e-12  # never beyond saturation
    n = path.size // 2
    # An open loop: the down branch lags the up branch at the same field.
    assert np.max(np.abs(m[:n + 1][::-1] - m[n:])) > 0.1


def test_slow_sweep_closes_onto_the_equilibrium_curve():
    path, _, m = _numerical_loop(1e-5)
    assert np.max(np.abs(m - _m_eq(path))) < 0.01


def _area(rate):
    path, _, m = _numerical_loop(rate, n=120)
    n = path.size // 2
    down_b, down_m = path[:n + 1][::-1], m[:n + 1][::-1]
    up_m = m[n:]
    return float(np.trapezoid(up_m - down_m, down_b)) * -1.0


def test_loop_area_grows_with_sweep_rate():
    areas = [_area(r) for r in (1e-4, 1e-3, 5e-3, 2e-2, 1e-1)]
    assert areas[0] >= 0
    assert all(b > a for a, b in zip(areas[:-1], areas[1:])), areas


def test_block_propagator_keeps_round_trips_slow():
    """Three levels: g1, g2 (direct rate 0.01 s^-1) and e, which g2 visits 200 times a second and
    leaves at 1e5 s^-1 back to g2 (99.99 %) or to g1. g2's own rate times dt (2000 at 10 s) is "fast",
    but the pair (g2, e) leaks to g1 at ~0.02 s^-1 only: the adiabatic elimination must keep g2, and agree
    with expm (accurate at this norm) to the ratio of the time scales."""
    from spinbath.quantum.field_sweep import block_propagator
    from scipy.linalg import expm

    W = np.zeros((3, 3))  # W[a, c]: rate c -> a
    W[0, 1], W[1, 0] = 0.01, 0.005
    W[2, 1], W[2, 0] = 200.0, 1e-3
    W[1, 2], W[0, 2] = 0.9999e5, 10.0
    G = W - np.diag(W.sum(axis=0))
    for dt in (0.1, 10.0, 1000.0):
        P = block_propagator(G, dt)
        np.testing.assert_allclose(P.sum(axis=0), 1.0, atol=1e-12)  # trace kept
        np.testing.assert_allclose(P, expm(G * dt), atol=1e-3)


# --- populations alone (Pauli equation) ---------------------------------------------------------------

def _tilted_doublet_nodes(fields, delta, T=T_K, gamma=GAMMA):
    """H = g mu_B B S_z + delta S_x (cm^-1): the eigenvectors turn by ~ delta / (g mu_B B) as B changes;
    the same two-level rates as :func:`_doublet_nodes`, defined in the eigenbasis."""
    Sz, Sx = np.diag([0.5, -0.5]), np.array([[0.0, 0.5], [0.5, 0.0]])
    nodes = []
    for b in fields:
        E, U = _eig(G * MUB_CM * b * Sz + delta * Sx)
        x = (E[1] - E[0]) / (KB_CM * T)
        down, up = gamma / (1 + np.exp(-x)), gamma * np.exp(-x) / (1 + np.exp(-x))
        R = (lindblad_dissipator(np.array([[0, 1], [0, 0]]), down)
             + lindblad_dissipator(np.array([[0, 0], [1, 0]]), up))
        nodes.append(node_from_rates(b, E, U, R))
    return nodes, -G * Sz


@pytest.mark.parametrize("delta", [0.0, 2e-4])
def test_populations_alone_give_the_density_matrix_loop_when_the_criterion_holds(delta):
    """Away from zero field, with eigenvectors that turn by < 1e-3 rad in all: the criterion holds
    (its bound (sum_k sqrt(r_k))^2 <= 1e-6), and the Pauli equation gives the moment of the
    density-matrix sweep within that bound, at every node of an open (lagging) branch."""
    from spinbath.quantum.field_sweep import populations_suffice, propagate_populations

    path = np.linspace(1.0, 0.2, 120)
    nodes, moment = _tilted_doublet_nodes(path, delta)
    t = (path[0] - path) / 0.02
    assert populations_suffice(nodes, tol=1e-6)
    bound = sum(np.sqrt(rotation(transport(a, b))) for a, b in zip(nodes[:-1], nodes[1:])) ** 2
    assert bound == 0.0 if delta == 0.0 else 1e-8 < bound <= 1e-6  # delta = 0: no rotation at all
    p0 = thermal_state(nodes[0].energies, 20.0)[0]  # hot start: the branch relaxes while it is swept
    _, m_rho = propagate(nodes, t, np.diag(p0), observable=moment)
    p_end, m_p = propagate_populations(nodes, t, p0, observable=moment)
    # populations within the bound, so the moment within bound x (largest - smallest moment) = bound x G
    assert np.max(np.abs(m_rho - m_p)) <= max(bound, 1e-13) * G
    assert abs(m_p[-1, 0] - m_p[0, 0]) > 0.1  # the moment really moved
    assert p_end.sum() == pytest.approx(1.0, abs=1e-12)


def test_populations_alone_fail_at_a_resolved_avoided_crossing():
    """Landau-Zener with P = 0.4: the density matrix gives P; the Pauli equation, which drops the
    coherences that a rotation creates, follows the adiabatic state (P ~ 0). The criterion says so."""
    from spinbath.quantum.field_sweep import populations_suffice, propagate_populations

    gap = 1e-6
    v = -np.pi * gap**2 * CM_TO_RAD_PER_S / (2 * np.log(0.4))  # P_LZ = 0.4
    fields = refine_nodes(np.linspace(-1e-4, 1e-4, 41), lambda b: _eig(_lz_hamiltonian(b, gap))[1], 1e-5)
    nodes = [node_from_rates(b, *_eig(_lz_hamiltonian(b, gap)), None) for b in fields]
    t = (fields - fields[0]) / v
    assert not populations_suffice(nodes)
    rho, _ = propagate(nodes, t, np.diag([1.0, 0.0]))
    p, _ = propagate_populations(nodes, t, np.array([1.0, 0.0]))
    assert rho[0, 1, 1].real == pytest.approx(0.4, rel=1e-2)
    assert p[0, 1] < 0.05


def test_degenerate_levels_fail_the_populations_criterion():
    """Two levels within the secular tolerance: the secular rates couple their populations to their
    coherence, so populations alone do not suffice even without any rotation."""
    from spinbath.quantum.field_sweep import populations_suffice

    nodes, _ = _doublet_nodes([1e-6, 2e-6])  # splitting ~ 1e-6 cm^-1
    assert not populations_suffice(nodes, degenerate_cm=1e-4)
    assert populations_suffice(nodes, degenerate_cm=1e-9)


def test_refinement_that_hits_its_cap_says_so():
    gap = 1e-6
    with pytest.warns(RuntimeWarning, match="max_nodes = 50"):
        fields = refine_nodes(np.linspace(-1e-4, 1e-4, 41), lambda b: _eig(_lz_hamiltonian(b, gap))[1], 1e-5,
                              max_nodes=50)
    assert fields.size == 50


def test_refinement_with_nothing_to_refine_does_not_warn():
    """A grid already past max_nodes on a path with no rotation and no crossing, and an exact crossing
    with room to check it: nothing is needed, nothing is inserted, and no warning claims otherwise."""
    import warnings

    grid = np.linspace(-1.0, 1.0, 30)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        fields = refine_nodes(grid, lambda b: _eig(_lz_hamiltonian(b - 5.0, 0.0))[1], 1e-5, max_nodes=20)
        np.testing.assert_array_equal(fields, grid)
        fields = refine_nodes(grid, lambda b: _eig(_lz_hamiltonian(b - 0.3, 0.0))[1], 1e-5)
        np.testing.assert_array_equal(fields, grid)
