r"""Master equation along a field sweep, carried in the instantaneous eigenbasis (hysteresis).

The equation, in the lab basis (energies in cm^-1, rates in s^-1, hbar = 1 / CM_TO_RAD_PER_S):

    d rho / dt = -i/hbar [H(B(t)), rho] + R(B(t), T) rho,        B(t) = B_0 + v t  (along n),

with R the rate superoperator of the bath at the instantaneous field (secular, Lindblad form; any
order of :mod:`spinbath.quantum.spin_phonon`, or model rates). It is solved on a grid of *nodes*
B_0, B_1, ... In the eigenbasis U_k of H(B_k) the generator is L_k = -i omega_ab + R_ab,cd
(omega_ab = (E_a - E_b) CM_TO_RAD_PER_S), so one step k -> k + 1 of length dt = |B_{k+1} - B_k| / |v| is
the symmetric (Strang / trapezoid) product

    rho  <-  exp(L_k dt/2) rho                       (basis k)
    rho  <-  O^H rho O,   O = U_k^H U_{k+1}           (basis change; see below)
    rho  <-  exp(L_{k+1} dt/2) rho                   (basis k + 1)

which is exp(L(t_{k+1}) dt/2) exp(L(t_k) dt/2) written in the lab frame: second order in dt. The
basis change is the overlap of the eigenvectors of neighbouring fields, applied to the whole
density matrix, so a crossing (O a permutation) passes every population to the state it belongs to,
and an avoided crossing (O a rotation) turns populations into coherences that the coherent term
then turns; resolving the rotation is what :func:`refine_nodes` does (Landau-Zener is reproduced,
tests/quantum/test_field_sweep.py).

Why the whole density matrix and not the populations: populations alone (a Pauli equation with
|O_ab|^2 as the transfer, :func:`propagate_populations`) give the same loop only when no two levels
are degenerate within the secular tolerance (else the secular rates couple the populations to the
coherences inside a degenerate level) and the eigenvectors hardly rotate along the path (a rotation
turns populations into coherences, which the Pauli equation drops). :func:`populations_suffice`
states the criterion with a bound on the error; the study records it, but always carries the
density matrix (d^2 = 256 for J = 15/2 costs milliseconds per step), which needs neither condition
(its basis change is exact for crossings and first order in the rotation angle, see below).

How exact the basis change is: a crossing, or no change (O a permutation with phases), is passed
exactly. A rotation of the eigenvectors within one step is applied as
:func:`phase_averaged_transport`, the overlap with its rotation averaged over the step's Bohr phases
(first order in the rotation angle, Magnus); :func:`refine_nodes` bisects the grid until every
step's rotation is below ``max_rotation``, so that this first-order step is accurate (the
Landau-Zener tests, tests/quantum/test_field_sweep.py, measure the result to 1 %).

Each exponential is taken per secular block: R couples only elements of equal Bohr frequency, so
L is block diagonal (connected components of the pattern of R); the fast phase exp(-i omega_c dt)
of a block is factored out exactly and expm is applied to the slow rest.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from dataclasses import field as _field

import numpy as np
import scipy.linalg as sla
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from ..units import CM_TO_RAD_PER_S
from .blas import single_threaded_blas

__all__ = ["SweepNode", "secular_blocks", "node_from_rates", "transport", "phase_averaged_transport", "rotation", "refine_nodes",
           "populations_suffice", "propagate", "propagate_populations", "block_propagator", "thermal_state", "equilibrium_moment",
           "landau_zener_probability"]


@dataclass(frozen=True)
class SweepNode:
    """The master equation at one field (or temperature) node.

    field : T along the sweep direction (signed).
    energies : (d,) cm^-1, ascending.
    basis : (d, d) eigenvectors of H (columns) in the lab basis.
    blocks : list of (idx, Rb): Liouville indices (column stacking, element (a, b) at a + d b) of one
        secular block of two or more elements and its rates Rb (n_T, m, m) in s^-1, one per
        temperature (channel). Elements in no block have no rates (bath off).
    n_channels : number of temperatures (channels) the rates are given for.
    single : Liouville indices of the elements that form a block alone (a coherence that only decays).
    single_rates : (n_T, n_single) their diagonal R_ii, s^-1.
    """

    field: float
    energies: np.ndarray
    basis: np.ndarray
    blocks: tuple
    n_channels: int = 1
    single: np.ndarray = _field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    single_rates: np.ndarray = _field(default_factory=lambda: np.zeros((1, 0), dtype=complex))

    @property
    def dim(self) -> int:
        return int(self.energies.size)


def secular_blocks(R: np.ndarray) -> list[np.ndarray]:
    """Liouville indices of the connected blocks of R (n_T, d^2, d^2) or (d^2, d^2), pattern over all T."""
    R = np.asarray(R)
    pattern = np.abs(R).max(axis=0) if R.ndim == 3 else np.abs(R)
    ncomp, lab = connected_components(csr_matrix(pattern > 0), directed=False)
    return [np.flatnonzero(lab == c) for c in range(ncomp)]


def node_from_rates(b: float, energies: np.ndarray, basis: np.ndarray, R: np.ndarray | None,
                    n_channels: int = 1) -> SweepNode:
    """A :class:`SweepNode` at field ``b`` (T) from a dense rate superoperator R ((n_T, d^2, d^2) or (d^2, d^2), s^-1,
    in the eigenbasis ``basis``), stored as its secular blocks; R = None: no bath."""
    if R is None:
        return SweepNode(float(b), np.asarray(energies, float), np.asarray(basis), (), n_channels)
    R = np.asarray(R)
    if R.ndim == 2:
        R = R[None]
    parts = secular_blocks(R)
    blocks = tuple((idx, np.ascontiguousarray(R[:, idx[:, None], idx[None, :]])) for idx in parts if idx.size > 1)
    single = np.array([idx[0] for idx in parts if idx.size == 1], dtype=np.int64)
    return SweepNode(float(b), np.asarray(energies, float), np.asarray(basis), blocks, R.shape[0],
                     single, np.ascontiguousarray(R[:, single, single]))


def transport(a: SweepNode | np.ndarray, b: SweepNode | np.ndarray) -> np.ndarray:
    """Overlap O = U_a^H U_b of the eigenvectors of two nodes: rho_b = O^H rho_a O (exact)."""
    Ua = a.basis if isinstance(a, SweepNode) else a
    Ub = b.basis if isinstance(b, SweepNode) else b
    return Ua.conj().T @ Ub


def rotation(O: np.ndarray) -> float:
    """How far the overlap O is from a permutation with phases: 1 - min_b max_a |O_ab|^2 (0 for a
    crossing or no change, 1/2 for a 45-degree mixing of two states)."""
    return float(1.0 - np.min(np.max(np.abs(O) ** 2, axis=0)))


def _swaps(O: np.ndarray) -> bool:
    """True when the states of the second node continue other states of the first (a crossing)."""
    return bool(np.any(np.argmax(np.abs(O), axis=0) != np.arange(O.shape[0])))


def refine_nodes(fields: Sequence[float], basis_at: Callable[[float], np.ndarray], max_rotation: float = 1e-5,
                 min_step: float = 0.0, crossing_resolution: float = 1e-12, max_nodes: int = 20000) -> np.ndarray:
    """Insert fields (bisection) where the eigenvectors change faster than the grid resolves.

    Two cases, both from the eigenvectors alone (``basis_at(B)``, cheap):

    - the eigenvectors of neighbouring nodes are rotated by more than ``max_rotation``
      (:func:`rotation`): bisect, down to steps of ``min_step`` (T);
    - the states of one node continue *other* states of its neighbour (levels cross between them):
      bisect down to ``crossing_resolution`` (T, relative to max(|B|, 1)) to find out whether the
      crossing is avoided. An avoided crossing narrower than the step shows up as a rotation at
      some depth, and the nodes down to it are kept; an exact crossing (a permutation at every
      depth) needs no node, since the overlap passes each population exactly, and none is kept.

    At most ``max_nodes`` nodes in all: past that, no more are inserted and a RuntimeWarning says
    so (the sweep then passes the unresolved rotations as sudden basis changes).

    Returns the field path (T) in the order given, with the inserted nodes.
    """
    cache: dict[float, np.ndarray] = {}
    count = [len(fields)]
    capped = [0]

    def U(b):
        if b not in cache:
            cache[b] = basis_at(b)
        return cache[b]

    def inner(b0: float, b1: float) -> list[float]:
        step = abs(b1 - b0)
        if step <= 1e-15 * max(abs(b0), abs(b1), 1.0):
            return []
        O = transport(U(b0), U(b1))
        rotated = rotation(O) > max_rotation and step > min_step
        crossing = not rotated and _swaps(O) and step > crossing_resolution * max(abs(b0), abs(b1), 1.0)
        if not (rotated or crossing):
            return []
        if count[0] >= max_nodes:  # a step that needs nodes (or a check), and none left
            capped[0] += 1
            return []
        m = 0.5 * (b0 + b1)
        count[0] += 1  # the midpoint, reserved before its children so the cap holds
        left, right = inner(b0, m), inner(m, b1)
        if crossing and not left and not right:
            count[0] -= 1
            return []  # an exact crossing all the way down: the overlap is exact, no node needed
        return left + [m] + right

    fields = [float(b) for b in fields]
    out = [fields[0]]
    for b0, b1 in zip(fields[:-1], fields[1:]):
        out += inner(b0, b1) + [b1]
    if capped[0]:
        warnings.warn(f"refine_nodes: stopped at max_nodes = {max_nodes} field nodes with {capped[0]} step(s) "
                      f"unresolved: a rotation of the eigenvectors above max_rotation = {max_rotation:g}, or a level "
                      "crossing not checked for a gap (passed as exact); raise max_nodes or max_rotation",
                      RuntimeWarning, stacklevel=2)
    return np.asarray(out)


def phase_averaged_transport(a: SweepNode, b: SweepNode, dt: float) -> np.ndarray:
    r"""The overlap O = U_a^H U_b with its rotation averaged over the step's phases (unitary).

    Write O = P exp(K), P the permutation with phases nearest O (a crossing, or nothing) and K
    anti-Hermitian (the small rotation of the eigenvectors during the step, log(P^H O)). In the
    adiabatic interaction picture the rotation acts during the whole step, weighted by
    exp(i omega_ab t); to first order (Magnus) its effect over a step of length dt centred on the
    kick is K_ab sinc(omega_ab dt / 2), omega_ab the Bohr frequency (rad/s, mean of both nodes). So

        O_eff = P expm(K o S),   S_ab = sinc(omega_ab dt / 2) = sin(x)/x.

    For omega dt -> 0 this is O itself (the sudden basis change); for omega dt >> 1 the rotation is
    followed adiabatically instead of kicking spurious amplitude into the other level at every step
    (a kick of size |K_ab| per node would add up, with random phases, to an error of the Landau-Zener
    amplitude; the test of the Landau-Zener law shows the difference). O_eff = O whenever O is a
    permutation with phases (exact crossings, fields too far apart to matter).
    """
    O = transport(a, b)
    d = O.shape[0]
    rows = np.argmax(np.abs(O), axis=0)  # state of node a that each state of b continues
    if np.unique(rows).size != d:
        return O  # no nearest permutation: the mixing is resolved on the grid only (refine_nodes)
    P = np.zeros_like(O)
    cols = np.arange(d)
    P[rows, cols] = O[rows, cols] / np.abs(O[rows, cols])
    Q = P.conj().T @ O  # near the identity, in the ordering of b
    if np.max(np.abs(Q - np.eye(d))) < 1e-14:
        return O
    # log of a unitary from its complex Schur form (diagonal for a normal matrix): K = Z log(D) Z^H.
    D, Z = sla.schur(Q, output="complex")
    K = (Z * np.log(np.diag(D) / np.abs(np.diag(D)))) @ Z.conj().T
    Eb = 0.5 * (a.energies[rows] + b.energies)  # energy of each state of b, mean over the step
    x = 0.5 * (Eb[:, None] - Eb[None, :]) * CM_TO_RAD_PER_S * dt
    Hs = 1j * K * np.sinc(x / np.pi)
    lam, V = np.linalg.eigh(0.5 * (Hs + Hs.conj().T))  # K o S = -i Hs, Hs Hermitian
    return P @ ((V * np.exp(-1j * lam)) @ V.conj().T)


def populations_suffice(nodes: Sequence[SweepNode], tol: float = 1e-6, degenerate_cm: float = 1e-4) -> bool:
    r"""True if the Pauli equation (:func:`propagate_populations`) gives the populations of the
    density-matrix sweep (:func:`propagate`) to within about ``tol`` (absolute, probability):

    - no two levels at any node lie within ``degenerate_cm`` (cm^-1; pass the secular tolerance of
      the rates): otherwise the secular rates couple the populations to the coherences inside the
      degenerate level, which the Pauli equation does not carry; and
    - the eigenvectors rotate little along the whole path: :math:`(\sum_k \sqrt{r_k})^2 \le`
      ``tol``, with :math:`r_k` = :func:`rotation` of the overlap of nodes k and k + 1. A step
      moves an amplitude of at most :math:`\sqrt{r_k}` out of each state; amplitudes add at worst
      coherently (a sudden passage), so no population can move by more than the bound, whatever
      the phases and the rates do with the coherences in between.

    Exact crossings (permutations, r = 0) are allowed: both equations pass them exactly.
    """
    amplitude = 0.0
    for a, b in zip(nodes[:-1], nodes[1:]):
        amplitude += np.sqrt(max(rotation(transport(a, b)), 0.0))
    if amplitude**2 > tol:
        return False
    return all(n.dim < 2 or np.min(np.diff(n.energies)) > degenerate_cm for n in nodes)


def _start(state0, dtype, ndim_single: int, times, n_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """A copy of the initial state with a leading channel axis (added when it has ``ndim_single``
    dimensions), and the node times (s), checked: non-decreasing, one per node."""
    x = np.array(state0, dtype=dtype, copy=True)
    if x.ndim == ndim_single:
        x = x[None]
    t = np.asarray(times, float)
    if t.size != n_nodes or np.any(np.diff(t) < 0):
        raise ValueError("times must be non-decreasing, one per node")
    return x, t


def _population_rates(node: SweepNode) -> np.ndarray:
    """W (n, d, d), s^-1: the rates among the populations, W_ab = R_{aa,bb} (Liouville index a + d a);
    n = the number of rate channels stored (1 when no bath)."""
    d = node.dim
    n = max([Rb.shape[0] for _, Rb in node.blocks] + [1])
    W = np.zeros((n, d, d))
    for idx, Rb in node.blocks:
        rows = np.flatnonzero(idx % (d + 1) == 0)  # the populations of this block
        if rows.size:
            states = idx[rows] // (d + 1)
            W[:, states[:, None], states[None, :]] = Rb[:, rows[:, None], rows[None, :]].real
    return W


def propagate_populations(nodes: Sequence[SweepNode], times: Sequence[float], p0: np.ndarray,
                          observable: np.ndarray | None = None):
    """The Pauli equation along the path: dp/dt = W(B(t)) p with W_ab = R_{aa,bb} (s^-1), and at each
    basis change p_b = sum_a |O_ab|^2 p_a (O = U_k^H U_{k+1}); the same symmetric split as
    :func:`propagate`. It agrees with :func:`propagate` when :func:`populations_suffice` holds.

    p0 : (n_T, d) or (d,) populations in the basis of ``nodes[0]``; times in s, one per node.
    observable : (d, d) lab-basis operator A; sum_a p_a (U^H A U)_aa is recorded at every node.

    Returns (p_end (n_T, d), values (n_nodes, n_T) or None).
    """
    p, times = _start(p0, float, 1, times, len(nodes))

    def value(node):
        A = np.real(np.einsum("ia,ij,ja->a", node.basis.conj(), observable, node.basis))
        return p @ A

    def half(node, W, dt):
        if dt == 0.0:
            return p
        return np.stack([block_propagator(W[t if W.shape[0] > 1 else 0], dt).real @ p[t] for t in range(p.shape[0])])

    values = [value(nodes[0])] if observable is not None else None
    W_a = _population_rates(nodes[0])
    with single_threaded_blas():
        for k in range(len(nodes) - 1):
            a, b = nodes[k], nodes[k + 1]
            dt = 0.5 * (times[k + 1] - times[k])
            W_b = _population_rates(b)
            p = half(a, W_a, dt)
            if a.basis is not b.basis:
                p = p @ (np.abs(transport(a, b)) ** 2)
            p = half(b, W_b, dt)
            W_a = W_b
            if values is not None:
                values.append(value(b))
    return p, (np.array(values) if values is not None else None)


#: An element is eliminated adiabatically when its decay rate times the step exceeds this.
FAST_STEPS = 1e3


def block_propagator(G: np.ndarray, dt: float, fast_steps: float = FAST_STEPS) -> np.ndarray:
    r"""exp(G dt) for one secular block G (m x m, s^-1), stiff-safe.

    The excited levels of a molecular magnet relax in ps while its ground doublet takes seconds to
    years: the eigenvalues of the whole block, and so expm of it, carry an absolute round-off of
    ~eps ||G||, which exceeds a slow rate (and shows as a drift of the trace). Elements f whose own
    decay rate exceeds ``fast_steps``/dt, and which as a set decay that fast (every eigenvalue of
    G_ff; a ground state excited often but returning every time does not), are eliminated
    adiabatically (they relax within the step by exp(-fast_steps)). With A = (-G_ff)^-1, B = A G_fs (the fast elements slaved to the slow
    ones: right vectors V = [1; B]) and C = G_sf A (what the fast ones pass on: left vectors
    W = [1, C]), the slow modes are v = V c with

        dc/dt = N^-1 L_eff c,   L_eff = G_ss + G_sf A G_fs,   N = W V = 1 + C B,   c(0) = N^-1 W v(0),

    so exp(G dt) ~ V expm(N^-1 L_eff dt) N^-1 W: the trace and the stationary state are kept (for a
    rate block, 1^T W = 1^T and V c is the quasi-static distribution). The error is of the order of
    the ratio of the slow rates to the eliminated ones (the doublet-block method of
    :func:`spinbath.quantum.relaxation.relaxation_time_details`). With nothing to eliminate this is
    expm(G dt). At least one element is kept in s (a population block whose every element is fast
    then relaxes to its stationary state within the step).
    """
    rate = np.abs(np.diag(G).real) * dt
    f = [int(i) for i in np.argsort(-rate) if rate[i] > fast_steps]
    if len(f) == G.shape[0]:  # keep at least one element: it carries the block's stationary state
        f.pop()
    # A fast own rate is not enough: a ground state excited at a high rate that almost always comes
    # back (Orbach round trips) leaves f only slowly. f must decay as a whole: every eigenvalue of
    # G_ff fast. Move the slowest candidates to s until it does.
    while f and np.min(np.abs(np.linalg.eigvals(G[np.ix_(f, f)]).real)) * dt <= fast_steps:
        f.pop()
    if not f:
        return sla.expm(G * dt)
    f = np.array(sorted(f))
    s = np.setdiff1d(np.arange(G.shape[0]), f)
    m = G.shape[0]
    Gff, Gsf, Gfs = G[np.ix_(f, f)], G[np.ix_(s, f)], G[np.ix_(f, s)]
    B = np.linalg.solve(-Gff, Gfs)  # A G_fs: fast elements slaved to the slow ones (right vectors)
    C = np.linalg.solve(-Gff.T, Gsf.T).T  # G_sf A: what the fast elements pass on (left vectors)
    Ninv = np.linalg.inv(np.eye(s.size) + C @ B)  # (W V)^-1 with V = [1; B], W = [1, C]
    X = sla.expm(Ninv @ (G[np.ix_(s, s)] + Gsf @ B) * dt) @ Ninv
    P = np.zeros((m, m), dtype=complex)
    P[np.ix_(s, s)] = X
    P[np.ix_(s, f)] = X @ C
    P[np.ix_(f, s)] = B @ X
    P[np.ix_(f, f)] = B @ X @ C
    return P


def _half_step(node: SweepNode, rho: np.ndarray, dt: float) -> np.ndarray:
    """exp(L dt) applied to rho (n_T, d, d) in the node's basis: per secular block, the block's mean
    Bohr frequency as an exact phase, expm of the rest; free coherent phases outside the blocks."""
    if dt == 0.0:
        return rho
    d = node.dim
    nT = rho.shape[0]
    v = rho.transpose(0, 2, 1).reshape(nT, d * d).copy()  # column stacking: index a + d b
    omega = ((node.energies[:, None] - node.energies[None, :]) * CM_TO_RAD_PER_S).T.ravel()  # [a + d b]
    free = np.ones(d * d, bool)
    free[node.single] = False
    v[:, node.single] *= np.exp((node.single_rates - 1j * omega[node.single][None, :]) * dt)
    for idx, Rb in node.blocks:
        free[idx] = False
        w = omega[idx]
        wc = w.mean()
        phase = np.exp(-1j * wc * dt)
        slow = np.diag(-1j * (w - wc))
        for t in range(nT):
            P = block_propagator(Rb[t if Rb.shape[0] > 1 else 0] + slow, dt)
            v[t, idx] = phase * (P @ v[t, idx])
    v[:, free] *= np.exp(-1j * omega[free] * dt)[None, :]
    return v.reshape(nT, d, d).transpose(0, 2, 1)


def propagate(nodes: Sequence[SweepNode], times: Sequence[float], rho0: np.ndarray,
              observable: np.ndarray | None = None, progress: Callable[[int], None] | None = None):
    """Carry rho through the nodes (see the module docstring for the step).

    nodes : the path; node k is reached at time ``times[k]`` (s, non-decreasing).
    rho0 : (n_T, d, d) or (d, d), density matrix in the basis of ``nodes[0]`` (one per channel).
    observable : (d, d) lab-basis operator A; its value Re Tr(rho A) is recorded at every node.
    progress : called with 1 after every step.

    Returns (rho_end in the basis of the last node (n_T, d, d), values (n_nodes, n_T) or None).
    """
    rho, times = _start(rho0, complex, 2, times, len(nodes))

    def value(node, r):
        if observable is None:
            return None
        A = node.basis.conj().T @ observable @ node.basis
        return np.real(np.einsum("tab,ba->t", r, A))

    values = [value(nodes[0], rho)] if observable is not None else None
    with single_threaded_blas():  # many tiny products: BLAS threads only spin (quantum/blas.py)
        rho = _steps(nodes, times, rho, value, values, progress)
    return rho, (np.array(values) if values is not None else None)


def _steps(nodes, times, rho, value, values, progress):
    for k in range(len(nodes) - 1):
        a, b = nodes[k], nodes[k + 1]
        half = 0.5 * (times[k + 1] - times[k])
        rho = _half_step(a, rho, half)
        if a.basis is not b.basis:
            O = phase_averaged_transport(a, b, 2.0 * half)
            rho = O.conj().T[None] @ rho @ O[None]
        rho = _half_step(b, rho, half)
        rho = 0.5 * (rho + rho.conj().transpose(0, 2, 1))  # Hermitian to round-off
        if values is not None:
            values.append(value(b, rho))
        if progress is not None:
            progress(1)
    return rho


def thermal_state(energies: np.ndarray, temperature) -> np.ndarray:
    """Boltzmann populations p_a = exp(-E_a / k_B T) / Z (diagonal rho in the eigenbasis), (n_T, d)."""
    from ..units import KB_CM

    T = np.atleast_1d(np.asarray(temperature, float))
    x = -(np.asarray(energies)[None, :] - np.min(energies)) / (KB_CM * T[:, None])
    p = np.exp(x)
    return p / p.sum(axis=1, keepdims=True)


def equilibrium_moment(energies: np.ndarray, basis: np.ndarray, observable: np.ndarray, temperature) -> np.ndarray:
    """Thermal average Tr(rho_th A) (n_T,) of a lab-basis operator A at the given temperatures (K)."""
    p = thermal_state(energies, temperature)
    A = np.real(np.diag(basis.conj().T @ observable @ basis))
    return p @ A


def landau_zener_probability(gap_cm: float, diabatic_rate_cm_per_s: float) -> float:
    r"""P = exp(-pi Delta^2 / (2 hbar v_E)): probability of the diabatic passage (ending in the upper
    adiabatic level) through an avoided crossing.

    Delta (cm^-1): the FULL gap, the smallest splitting of the two adiabatic levels (H = [[v_E t/2,
    Delta/2], [Delta/2, -v_E t/2]]); v_E (cm^-1/s): the rate of change of the diabatic splitting.
    With the half gap (the off-diagonal element H_12 = Delta/2) the same law reads
    exp(-2 pi H_12^2 / (hbar v_E)). hbar = 1 / CM_TO_RAD_PER_S cm^-1 s.
    """
    return float(np.exp(-np.pi * gap_cm**2 * CM_TO_RAD_PER_S / (2.0 * abs(diabatic_rate_cm_per_s))))
