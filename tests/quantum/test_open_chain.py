"""Open spin-1/2 chains: Liouvillian assembly (sparse and matrix-free) and the exact solvers.

Physics checks: trace and Hermiticity preservation, positivity of rho(t) for random (completely
positive) rates, the analytic Bloch equations for N = 1, agreement with an independent QuTiP
construction (mesolve, steadystate) for N = 3 with the paper's parameters.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sla
import scipy.sparse as sp

import spinbath.quantum as q
from spinbath.quantum import methods
from spinbath.quantum.blas import blas_thread_counts, single_threaded_blas
from spinbath.quantum.chain_kernels import hermitian_to_real, real_to_hermitian
from spinbath.quantum.chain_model import ChainModel, neighbour_pairs, normalize_rates, thermal_rates
from spinbath.quantum.liouville import hamiltonian_superoperator, lindblad_dissipator, spost, spre, sprepost, unvec, vec
from spinbath.quantum.methods import (
    ODE, Direct, Eig, ExpmMultiply, Iterative, Krylov, relaxation_gap, slowest_eigenvalues, steady_state,
    steady_state_details,
)
from spinbath.quantum.open_chain import (
    OpenChainLiouvillian, OpenChainSparse, jump_operator, open_chain_hamiltonian, open_chain_liouvillian, spin_half,
)
from spinbath.spins.operators import embed

FIELD = (0.25, 0.25, -0.5)
COUPLING = (0.5, 0.1, 0.1)
KEYS = [(a, s) for a in "xyz" for s in "+-"]


def evolve(L, rho0, times, method=None):
    """rho(t) as an array (the states of :func:`spinbath.quantum.methods.evolve`)."""
    return methods.evolve(L, rho0, times, method=method).states


def chain(n, field=(0.0, 0.0, 0.0), coupling=(0.0, 0.0, 0.0), onsite=None, neighbour=None, periodic=False,
          block=None):
    """The matrix-free Liouvillian of ChainModel(n, field, coupling, onsite, neighbour, boundary)."""
    model = ChainModel(n, field, coupling, onsite, neighbour, "periodic" if periodic else "open")
    return OpenChainLiouvillian(model, block=block)


def paper_rates():
    return thermal_rates(0.1, 0.08, 0.1)


def all_plus_x(n: int) -> np.ndarray:
    px = np.array([1.0, 1.0]) / np.sqrt(2)
    psi = px
    for _ in range(n - 1):
        psi = np.kron(psi, px)
    return np.outer(psi, psi.conj()).astype(complex)


def random_cp_rates(rng, ratio_max: float = 0.4):
    """Random on-site rates and neighbour rates g = r gamma, |r| < 1/2 (completely positive)."""
    on = {k: rng.uniform(0.0, 0.2) for k in KEYS}
    r = {k: rng.uniform(-ratio_max, ratio_max) for k in KEYS}
    nb = {k: r[k] * on[k] for k in KEYS}
    return on, nb


def dense_reference(n, field, coupling, onsite, neighbour, periodic=False) -> np.ndarray:
    """The Liouvillian from dense Kronecker products and liouville.py's superoperators."""
    dims = [2] * n
    S = spin_half()
    H = sum(b * embed(s, j, dims) for j in range(n) for b, s in zip(field, S))
    pairs = [(j, j + 1) for j in range(n - 1)] + ([(n - 1, 0)] if periodic and n >= 3 else [])
    for j, k in pairs:
        H = H + sum(v * embed(s, j, dims) @ embed(s, k, dims) for v, s in zip(coupling, S))
    L = hamiltonian_superoperator(H)
    for (a, s), g in normalize_rates(onsite).items():
        for j in range(n):
            L = L + lindblad_dissipator(embed(jump_operator(a, s), j, dims), g)
    for (a, s), g in normalize_rates(neighbour).items():
        for j, jp in neighbour_pairs(n, periodic):
            A = embed(jump_operator(a, s), jp, dims)
            Bd = embed(jump_operator(a, s), j, dims).conj().T
            L = L + g * (sprepost(A, Bd) - 0.5 * spre(Bd @ A) - 0.5 * spost(Bd @ A))
    return L


# ------------------------------------------------------------------------------------------------
# Operators and assembly
# ------------------------------------------------------------------------------------------------

def test_jump_operators_follow_the_stated_definitions():
    sx, sy, sz = spin_half()
    assert np.allclose(sz, np.diag([0.5, -0.5]))
    assert np.allclose(jump_operator("z", "+"), [[0, 1], [0, 0]])  # |up><down|
    assert np.allclose(jump_operator("z", "-"), [[0, 0], [1, 0]])
    assert np.allclose(jump_operator("x", "+"), -sz + 1j * sy)
    assert np.allclose(jump_operator("x", "-"), -sz - 1j * sy)
    assert np.allclose(jump_operator("y", "+"), sz + 1j * sx)
    assert np.allclose(jump_operator("y", "-"), sz - 1j * sx)


def test_thermal_rates():
    on, nb = thermal_rates(0.1, 0.08, 0.1)
    g0 = 0.1 / 1.16
    assert on[("z", "+")] == pytest.approx(g0 * 0.08)
    assert on[("z", "-")] == pytest.approx(g0 * 1.08)
    assert on[("z", "+")] + on[("z", "-")] == pytest.approx(0.1)
    assert nb == {k: pytest.approx(0.1 * v) for k, v in on.items()}


def test_bad_inputs_are_rejected():
    with pytest.raises(ValueError, match="axis"):
        open_chain_liouvillian(2, FIELD, COUPLING, {("w", "+"): 0.1}, None)
    with pytest.raises(ValueError, match="sign"):
        open_chain_liouvillian(2, FIELD, COUPLING, {("z", "*"): 0.1}, None)
    with pytest.raises(ValueError, match="finite real"):
        open_chain_liouvillian(2, FIELD, COUPLING, {("z", "+"): 1j}, None)
    with pytest.raises(ValueError, match="field"):
        open_chain_liouvillian(2, (1.0, 2.0), COUPLING, None, None)
    with pytest.raises(ValueError, match="positive integer"):
        open_chain_liouvillian(0, FIELD, COUPLING, None, None)
    L = open_chain_liouvillian(2, FIELD, COUPLING, *paper_rates())
    with pytest.raises(ValueError, match="shape"):
        evolve(L, np.eye(2), [0.0, 1.0])
    with pytest.raises(ValueError, match="non-decreasing"):
        evolve(L, np.eye(4) / 4, [1.0, 0.5])


def test_hamiltonian_matches_dense_kronecker_products():
    n = 4
    dims = [2] * n
    S = spin_half()
    H = open_chain_hamiltonian(n, FIELD, COUPLING).toarray()
    ref = sum(b * embed(s, j, dims) for j in range(n) for b, s in zip(FIELD, S))
    ref = ref + sum(v * embed(s, j, dims) @ embed(s, j + 1, dims) for j in range(n - 1) for v, s in zip(COUPLING, S))
    assert np.allclose(H, ref, atol=1e-14)
    assert np.allclose(H, H.conj().T)


@pytest.mark.parametrize("n,periodic", [(1, False), (2, False), (2, True), (3, False), (3, True), (4, True)])
def test_sparse_liouvillian_matches_dense_reference(n, periodic):
    rng = np.random.default_rng(n + 10 * periodic)
    on = {k: rng.uniform(0, 0.3) for k in KEYS}
    nb = {k: rng.uniform(-0.1, 0.1) for k in KEYS}
    field, coupling = rng.normal(size=3), rng.normal(size=3)
    L = open_chain_liouvillian(n, field, coupling, on, nb, periodic=periodic)
    assert isinstance(L, sp.csr_matrix) and L.shape == (4**n, 4**n)
    assert np.abs(L.toarray() - dense_reference(n, field, coupling, on, nb, periodic)).max() < 1e-13


@pytest.mark.parametrize("n,block,periodic", [(3, None, False), (5, None, True), (7, 3, False), (8, None, True),
                                              (6, 4, False)])
def test_matrix_free_action_equals_sparse_matrix(n, block, periodic):
    rng = np.random.default_rng(n)
    on, nb = random_cp_rates(rng)
    op = chain(n, rng.normal(size=3), rng.normal(size=3), on, nb, periodic, block=block)
    L = op.to_sparse()
    N = 4**n
    v = rng.normal(size=N) + 1j * rng.normal(size=N)
    ref = L @ v
    assert np.allclose(op @ v, ref, atol=1e-12 * np.abs(ref).max())
    assert np.allclose(op.rmatvec(v), L.conj().T @ v, atol=1e-12 * np.abs(ref).max())
    # Hermitian fast path on a Hermitian matrix
    d = 2**n
    X = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
    X = X + X.conj().T
    assert np.allclose(op.apply_hermitian(X), unvec(L @ vec(X)), atol=1e-12 * np.abs(ref).max())
    assert np.allclose(op.apply(X), unvec(L @ vec(X)), atol=1e-12 * np.abs(ref).max())
    assert op.trace() == pytest.approx(L.diagonal().sum(), abs=1e-9)
    # real coordinates of Hermitian matrices: isometric, and apply_real is L in them
    r = hermitian_to_real(X.T)
    assert np.dot(r, r) == pytest.approx(np.vdot(X, X).real)
    assert np.allclose(real_to_hermitian(r), X.T)
    assert np.allclose(op.apply_real(r), hermitian_to_real(unvec(L @ vec(X)).T), atol=1e-12 * np.abs(ref).max())


def test_trace_preservation_and_hermiticity_preservation_for_random_rates():
    rng = np.random.default_rng(3)
    for n in (1, 2, 3):
        on = {k: rng.uniform(0, 0.3) for k in KEYS}
        nb = {k: rng.uniform(-0.1, 0.1) for k in KEYS}
        L = open_chain_liouvillian(n, rng.normal(size=3), rng.normal(size=3), on, nb, periodic=True).toarray()
        d = 2**n
        # Tr L(X) = 0 for every X  <=>  vec(1)^+ L = 0
        assert np.abs(vec(np.eye(d)) @ L).max() < 1e-13
        X = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
        X = X + X.conj().T
        Y = unvec(L @ vec(X))
        assert np.allclose(Y, Y.conj().T, atol=1e-13)


# ------------------------------------------------------------------------------------------------
# Evolution
# ------------------------------------------------------------------------------------------------

def bloch_rhs(field, onsite):
    """d<S>/dt = B x <S> - R <S> + c for one spin (derived by hand, see below).

    S_{a,+} is the raising operator about axis a (up to a phase: S_{x,+} = i (S_y + i S_z)), so
    gamma_{a,+} D[S_{a,+}] + gamma_{a,-} D[S_{a,-}] gives d<S_a>/dt = (gamma_a+ - gamma_a-)/2 -
    Gamma_a <S_a> and d<S_b>/dt = -Gamma_a <S_b>/2 (b != a), Gamma_a = gamma_a+ + gamma_a-.
    H = B . S gives d<S>/dt = i <[H, S]> = B x <S>.
    """
    on = normalize_rates(onsite)
    G = {a: on.get((a, "+"), 0.0) + on.get((a, "-"), 0.0) for a in "xyz"}
    R = np.diag([G[a] + 0.5 * sum(G[b] for b in "xyz" if b != a) for a in "xyz"])
    c = np.array([0.5 * (on.get((a, "+"), 0.0) - on.get((a, "-"), 0.0)) for a in "xyz"])
    Bx, By, Bz = field
    cross = np.array([[0, -Bz, By], [Bz, 0, -Bx], [-By, Bx, 0]])  # B x s
    return cross - R, c


def test_single_spin_matches_the_analytic_bloch_solution_thermal_bath():
    # B along z, thermal rates: S_z relaxes with Gamma, S_+ = S_x + i S_y precesses and decays at Gamma/2.
    Bz, Gamma, nb = 0.7, 0.1, 0.08
    on, _ = thermal_rates(Gamma, nb)
    L = open_chain_liouvillian(1, (0, 0, Bz), (0, 0, 0), on, None)
    t = np.linspace(0, 60, 41)
    rho0 = np.array([[0.8, 0.3 - 0.2j], [0.3 + 0.2j, 0.2]])
    rhos = evolve(L, rho0, t)
    sx, sy, sz = spin_half()
    Sz = np.einsum("tab,ba->t", rhos, sz).real
    Sp = np.einsum("tab,ba->t", rhos, sx + 1j * sy)
    Sz0, Sp0 = 0.3, np.trace(rho0 @ (sx + 1j * sy))
    Sz_inf = 0.5 * (on[("z", "+")] - on[("z", "-")]) / Gamma  # = -1/(2(2 n_b + 1))
    assert Sz_inf == pytest.approx(-0.5 / (2 * nb + 1))
    assert np.allclose(Sz, Sz_inf + (Sz0 - Sz_inf) * np.exp(-Gamma * t), atol=1e-12)
    assert np.allclose(Sp, Sp0 * np.exp((1j * Bz - Gamma / 2) * t), atol=1e-12)


@pytest.mark.parametrize("method", [Eig(), Krylov(tol=1e-12)])
def test_single_spin_matches_the_bloch_equations_for_all_six_rates(method):
    rng = np.random.default_rng(7)
    field = rng.normal(size=3)
    on = {k: rng.uniform(0, 0.2) for k in KEYS}
    L = chain(1, field, (0, 0, 0), on)
    A, c = bloch_rhs(field, on)
    s0 = np.array([0.1, -0.3, 0.35])
    sx, sy, sz = spin_half()
    rho0 = 0.5 * np.eye(2) + 2 * (s0[0] * sx + s0[1] * sy + s0[2] * sz)
    t = np.array([0.0, 0.5, 3.0, 10.0, 40.0])
    rhos = evolve(L, rho0, t, method=method)
    s_inf = -np.linalg.solve(A, c)
    for tk, rho in zip(t, rhos):
        s = s_inf + sla.expm(A * tk) @ (s0 - s_inf)
        ref = 0.5 * np.eye(2) + 2 * (s[0] * sx + s[1] * sy + s[2] * sz)
        assert np.allclose(rho, ref, atol=1e-11)


@pytest.mark.parametrize("n", [2, 3, 4])
def test_rho_t_stays_a_density_matrix_for_random_rates(n):
    rng = np.random.default_rng(100 + n)
    on, nb = random_cp_rates(rng)
    L = chain(n, rng.normal(size=3), rng.normal(size=3), on, nb)
    d = 2**n
    psi = rng.normal(size=d) + 1j * rng.normal(size=d)
    rho0 = np.outer(psi, psi.conj()) / np.vdot(psi, psi)
    t = np.linspace(0, 30, 31)
    for method in (Eig(), Krylov()):
        rhos = evolve(L, rho0, t, method=method)
        assert np.abs(np.trace(rhos, axis1=1, axis2=2) - 1).max() < 1e-10
        assert np.abs(rhos - rhos.conj().transpose(0, 2, 1)).max() < 1e-12
        assert np.linalg.eigvalsh(rhos).min() >= -1e-10


def test_evolution_methods_agree_including_odd_time_grids():
    n = 4
    L = open_chain_liouvillian(n, FIELD, COUPLING, *paper_rates())
    rho0 = all_plus_x(n)
    t = np.linspace(0, 20, 21)
    ref = evolve(L, rho0, t, method=Eig())
    for method, tol in ((Krylov(tol=1e-10), 1e-9), (ExpmMultiply(), 1e-9), (ODE(rtol=1e-10, atol=1e-12), 1e-8)):
        assert np.abs(evolve(L, rho0, t, method=method) - ref).max() < tol, method
    # times not starting at 0, repeated and uneven; a non-Hermitian initial matrix (general Arnoldi)
    t2 = np.array([0.7, 0.7, 2.0, 11.5, 19.99])
    ref2 = evolve(L, rho0, t2, method=Eig())
    assert np.abs(evolve(L, rho0, t2, method=Krylov()) - ref2).max() < 1e-9
    X = np.zeros((2**n, 2**n), complex)
    X[0, 3] = 1.0
    assert np.abs(evolve(L, X, t2, method=Krylov()) - evolve(L, X, t2, method=Eig())).max() < 1e-9
    # plain sparse matrix (no model attached) and a generic LinearOperator give the same
    plain = sp.csr_matrix(L)
    assert not isinstance(plain, OpenChainSparse)
    assert np.abs(evolve(plain, rho0, t2, method=Krylov()) - ref2).max() < 1e-9
    lin = sp.linalg.aslinearoperator(plain)
    assert np.abs(evolve(lin, rho0, t2, method=Krylov()) - ref2).max() < 1e-9


def qutip_model(n, field, coupling, onsite, neighbour):
    """Liouvillian built independently with QuTiP operators (sigma/2, tensor, spre/spost)."""
    qt = pytest.importorskip("qutip")
    S = [qt.sigmax() / 2, qt.sigmay() / 2, qt.sigmaz() / 2]

    def site(op, j):
        return qt.tensor([op if k == j else qt.qeye(2) for k in range(n)])

    H = sum(b * site(s, j) for j in range(n) for b, s in zip(field, S))
    H = H + sum(v * site(s, j) * site(s, j + 1) for j in range(n - 1) for v, s in zip(coupling, S))

    def jump(a, sgn):
        sx, sy, sz = S
        e = 1 if sgn == "+" else -1
        return {"z": sx + e * 1j * sy, "x": -sz + e * 1j * sy, "y": sz + e * 1j * sx}[a]

    c_ops = [np.sqrt(g) * site(jump(a, s), j) for (a, s), g in onsite.items() for j in range(n)]
    L = qt.liouvillian(H, c_ops)
    for (a, s), g in neighbour.items():
        for j in range(n):
            for jp in (j - 1, j + 1):
                if 0 <= jp < n:
                    A, B = site(jump(a, s), jp), site(jump(a, s), j)
                    L = L + g * (qt.sprepost(A, B.dag()) - 0.5 * qt.spre(B.dag() * A) - 0.5 * qt.spost(B.dag() * A))
    return qt, H, L


def test_n3_evolution_agrees_with_qutip_mesolve():
    n = 3
    on, nb = paper_rates()
    qt, H, Lq = qutip_model(n, FIELD, COUPLING, on, nb)
    L = open_chain_liouvillian(n, FIELD, COUPLING, on, nb)
    assert np.abs(Lq.full() - L.toarray()).max() < 1e-14  # the same superoperator, built twice
    rho0 = all_plus_x(n)
    t = np.linspace(0, 100, 201)
    res = qt.mesolve(Lq, qt.Qobj(rho0, dims=[[2] * n, [2] * n]), t, options={"atol": 1e-12, "rtol": 1e-10})
    ref = np.array([s.full() for s in res.states])
    for method in (None, Krylov(), ExpmMultiply()):
        assert np.abs(evolve(L, rho0, t, method=method) - ref).max() < 1e-6


# ------------------------------------------------------------------------------------------------
# Steady state and spectrum
# ------------------------------------------------------------------------------------------------

def assert_density_matrix(rho, L):
    assert abs(np.trace(rho) - 1) < 1e-12
    assert np.abs(rho - rho.conj().T).max() < 1e-14
    assert np.linalg.eigvalsh(rho).min() >= -1e-10
    assert np.abs(L @ vec(rho)).max() < 1e-9


def test_n3_steady_state_agrees_with_qutip():
    n = 3
    on, nb = paper_rates()
    qt, _, Lq = qutip_model(n, FIELD, COUPLING, on, nb)
    ref = qt.steadystate(Lq).full()
    L = open_chain_liouvillian(n, FIELD, COUPLING, on, nb)
    for method in (None, Direct(), Iterative()):
        rho = steady_state(L, method=method)
        assert_density_matrix(rho, L)
        assert np.abs(rho - ref).max() < 1e-8
    # the package-level dispatcher sends sparse generators here
    assert np.abs(q.steady_state(L) - ref).max() < 1e-8
    # ... and the long-time limit of the evolution is the steady state
    late = q.evolve(L, all_plus_x(n), [2000.0]).states[0]
    assert np.abs(late - ref).max() < 1e-8


def test_iterative_steady_state_equals_direct_for_random_rates_and_n5():
    rng = np.random.default_rng(11)
    on, nb = random_cp_rates(rng)
    op = chain(4, rng.normal(size=3), rng.normal(size=3), on, nb, periodic=True)
    a = steady_state(op, method=Direct())
    for pre in ("secular", "coherent"):
        res = steady_state_details(op, method=Iterative(preconditioner=pre))
        b = res.rho
        assert np.abs(a - b).max() < 1e-8, pre
        assert res.iterations < 200
    L5 = open_chain_liouvillian(5, FIELD, COUPLING, *paper_rates())
    res = steady_state_details(L5)  # the matrix remembers its model: iterative by default
    it = res.rho
    assert res.iterations < 60
    direct = steady_state(L5, method=Direct())
    assert_density_matrix(it, L5)
    assert np.abs(it - direct).max() < 1e-8


def test_slowest_eigenvalues_and_gap():
    L = open_chain_liouvillian(3, FIELD, COUPLING, *paper_rates())
    full = np.linalg.eigvals(L.toarray())
    lam = slowest_eigenvalues(L, k=5)  # dense
    assert abs(lam[0]) < 1e-12
    assert np.all(np.diff(lam.real) <= 1e-12)
    order = np.sort(-full.real)
    assert np.allclose(-lam.real, order[:5], atol=1e-10)
    expo = slowest_eigenvalues(L, k=5, method="exponential")
    assert max(np.abs(lam - x).min() for x in expo) < 1e-8
    assert np.allclose(expo.real, lam.real, atol=1e-8)
    # shift-invert finds the eigenvalues nearest 0 (here not the slowest ones)
    near = slowest_eigenvalues(L, k=4, method="shift-invert")
    nearest = full[np.argsort(np.abs(full))][:4]
    assert max(np.abs(nearest - x).min() for x in near) < 1e-9
    gap = relaxation_gap(L)
    assert gap == pytest.approx(order[1], rel=1e-9)
    assert 0 < gap < 0.1  # below Gamma


def test_package_dispatch_keeps_dense_rate_superoperators_on_the_relaxation_path():
    from spinbath.quantum import relaxation

    R = np.array([[-1.0, 0, 0, 2.0], [0, -1.5, 0, 0], [0, 0, -1.5, 0], [1.0, 0, 0, -2.0]], dtype=complex)
    assert np.allclose(q.steady_state(R), relaxation.steady_state(R))
    rho0 = np.diag([1.0, 0.0]).astype(complex)
    t = np.linspace(0, 1e-0, 5)
    assert np.allclose(q.evolve(R, rho0, t).states, relaxation.evolve(R, rho0, t))
    assert np.allclose(q.evolve(R, rho0, t, method=Eig()).states, relaxation.evolve(R, rho0, t), atol=1e-12)
    assert {"open_chain_liouvillian", "steady_state", "evolve"} <= set(q.__all__)


def test_blas_thread_limiter_restores_settings():
    from threadpoolctl import threadpool_limits

    if not blas_thread_counts():
        pytest.skip("threadpoolctl finds no BLAS library in this build (e.g. a static BLAS): nothing to limit")
    with threadpool_limits(limits=2, user_api="blas"):  # a known starting point above one thread
        before = blas_thread_counts()
        with single_threaded_blas():
            assert blas_thread_counts() == [1] * len(before)
        assert blas_thread_counts() == before
        # the solvers run their products with BLAS on one thread, and restore it afterwards
        L = open_chain_liouvillian(2, FIELD, COUPLING, *paper_rates())
        seen = []

        def matvec(v):
            seen.append(blas_thread_counts())
            return L @ v
        op = sp.linalg.LinearOperator(L.shape, matvec=matvec, dtype=complex)
        evolve(op, all_plus_x(2), [0.0, 1.0], method=Krylov())
        assert seen and all(c == [1] * len(before) for c in seen)
        assert blas_thread_counts() == before


def test_matrix_free_product_works_in_a_forked_child():
    """The worker-thread pool is per process: a forked child (e.g. a multiprocessing worker) must
    not wait on the parent's threads."""
    import multiprocessing as mp
    import os
    import queue

    if not hasattr(os, "fork"):
        pytest.skip("no fork on this platform")
    op = chain(8, FIELD, COUPLING, *paper_rates())
    v = np.random.default_rng(0).normal(size=4**8) + 0j
    ref = op @ v  # starts the pool in the parent
    ctx = mp.get_context("fork")
    q_ = ctx.Queue()
    p = ctx.Process(target=lambda: q_.put(float(np.abs(op @ v - ref).max())))
    p.start()
    try:
        err = q_.get(timeout=60)
    except queue.Empty:
        p.kill()
        pytest.fail("matrix-free product hangs in a forked child")
    p.join()
    assert err < 1e-12


def test_product_state_points_every_spin_along_the_direction():
    from spinbath.quantum.measures import site_magnetization
    from spinbath.quantum.open_chain import product_state

    np.testing.assert_allclose(product_state(3, (1, 0, 0)), all_plus_x(3), atol=1e-15)
    u = np.array([0.3, -0.4, 0.5])
    rho = product_state(2, u)
    assert np.trace(rho) == pytest.approx(1.0) and np.allclose(rho @ rho, rho)
    np.testing.assert_allclose(site_magnetization(rho, 2), np.tile(u / np.linalg.norm(u) / 2, (2, 1)), atol=1e-14)
    with pytest.raises(ValueError):
        product_state(2, (0, 0, 0))
