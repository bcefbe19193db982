"""Dynamic hysteresis of the exact chain in a field-following Davies bath (spinbath.quantum.swept_chain)
and its mean field (spinbath.classical.swept_mean_field).

Independent references: the closed-form loop of one spin at T = 0 (a two-level rate equation solved
by hand), the scalar rate equation of one spin at T > 0 solved by scipy, qutip.mesolve with a
time-dependent Hamiltonian and time-dependent collapse operators for two spins, and the exact steady
states (quasi-static limit).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from spinbath.classical.swept_mean_field import SweptMeanFieldChain
from spinbath.quantum.chain_model import ChainModel
from spinbath.quantum.field_davies import FieldDaviesBath
from spinbath.quantum.triangle_sweep import TriangleSweep, loop_area
from spinbath.quantum.open_chain import product_state
from spinbath.quantum.swept_chain import SweptChain

PAULI = (np.array([[0, 1], [1, 0]], dtype=complex), np.array([[0, -1j], [1j, 0]], dtype=complex),
         np.array([[1, 0], [0, -1]], dtype=complex))


def embed(op, j, n):
    out = np.eye(1, dtype=complex)
    for k in range(n):
        out = np.kron(out, op if k == j else np.eye(2))
    return out


@pytest.mark.parametrize("rate", [0.05, 0.2])
def test_one_spin_at_zero_temperature_follows_the_closed_form_loop(rate):
    """T = 0, B = h z: Gamma_1 = kappa |h|, m_eq = -sign(h); from m = 1 at h = -h_max,
    m_up = 1 for h < 0 and 2 exp(-kappa h^2 / 2r) - 1 for h > 0; m_down relaxes back likewise."""
    k, hm = 0.1, 2.0
    loop = SweptChain(ChainModel(1), FieldDaviesBath(k, 0.0)).loop(TriangleSweep(hm, rate), num=81, cycles=1)
    h = loop.h
    m_up = np.where(h < 0, 1.0, 2 * np.exp(-k * h**2 / (2 * rate)) - 1)
    top = 2 * np.exp(-k * hm**2 / (2 * rate)) - 1
    m0 = -1 + (top + 1) * np.exp(-k * hm**2 / (2 * rate))
    m_down = np.where(h > 0, -1 + (top + 1) * np.exp(-k * (hm**2 - h**2) / (2 * rate)),
                      1 + (m0 - 1) * np.exp(-k * h**2 / (2 * rate)))
    np.testing.assert_allclose(loop.m_up, m_up, atol=1e-7)
    np.testing.assert_allclose(loop.m_down, m_down, atol=1e-7)
    assert loop.area == pytest.approx(loop_area(h, m_up, m_down), abs=1e-6)


def test_one_spin_at_finite_temperature_matches_the_rate_equation_and_absorbs_work():
    """B = h z, T > 0: dm/dt = -kappa h coth(h/2T) (m + tanh(h/2T)), solved as one scalar ODE; the
    loop area (twice the work per cycle) is positive (Clausius) and grows with the rate here."""
    k, T, hm = 0.1, 0.4, 1.5
    chain = SweptChain(ChainModel(1), FieldDaviesBath(k, T))
    areas = []
    for rate in (0.02, 0.1):
        sweep = TriangleSweep(hm, rate)
        loop = chain.loop(sweep, num=61, cycles=1)

        def f(t, m):
            h = sweep.h(t)
            g1 = k * 2 * T if h == 0 else k * h / np.tanh(h / (2 * T))
            return -g1 * (m + np.tanh(h / (2 * T)))

        t_up, t_down = sweep.branch_times(loop.h, 0)
        t = np.unique(np.r_[t_up, t_down])
        ref = solve_ivp(f, (0, sweep.period), [np.tanh(hm / (2 * T))], t_eval=t, rtol=1e-11, atol=1e-13,
                        method="DOP853").y[0]
        np.testing.assert_allclose(loop.m_up, ref[np.searchsorted(t, t_up)], atol=2e-7)
        np.testing.assert_allclose(loop.m_down, ref[np.searchsorted(t, t_down)], atol=2e-7)
        areas.append(loop.area)
    assert 0 < areas[0] < areas[1]


def test_mean_field_is_the_exact_first_moment_on_product_states():
    rng = np.random.default_rng(4)
    model = ChainModel(3, coupling=(0.5, -0.2, 0.3))
    bath = FieldDaviesBath(0.1, 0.6, 0.03)
    exact, mf = SweptChain(model, bath), SweptMeanFieldChain(model, bath)
    for B in ((0.25, 0.25, -0.5), (0.0, 0.0, 0.0), (1.0, -0.3, 0.2)):
        M = rng.uniform(-0.55, 0.55, size=(3, 3))
        rho = np.eye(1)
        for j in range(3):
            rho = np.kron(rho, 0.5 * (np.eye(2) + sum(M[j, a] * PAULI[a] for a in range(3))))
        drho = (exact.liouvillian(B) @ rho.T.reshape(-1)).reshape(8, 8).T
        dM = np.real([[np.trace(embed(s, j, 3) @ drho) for s in PAULI] for j in range(3)])
        np.testing.assert_allclose(mf.rhs(M, B), dM, atol=1e-13)


def test_two_spins_match_qutip_mesolve_with_time_dependent_hamiltonian_and_collapse_operators():
    qutip = pytest.importorskip("qutip")
    V, base, kappa, T, deph = (0.5, 0.1, 0.2), np.array([0.25, 0.25, 0.0]), 0.1, 0.5, 0.04
    sweep = TriangleSweep(0.8, 0.8, (0, 0, 1), tuple(base))
    chain = SweptChain(ChainModel(2, coupling=V), FieldDaviesBath(kappa, T, deph))
    loop = chain.loop(sweep, num=11, cycles=1, rtol=1e-10, atol=1e-12)

    # Independent construction: dense operators, eigenvectors of B . sigma from numpy, rates by hand.
    S = [[qutip.Qobj(embed(s / 2, j, 2), dims=[[2, 2], [2, 2]]) for s in PAULI] for j in range(2)]
    H_ex = sum(V[a] * S[0][a] * S[1][a] for a in range(3))
    H = qutip.QobjEvo([H_ex] + [[S[j][a], (lambda t, a=a: sweep.field(t)[a])] for j in range(2) for a in range(3)])

    cache = {}

    def jump(t, which):
        if (t, which) in cache:   # mesolve asks for the four Pauli coefficients of each operator at one t
            return cache[(t, which)]
        if len(cache) > 64:
            cache.clear()
        cache[(t, which)] = out = _jump(t, which)
        return out

    def _jump(t, which):
        B = sweep.field(t)
        w = np.linalg.norm(B)
        _, U = np.linalg.eigh(sum(c * s for c, s in zip(B, PAULI)))
        n = 1 / np.expm1(w / T)
        if which == "down":
            return np.sqrt(kappa * w * (n + 1)) * np.outer(U[:, 0], U[:, 1].conj())
        if which == "up":
            return np.sqrt(kappa * w * n) * np.outer(U[:, 1], U[:, 0].conj())
        return np.sqrt(deph / 2) * sum(c * s for c, s in zip(B / w, PAULI))

    basis = (np.eye(2, dtype=complex),) + PAULI
    c_ops = []
    for j in range(2):
        for which in ("down", "up", "dephasing"):
            terms = [[qutip.Qobj(embed(p, j, 2), dims=[[2, 2], [2, 2]]),
                      (lambda t, p=p, which=which: np.trace(p @ jump(t, which)) / 2)] for p in basis]
            c_ops.append(qutip.QobjEvo(terms))
    rho0 = qutip.steadystate(H(0.0), [c(0.0) for c in c_ops])
    t_up, t_down = sweep.branch_times(loop.h, 0)
    t = np.unique(np.r_[t_up, t_down])
    mz = qutip.Qobj((embed(PAULI[2], 0, 2) + embed(PAULI[2], 1, 2)) / 2, dims=[[2, 2], [2, 2]])
    res = qutip.mesolve(H, rho0, t, c_ops, e_ops=[mz], options={"atol": 1e-12, "rtol": 1e-10, "nsteps": 100000})
    m = np.real(res.expect[0])
    np.testing.assert_allclose(loop.m_up, m[np.searchsorted(t, t_up)], atol=1e-7)
    np.testing.assert_allclose(loop.m_down, m[np.searchsorted(t, t_down)], atol=1e-7)


@pytest.fixture(scope="module")
def slowing():
    """N = 2 with exchange and a transverse field, the sweep slowed by factors of 2."""
    model = ChainModel(2, coupling=(0.5, 0.1, 0.1))
    chain = SweptChain(model, FieldDaviesBath(0.2, 0.5))
    rates = [0.04, 0.02, 0.01, 0.005]
    loops = [chain.loop(TriangleSweep(1.0, r, (0, 0, 1), (0.25, 0.25, 0.0)), num=41) for r in rates]
    qs = chain.quasi_static(loops[0].h, (0, 0, 1), (0.25, 0.25, 0.0))
    return rates, loops, qs


def test_loop_area_shrinks_monotonically_and_vanishes_in_the_quasi_static_limit(slowing):
    rates, loops, qs = slowing
    areas = np.array([lp.area for lp in loops])
    assert np.all(areas > 0) and np.all(np.diff(areas) < 0)
    # linear response: area ~ rate at slow sweeps, so it extrapolates to 0 at rate 0
    ratios = areas[1:] / areas[:-1]                     # measured 0.573, 0.526, 0.510
    assert np.all(np.diff(np.abs(ratios - 0.5)) < 0) and ratios[-1] == pytest.approx(0.5, abs=0.02)
    # and the branches close onto the unique steady state, the distance halving with the rate
    dev = [max(np.abs(lp.m_up - qs).max(), np.abs(lp.m_down - qs).max()) for lp in loops]
    assert np.all(np.diff(dev) < 0) and dev[-1] / dev[-2] == pytest.approx(0.5, abs=0.03)
    assert all(lp.closure < 1e-5 for lp in loops)        # two cycles: the state is periodic


def test_trace_is_preserved_and_rho_stays_positive_along_the_sweep(slowing):
    _, loops, _ = slowing
    for lp in loops:
        assert lp.info["trace_error"] < 1e-10
        assert lp.info["min_eigenvalue"] > -1e-10
        assert lp.info["hermiticity_error"] < 1e-10


def test_fixed_field_steady_state_of_uncoupled_spins_is_the_gibbs_state():
    """V = 0: the chain's steady state is the product of the field term's Gibbs states."""
    bath = FieldDaviesBath(0.1, 0.5, 0.02)
    chain = SweptChain(ChainModel(3), bath)
    for B in ((0.25, 0.25, -0.5), (0.0, 0.0, 0.8)):
        rho = chain.steady_state(B)
        ref = np.kron(np.kron(bath.gibbs_state(B), bath.gibbs_state(B)), bath.gibbs_state(B))
        np.testing.assert_allclose(rho, ref, atol=1e-10)
    assert np.max(np.abs(chain.liouvillian((0.25, 0.25, -0.5)) @ product_state(3, (1, 0, 0)).T.reshape(-1))) > 0.1


def test_coupled_chain_has_one_steady_state_at_every_field():
    """A single zero eigenvalue of L(B) (N = 3, anisotropic exchange) along the sweep, through B_z = 0
    with and without a transverse field and at T = 0: the quasi-static loop is a single curve."""
    for bath in (FieldDaviesBath(0.1, 0.5), FieldDaviesBath(0.1, 0.0, 0.02)):
        chain = SweptChain(ChainModel(3, coupling=(0.5, 0.1, 0.1)), bath)
        for B in ((0.25, 0.25, -1.0), (0.25, 0.25, 0.0), (0.0, 0.0, 0.3), (0.0, 0.0, -1e-3)):
            lam = np.linalg.eigvals(chain.liouvillian(B).toarray())
            assert np.sum(np.abs(lam) < 1e-9) == 1, (bath, B)
            assert np.max(lam.real) < 1e-12


@pytest.mark.parametrize("n", [1, 3, 4])
def test_matrix_free_action_equals_the_assembled_liouvillian(n):
    """SweptChain.apply (site products, used along the sweep) against the sparse L(B) of
    liouvillian (index arithmetic of open_chain), and against a dense Kronecker reference for the
    site part: three fields, a random non-Hermitian vector."""
    rng = np.random.default_rng(n)
    bath = FieldDaviesBath(0.1, 0.5, 0.03)
    chain = SweptChain(ChainModel(n, coupling=(0.5, -0.1, 0.2)), bath)
    v = rng.normal(size=4**n) + 1j * rng.normal(size=4**n)
    for B in ((0.25, 0.25, -0.5), (0.0, 0.0, 0.0), (1.0, -0.3, 0.2)):
        L = chain.liouvillian(B)
        np.testing.assert_allclose(chain.apply(v, B), L @ v, atol=1e-12)
        # dense reference for the site part: l acting on site j of each block P_i0 rho P_k0
        rho = v.reshape(2**n, 2**n).T
        ref = chain.L_ex @ v
        l = bath.site_generator(B)
        for j in range(n):
            # apply l to site j: write rho as sum over (i0, k0) blocks of site j
            out = np.zeros_like(rho)
            for i0 in range(2):
                for k0 in range(2):
                    E = np.zeros((2, 2))
                    E[i0, k0] = 1.0
                    lE = (l @ E.T.reshape(-1)).reshape(2, 2).T        # l applied to |i0><k0|
                    P_i = embed(np.outer(np.eye(2)[i0], np.eye(2)[i0]), j, n)
                    P_k = embed(np.outer(np.eye(2)[k0], np.eye(2)[k0]), j, n)
                    block = P_i @ rho @ P_k                          # the |i0><k0| part at site j
                    # replace |i0><k0| at site j by l(|i0><k0|) = sum_ab lE[a, b] |a><b|
                    for a in range(2):
                        for b in range(2):
                            Ua = embed(np.outer(np.eye(2)[a], np.eye(2)[i0]), j, n)
                            Ub = embed(np.outer(np.eye(2)[k0], np.eye(2)[b]), j, n)
                            out += lE[a, b] * (Ua @ block @ Ub)
            ref = ref + out.T.reshape(-1)
        np.testing.assert_allclose(chain.apply(v, B), ref, atol=1e-12)
