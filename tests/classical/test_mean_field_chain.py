"""Mean-field open spin-1/2 chain (spinbath.classical.mean_field_chain).

The reference is a dense Lindbladian written out here with numpy kron (independent of
spinbath.quantum): L[rho] = -i[H, rho] + on-site dissipators + neighbour (common-bath) terms,
exactly as in the module docstring. M = <sigma> (Bloch vectors).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.linalg import expm

from spinbath.classical.mean_field_chain import (
    MeanFieldChain, chain_adjacency, evolve_generalized_ll, generalized_ll_rhs, thermal_rates,
)
from spinbath.quantum.chain_model import ChainModel

SX = np.array([[0, 1], [1, 0]], dtype=complex) / 2
SY = np.array([[0, -1j], [1j, 0]], dtype=complex) / 2
SZ = np.array([[1, 0], [0, -1]], dtype=complex) / 2
SPIN = (SX, SY, SZ)
KEYS = [(a, s) for a in "xyz" for s in "+-"]
FIELD = np.array([0.25, 0.25, -0.5])  # the paper's field


def ladder(a: str, sign: str) -> np.ndarray:
    e = 1.0 if sign == "+" else -1.0
    return {"z": SX + e * 1j * SY, "x": -SZ + e * 1j * SY, "y": SZ + e * 1j * SX}[a]


def embed(op: np.ndarray, j: int, n: int) -> np.ndarray:
    out = np.eye(1, dtype=complex)
    for k in range(n):
        out = np.kron(out, op if k == j else np.eye(2))
    return out


def bonds(n: int, periodic: bool) -> list[tuple[int, int]]:
    return [(j, (j + 1) % n) for j in range(n if periodic else n - 1)]


def hamiltonian(n, field, coupling, periodic):
    S = [[embed(s, j, n) for s in SPIN] for j in range(n)]
    H = sum(field[a] * S[j][a] for j in range(n) for a in range(3))
    for j, k in bonds(n, periodic):
        H = H + sum(coupling[a] * S[j][a] @ S[k][a] for a in range(3))
    return H


def lindblad(rho, n, field, coupling, onsite, neighbour, periodic):
    """Dense L[rho], written term by term."""
    H = hamiltonian(n, field, coupling, periodic)
    out = -1j * (H @ rho - rho @ H)
    for j in range(n):
        for (a, s), gam in onsite.items():
            A = embed(ladder(a, s), j, n)
            AdA = A.conj().T @ A
            out += gam * (A @ rho @ A.conj().T - 0.5 * (AdA @ rho + rho @ AdA))
    for j, k in bonds(n, periodic):
        for p, q in ((j, k), (k, j)):          # ordered pairs (j, j') of every bond
            for (a, s), g in neighbour.items():
                Aj, Ajp = embed(ladder(a, s), p, n), embed(ladder(a, s), q, n)
                X = Aj.conj().T @ Ajp
                out += g * (Ajp @ rho @ Aj.conj().T - 0.5 * (X @ rho + rho @ X))
    return out


def product_state(M):
    rho = np.eye(1, dtype=complex)
    for m in M:
        rho = np.kron(rho, 0.5 * (np.eye(2) + 2 * sum(m[a] * SPIN[a] for a in range(3))))
    return rho


def first_moments(X, n):
    """Tr(sigma^(j)_a X), shape (n, 3)."""
    return np.array([[np.trace(embed(2 * SPIN[a], j, n) @ X).real for a in range(3)]
                     for j in range(n)])


def random_bloch(rng, n, pure=False):
    v = rng.normal(size=(n, 3))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v if pure else v * rng.uniform(0.2, 1.0, size=(n, 1))


# ------------------------------------------------------------------- (1) exact first moments
@pytest.mark.parametrize("n,periodic", [(2, False), (3, False), (4, False),
                                        (2, True), (3, True), (4, True)])
def test_mean_field_rhs_equals_exact_first_moments_on_product_states(n, periodic):
    rng = np.random.default_rng(100 + 10 * n + periodic)
    for _ in range(3):
        field, coupling = rng.normal(size=3), rng.normal(size=3)
        onsite = {k: rng.uniform(0, 1) for k in KEYS}
        neighbour = {k: rng.uniform(-1, 1) for k in KEYS}
        M = random_bloch(rng, n)
        exact = first_moments(lindblad(product_state(M), n, field, coupling, onsite, neighbour,
                                       periodic), n)
        chain = MeanFieldChain(ChainModel(n, field, coupling, onsite, neighbour,
                                          boundary="periodic" if periodic else "open"))
        np.testing.assert_allclose(chain.rhs(M), exact, rtol=0, atol=1e-12)
        # the generalized LL form with the documented mapping gives the same right-hand side
        np.testing.assert_allclose(generalized_ll_rhs(M, *chain.ll_parameters(M)), exact,
                                   rtol=0, atol=1e-12)


@pytest.mark.parametrize("key", KEYS)
def test_each_dissipator_alone(key):
    """One channel at a time, so a sign error in one axis cannot hide behind another."""
    rng = np.random.default_rng(7)
    n, M = 3, random_bloch(rng, 3)
    for onsite, neighbour in (({key: 0.7}, {}), ({}, {key: 0.7})):
        exact = first_moments(lindblad(product_state(M), n, np.zeros(3), np.zeros(3), onsite,
                                       neighbour, False), n)
        chain = MeanFieldChain(ChainModel(n, (0, 0, 0), (0, 0, 0), onsite, neighbour))
        np.testing.assert_allclose(chain.rhs(M), exact, atol=1e-13)


def test_neighbour_field_counts_two_in_bulk_and_one_at_the_ends():
    A = chain_adjacency(5, "open")
    np.testing.assert_array_equal(A.sum(axis=1), [1, 2, 2, 2, 1])
    np.testing.assert_array_equal(chain_adjacency(5, "periodic").sum(axis=1), [2] * 5)
    chain = MeanFieldChain(ChainModel(3, field=(0, 0, 1), coupling=(0.4, 0.4, 0.4)))
    M = np.array([[0, 0, 1.0], [0, 0, 1.0], [0, 0, 1.0]])
    np.testing.assert_allclose(chain.effective_field(M)[:, 2], [1.2, 1.4, 1.2])


def test_uniform_chain_equals_periodic_chain_with_equal_sites():
    rng = np.random.default_rng(3)
    coupling = rng.normal(size=3)
    onsite = {k: rng.uniform(0, 1) for k in KEYS}
    neighbour = {k: rng.uniform(-1, 1) for k in KEYS}
    m = random_bloch(rng, 1)[0]
    uni = MeanFieldChain.uniform(ChainModel(1, (0.3, -0.2, 0.5), coupling, onsite, neighbour))
    per = MeanFieldChain(ChainModel(5, (0.3, -0.2, 0.5), coupling, onsite, neighbour, boundary="periodic"))
    np.testing.assert_allclose(per.rhs(np.tile(m, (5, 1))), np.tile(uni.rhs(m), (5, 1)),
                               atol=1e-14)


def test_jacobian_matches_finite_differences():
    rng = np.random.default_rng(11)
    coupling, onsite = rng.normal(size=3), {k: rng.uniform(0, 1) for k in KEYS}
    neighbour = {k: rng.uniform(-1, 1) for k in KEYS}
    chain = MeanFieldChain(ChainModel(4, rng.normal(size=3), coupling, onsite, neighbour))
    M = random_bloch(rng, 4).ravel()
    eps = 1e-6
    fd = np.column_stack([(chain.rhs(M + eps * e).ravel() - chain.rhs(M - eps * e).ravel())
                          / (2 * eps) for e in np.eye(12)])
    np.testing.assert_allclose(chain.jacobian(M), fd, atol=1e-8)


def test_thermal_rates_relax_to_the_thermal_polarization():
    onsite, neighbour = thermal_rates(0.1, 0.08, 0.1)
    assert onsite[("z", "+")] + onsite[("z", "-")] == pytest.approx(0.1)
    chain = MeanFieldChain.uniform(ChainModel(1, coupling=(0.5, 0.1, 0.1), onsite=onsite, neighbour=neighbour))
    ss = chain.steady_state([0.3, 0.0, 0.2])
    np.testing.assert_allclose(ss.M[0], [0, 0, -1 / (2 * 0.08 + 1)], atol=1e-10)


# ------------------------------------------------------ (2) closed chain: exact vs mean field
def exact_total_magnetization(n, field, coupling, M0, times, periodic=False):
    """Pure-state evolution psi(t) = expm(-i H dt)^k psi(0) on equally spaced times; returns
    sum_j <sigma^(j)>(t), shape (len(times), 3). M0: unit vectors (spin-coherent product state)."""
    H = hamiltonian(n, field, coupling, periodic)
    psi = np.ones(1, dtype=complex)
    for m in M0:  # spinor along the unit vector m
        th, ph = np.arccos(np.clip(m[2], -1, 1)), np.arctan2(m[1], m[0])
        psi = np.kron(psi, [np.cos(th / 2), np.exp(1j * ph) * np.sin(th / 2)])
    dt = times[1] - times[0]
    assert np.allclose(np.diff(times), dt) and times[0] == 0
    step = expm(-1j * H * dt)
    sig = [sum(embed(2 * SPIN[a], j, n) for j in range(n)) for a in range(3)]
    out = []
    for _ in times:
        out.append([np.vdot(psi, s @ psi).real for s in sig])
        psi = step @ psi
    return np.array(out)


def test_exact_reference_initial_state():
    M0 = random_bloch(np.random.default_rng(1), 3, pure=True)
    ref = exact_total_magnetization(3, FIELD, (0.5, 0.1, 0.1), M0, np.array([0.0, 1.0]))
    np.testing.assert_allclose(ref[0], M0.sum(axis=0), atol=1e-12)


@pytest.mark.parametrize("n,periodic", [(3, False), (4, False), (4, True)])
def test_closed_isotropic_chain_mean_field_is_exact_for_total_magnetization(n, periodic):
    rng = np.random.default_rng(5 + n)
    M0 = random_bloch(rng, n, pure=True)
    times = np.linspace(0, 20, 81)
    coupling = (0.3, 0.3, 0.3)
    exact = exact_total_magnetization(n, FIELD, coupling, M0, times, periodic)
    chain = MeanFieldChain(ChainModel(n, FIELD, coupling, boundary="periodic" if periodic else "open"))
    mf = chain.evolve(M0, times, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(mf.total, exact, rtol=0, atol=1e-8)


def test_anisotropy_makes_mean_field_deviate_more_as_the_shift_grows():
    """Vy = Vz = 0.1, Vx = 0.1 + shift; all spins along +x at t = 0 (the paper's setting)."""
    n, times = 4, np.linspace(0, 40, 401)
    M0 = np.tile([1.0, 0.0, 0.0], (n, 1))
    mismatch = []
    for shift in (0.0, 0.2, 0.4, 0.8):
        coupling = (0.1 + shift, 0.1, 0.1)
        exact = exact_total_magnetization(n, FIELD, coupling, M0, times) / n
        mf = MeanFieldChain(ChainModel(n, FIELD, coupling)).evolve(M0, times, rtol=1e-10,
                                                                   atol=1e-12).mean
        mismatch.append(np.mean(np.sum((mf - exact) ** 2, axis=1)))
    print("time-averaged |M_MF - M_exact|^2 (site average) vs shift 0, .2, .4, .8:", mismatch)
    assert mismatch[0] < 1e-14
    assert mismatch[1] > 1e-4
    assert np.all(np.diff(mismatch) > 0), mismatch


# ------------------------------------------------------------------------- (3) the LL limit
@pytest.mark.parametrize("alpha", [0.3, -0.3])
def test_landau_lifshitz_limit_conserves_norm_and_aligns_with_the_field(alpha):
    """D = alpha B_eff, R = R0 = 0: |M| conserved; M -> sign(alpha) |M| B_eff/|B_eff|."""
    B = np.array([0.3, -0.5, 0.8])
    M0 = np.array([0.6, 0.2, -0.5])
    times = np.linspace(0, 150, 301)
    M = evolve_generalized_ll(M0, times, B, alpha * B, rtol=1e-11, atol=1e-13)
    norms = np.linalg.norm(M, axis=-1)
    np.testing.assert_allclose(norms, np.linalg.norm(M0), rtol=1e-9)
    final = M[-1] / norms[-1]
    np.testing.assert_allclose(final, np.sign(alpha) * B / np.linalg.norm(B), atol=1e-8)
    # the approach is monotone: the angle to the field never grows
    cosines = M @ B / (norms * np.linalg.norm(B))
    assert np.all(np.diff(np.sign(alpha) * cosines) > -1e-12)


def test_chain_without_onsite_damping_is_a_landau_lifshitz_magnet():
    """Uniform chain, Gamma = 0, isotropic exchange, neighbour rates with c = g_+ - g_- = -k B^:
    |M| conserved and M relaxes antiparallel to B (the low-energy direction of H = +B.S)."""
    B = np.array([0.3, -0.5, 0.8])
    bhat = B / np.linalg.norm(B)
    neighbour = {}
    for a, axis in enumerate("xyz"):  # g_{a,-} - g_{a,+} = 0.05 * bhat_a with both rates >= 0
        neighbour[(axis, "-")] = 0.05 * max(bhat[a], 0.0)
        neighbour[(axis, "+")] = 0.05 * max(-bhat[a], 0.0)
    chain = MeanFieldChain.uniform(ChainModel(1, B, (0.7, 0.7, 0.7), onsite=None, neighbour=neighbour))
    B_eff, D, R, R0 = chain.ll_parameters(np.array([[0.1, 0.2, 0.3]]))
    np.testing.assert_array_equal(R, 0)
    np.testing.assert_array_equal(R0, 0)
    M0 = np.array([0.5, 0.5, 0.4])
    traj = chain.evolve(M0, np.linspace(0, 600, 201), rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(traj.norms[:, 0], np.linalg.norm(M0), rtol=1e-9)
    np.testing.assert_allclose(traj.M[-1, 0] / traj.norms[-1, 0], -bhat, atol=1e-8)


def test_generalized_ll_rhs_accepts_matrix_R_and_zero_M():
    M = np.array([[0.0, 0.0, 0.0], [0.1, 0.2, 0.3]])
    R = np.diag([0.1, 0.2, 0.3])
    out = generalized_ll_rhs(M, (0, 0, 1), (1, 0, 0), np.broadcast_to(R, (2, 3, 3)), (0, 0, 0.5))
    np.testing.assert_allclose(out[0], [0, 0, -0.5])
    np.testing.assert_allclose(out, generalized_ll_rhs(M, (0, 0, 1), (1, 0, 0), [0.1, 0.2, 0.3],
                                                       (0, 0, 0.5)))


# ------------------------------------------------------------------ (5) mean-field hysteresis
THERMAL = thermal_rates(0.1, 0.08, 0.1)  # the paper's Gamma, n_b and g/gamma


def _check_steady(chain, loop):
    """Every point of both branches is a stable fixed point at its field."""
    d, base = loop.info["direction"], loop.info["base_field"]
    for hs, states, ok in ((loop.h_up, loop.states_up, loop.converged_up),
                           (loop.h_down, loop.states_down, loop.converged_down)):
        assert ok.all()
        for h, M in zip(hs, states):
            B = base + h * d
            assert np.max(np.abs(chain.rhs(M, B))) < 1e-10
            assert np.max(np.linalg.eigvals(chain.jacobian(M, B)).real) < 0


def test_mean_field_loop_opens_for_strong_exchange_anisotropy():
    """Uniform chain, Vx = 2, Vy = Vz = 0.1, transverse field (0.25, 0.25), Bz swept -1 -> 1 -> -1.

    Found: two stable fixed-point branches, told apart by the sign of M_x, coexist for
    Bz in about (-0.93, -0.08); the up branch (M_x > 0) ends near Bz = -0.08 and the down branch
    (M_x < 0) jumps back near Bz = -0.93, so the M_z loop is open there and closed elsewhere.
    """
    chain = MeanFieldChain.uniform(ChainModel(1, (0, 0, 0), (2.0, 0.1, 0.1), *THERMAL))
    loop = chain.hysteresis(np.linspace(-1, 1, 41), (0, 0, 1), base_field=(0.25, 0.25, 0.0))
    _check_steady(chain, loop)
    h, m_down = loop.h_up, loop.m_down[::-1]
    assert loop.max_gap() > 0.1
    np.testing.assert_allclose(m_down[h >= -0.05], loop.m_up[h >= -0.05], atol=1e-9)
    np.testing.assert_allclose(m_down[h <= -0.95], loop.m_up[h <= -0.95], atol=1e-9)
    # bistability: at Bz = -0.5 the two branches are different stable fixed points
    i = np.argmin(np.abs(h + 0.5))
    Mx_up, Mx_down = loop.states_up[i, 0, 0], loop.states_down[::-1][i, 0, 0]
    assert Mx_up > 0.3 and Mx_down < -0.3
    # the switches: M_x changes sign by a jump, once on each branch
    for hs, states, where in ((loop.h_up, loop.states_up, -0.075),
                              (loop.h_down, loop.states_down, -0.925)):
        Mx = states[:, 0, 0]
        k = np.nonzero(np.diff(np.sign(Mx)))[0]
        assert k.size == 1 and abs(Mx[k[0] + 1] - Mx[k[0]]) > 0.4
        assert 0.5 * (hs[k[0]] + hs[k[0] + 1]) == pytest.approx(where)


@pytest.mark.parametrize("transverse", [0.0, 0.25])
def test_mean_field_loop_is_closed_at_the_papers_parameters(transverse):
    """Vx = 0.5, Vy = Vz = 0.1: the quasi-static loop is closed (one attractor per field, or two
    mirror images M_x -> -M_x, M_y -> -M_y with the same M_z when the field is along z), while a
    finite sweep rate opens a dynamic loop."""
    chain = MeanFieldChain.uniform(ChainModel(1, (0, 0, 0), (0.5, 0.1, 0.1), *THERMAL))
    h = np.linspace(-1, 1, 21)
    base = (transverse, transverse, 0.0)
    loop = chain.hysteresis(h, (0, 0, 1), base_field=base)
    _check_steady(chain, loop)
    assert loop.max_gap() < 1e-8
    if transverse:
        swept = chain.hysteresis(h, (0, 0, 1), base_field=base, dwell=10.0)
        assert swept.max_gap() > 0.05
