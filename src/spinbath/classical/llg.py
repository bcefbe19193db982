r"""Generalized stochastic Landau-Lifshitz-Gilbert dynamics of M classical spins.

Equation (reduced units; Stratonovich calculus):

    dm_a/dt = sigma m_a x (H_a + eta_a - sum_b alpha_ab dm_b/dt),         |m_a| = 1,

H_a = sum_b L_ab m_b + h_a the field of :class:`~spinbath.classical.spin_model.ClassicalSpinModel`
(energy units; H_a = -dE/dm_a for conservative terms), alpha the symmetric positive-definite
3M x 3M damping matrix (nonlocal blocks alpha_ab, possibly anisotropic), eta Gaussian white noise
with <eta(t) eta(t')^T> = Q delta(t - t'), Q = 2 k_B T alpha in equilibrium (k_B T in the energy
unit). Time is in units of hbar S / (energy unit): for meV and S = 1 one unit is 0.658 ps.
sigma = +1 (default: the sign of the classical LLG, Leiva, Diaz and Nunez, Phys. Rev. B 107, 094401
(2023), doi:10.1103/PhysRevB.107.094401) precesses as dm/dt = m x H; for small alpha
dm/dt ~ m x H + alpha (H - m (m.H)), i.e. damping toward H. sigma = -1 gives the
quantum-mechanical sense of a spin operator, dS/dt = -S x H_field (Heisenberg equation for
E = -H.S), used by spinbath.junction.llg; the damping still relaxes toward H and every
statement below holds with X = sigma M_x.

Implicit Gilbert form as a linear system. With X = sigma blockdiag([m_a x]) (antisymmetric,
linear in m; [m x] v = m x v) the equation reads N mdot = X (H + eta), N = 1 + X alpha, so

    mdot = A(m) (H + eta),     A = N^-1 X = X gamma^-1,     gamma = 1 + alpha X.

N and gamma are invertible for positive semidefinite alpha (N v = 0 gives v = -X alpha v, so
v^T alpha v = -(alpha v)^T X (alpha v) = 0, alpha v = 0, v = 0), and so are all their leading
block submatrices: the compiled kernels solve with 3 x 3 block elimination without pivoting.
The nonlocal damping couples the spins' velocities; the one-spin Landau-Lifshitz form is not
used. Identities (checked in tests/classical/test_llg_drift.py):

    A alpha A^T = (A + A^T)/2,           A e_a = 0,  e_a^T A = 0,

e_a = (0, .., m_a, .., 0). For the first, A^T = -P^-1 X with P = 1 - X alpha; N, P and X alpha
commute, and both sides equal -(X alpha) N^-1 P^-1 X. The others: X e_a = 0 and
A^T = -P^-1 X, so A kills the radial direction of every spin and its range is tangent.

Noise-induced drift (the correction). For a single spin with scalar alpha, the Stratonovich
equation above with Q = 2 k_B T alpha has the Boltzmann distribution. With nonlocal (or
anisotropic) alpha it does not: Stratonovich Heun gives <m1.m2> = 0.548 instead of 0.537 for
E = -J m1.m2, J = 1, k_B T = 0.5, alpha_11 = alpha_22 = 0.5, alpha_12 = 0.3. Derivation:

1. Target (Ito) SDE. dm = [A H + k_B T div A] dt + A B dW, B B^T = 2 k_B T alpha,
   (div A)_i = sum_j dA_ij/dm_j (A continued off the spheres by the same formula). Its diffusion
   matrix is D = (1/2) A Q A^T = k_B T A alpha A^T = k_B T (A + A^T)/2 =: k_B T A_s. For
   P = g(|m_1|, .., |m_M|) exp(-E/k_B T) the probability current
   J_i = b_i P - d_j(D_ij P) = [-A_ij d_jE + k_B T d_j A_ij - k_B T d_j A_s,ij + A_s,ij d_jE] P
   = k_B T d_j(Omega_ij P), Omega = A - A_s antisymmetric (radial derivatives of g are killed
   by A), so d_i J_i = 0: exp(-E/k_B T) on the product of unit spheres is stationary. The Ito
   drift keeps |m_a| fixed: differentiating e_a^T A = 0 gives e_a . div A = -tr A_aa, which
   cancels the Ito term tr D_aa.
2. Stratonovich form. For dm = b dt + G o dW, the Ito drift is b + s with
   s_i = (1/2) sum_jk G_jk d_j G_ik; here G = A B and s_i = (1/2) sum_j [(d_j A) Q A^T]_ij. So the
   Stratonovich equation needs the extra drift
       c_i = k_B T sum_j [(d_j A)(1 - alpha A^T)]_ij,
   with d_j A = N^-1 (d_j X) (1 - alpha A) = N^-1 (d_j X) gamma^-1 and 1 - alpha A^T = N^-T:
       c = k_B T sigma N^-1 v(R),  R = gamma^-1 N^-T = (1 - (alpha X)^2)^-1,
       v_a(R)_p = sum_lk eps_plk R^(aa)_kl = (R_21 - R_12, R_02 - R_20, R_10 - R_01) of block aa,
   since d X / d m_(a,l) = sigma [e_l x] in block aa. Only the antisymmetric parts of the
   diagonal blocks of R matter. With gamma_- = 1 - alpha X = N^T and gamma + gamma_- = 2,
       R = gamma^-1 gamma_-^-1 = (gamma^-1 + gamma_-^-1)/2,
   so the kernels need the diagonal 3 x 3 blocks of gamma^-1 and gamma_-^-1 only (solves with
   unit vectors; llg_kernels).
   Properties: c = 0 for one spin with scalar alpha (then R = (1 + alpha^2 P_perp)^-1,
   P_perp = 1 - m m^T, is symmetric: the textbook case needs no correction), and for scalar
   local damping on several spins; c != 0 for one spin with anisotropic alpha and for nonlocal
   alpha; c is tangent, m_a . c_a = 0 on the spheres (e_a^T N^-1 = e_a^T and
   e_a . div A = -tr A_aa = e_a . s / k_B T), so the norm-preserving schemes need nothing special:
   they apply its tangential part, which is all of it. For the dimer it is of second order in
   the off-diagonal damping alpha_12; it moves the issue's <m1.m2> from 0.548 back to 0.537.
3. General Q (biased junction, Q != 2 k_B T alpha). The equilibrium argument fixes nothing
   here, so a physical limit is used: the white-noise equation is the limit tau -> 0 of the
   same equation with a short memory, damping kernel alpha e^(-t/tau)/tau and noise of
   covariance Q e^(-|t|/tau)/(2 tau), i.e. of the Markov system
       mdot = X (H + z),   tau dz = -(gamma z + alpha X H) dt + B dW,   B B^T = Q.
   Homogenization (z fast, stationary covariance J/tau with gamma J + J gamma^T = Q) gives the
   Ito SDE dm = [A H + sum_j ((d_j A) J X^T)_.j] dt + A B dW, hence
       c = sigma N^-1 v(R),  R = gamma^-1 (J - Q gamma^-T / 2) X^T,  gamma J + J gamma^T = Q.
   For Q = 2 k_B T alpha, J = k_B T alpha and c reduces to step 2 (sum_j [(d_j A) gamma]_.j = 0),
   so the limit reproduces the equilibrium drift; for Q = 2 k_B T_eff alpha it gives the
   Boltzmann distribution at T_eff; and c is tangent for every Q (the memory system conserves
   |m_a| for every tau). The other candidate, c = (1/2) sum_j [(d_j A)(Q alpha^-1 - Q A^T)]_.j,
   also reduces to step 2 in equilibrium but has a radial part for general Q (it is no SDE on
   the spheres), so it is not used. The kernels solve for J per step in the variables
   J = S Y S, S = alpha^(1/2): 2 Y + [K, Y] = S^-1 Q S^-1, K = S X S, whose operator on
   symmetric matrices is 2 + (antisymmetric) in orthonormal coordinates.

The corrected drift is the default (``drift_correction=True``); it is evaluated once per step
at the start point (a drift term: the schemes stay weakly first order). ``False`` integrates the
plain Stratonovich equation.

Integrators (registry ``INTEGRATORS``; the tests loop over it):

* :class:`Heun` -- stochastic Heun (predictor m~ = m + dt (F(m) + c), renormalized; corrector
  m' = m + dt (F(m) + F(m~))/2 + dt c, renormalized), F(m) = A(m)(H(m) + xi),
  xi = B z / sqrt(dt) the same in both stages (Stratonovich).
* :class:`Midpoint` -- implicit midpoint m' = m + dt mbar x Omega(mbar), mbar = (m + m')/2,
  Omega_a = sigma (gamma^-1 w)_a + c_a x mbar_a / |mbar_a|^2 (A w = X gamma^-1 w is exactly
  mbar x (sigma gamma^-1 w)), solved by fixed-point iteration where each iterate is the Cayley
  rotation of m about Omega: |m_a| = 1 to rounding at every step, independently of the tolerance.

Noise: standard normals from per-trajectory streams (:mod:`spinbath.classical.rng`), so results
depend on (seed, trajectory index) only. Backends: ``"numba"`` (compiled, vectorized across
trajectories; :mod:`spinbath.classical.llg_kernels`; up to 4 free spins, 2 with a general Q)
and ``"numpy"`` (batched numpy, the reference, any size; same numbers to rounding).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from spinbath.classical import rng as _rng
from spinbath.classical.spin_model import ClassicalSpinModel, validate_covariance

__all__ = [
    "Heun", "Midpoint", "INTEGRATORS", "LLGResult", "simulate", "gilbert_operator", "velocity",
    "noise_drift", "random_unit_vectors",
]


# ----------------------------------------------------------------------------- integrators
@dataclass(frozen=True)
class Heun:
    """Stochastic Heun with renormalization (Stratonovich; weak order 1, deterministic order 2)."""

    name: ClassVar[str] = "heun"
    norm_preserving: ClassVar[bool] = False  # renormalized after each stage instead


@dataclass(frozen=True)
class Midpoint:
    """Implicit midpoint in Cayley form (Stratonovich; |m_a| = 1 to rounding every step).

    tol: fixed-point tolerance on max |m'_k+1 - m'_k|; max_iter: iteration cap (steps that hit it
    are counted in ``LLGResult.info['unconverged_steps']``)."""

    tol: float = 1e-12
    max_iter: int = 100
    name: ClassVar[str] = "midpoint"
    norm_preserving: ClassVar[bool] = True

    def __post_init__(self):
        if not (self.tol > 0 and np.isfinite(self.tol)):
            raise ValueError(f"Midpoint tol must be positive, got {self.tol}")
        if int(self.max_iter) != self.max_iter or self.max_iter < 1:
            raise ValueError(f"Midpoint max_iter must be a positive integer, got {self.max_iter}")


INTEGRATORS: dict[str, type] = {"heun": Heun, "midpoint": Midpoint}


@dataclass(frozen=True)
class LLGResult:
    """Output of :func:`simulate`.

    t: (n_saved,) times (reduced units), 0 first; values: (n_saved, ...) the recorded quantity
    (default m, shape (n_saved, n_traj, M, 3)); final: (n_traj, M, 3); rng_state: the generator
    states to continue the run (pass as ``rng_state``); info: scheme, dt, seed entropy, drift
    mode, effective drift temperature, midpoint iteration counts, max ||m_a| - 1| at saves.
    """

    t: np.ndarray
    values: np.ndarray
    final: np.ndarray
    rng_state: np.ndarray
    info: dict = field(default_factory=dict)


# ------------------------------------------------------------------ numpy reference algebra
def _cross_mats(x: np.ndarray, sgn: int) -> np.ndarray:
    """X = sgn blockdiag([m_a x]) for x of shape (..., 3M): shape (..., 3M, 3M)."""
    n = x.shape[-1]
    out = np.zeros(x.shape[:-1] + (n, n))
    for a in range(n // 3):
        o = 3 * a
        m0, m1, m2 = (sgn * x[..., o + k] for k in range(3))
        out[..., o, o + 1], out[..., o, o + 2] = -m2, m1
        out[..., o + 1, o], out[..., o + 1, o + 2] = m2, -m0
        out[..., o + 2, o], out[..., o + 2, o + 1] = -m1, m0
    return out


def _axial(R: np.ndarray) -> np.ndarray:
    """v_a(R) = (R21 - R12, R02 - R20, R10 - R01) of each diagonal 3 x 3 block: (..., 3M)."""
    n = R.shape[-1]
    out = np.empty(R.shape[:-1])
    for a in range(n // 3):
        B = R[..., 3 * a:3 * a + 3, 3 * a:3 * a + 3]
        out[..., 3 * a] = B[..., 2, 1] - B[..., 1, 2]
        out[..., 3 * a + 1] = B[..., 0, 2] - B[..., 2, 0]
        out[..., 3 * a + 2] = B[..., 1, 0] - B[..., 0, 1]
    return out


def _solve(Gm: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.linalg.solve(Gm, b[..., None])[..., 0]


def _lyapunov(gamma: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """J with gamma J + J gamma^T = Q, batched: (gamma (x) 1 + 1 (x) gamma) vec J = vec Q
    (row-major vec)."""
    n = gamma.shape[-1]
    eye = np.eye(n)
    op = (np.einsum("...ij,kl->...ikjl", gamma, eye) + np.einsum("ij,...kl->...ikjl", eye, gamma))
    op = op.reshape(gamma.shape[:-2] + (n * n, n * n))
    rhs = np.broadcast_to(Q.reshape(-1), gamma.shape[:-2] + (n * n,))
    return _solve(op, rhs).reshape(gamma.shape)


def _reference_drift(x, alpha, sgn, mode, theta, Q):
    """c(x), shape (..., 3M): the general formula c = sgn N^-1 v(R), R = gamma^-1 (J - Q gamma^-T
    / 2) X^T (J = theta alpha in the thermal mode, else from the Lyapunov equation)."""
    if mode == 0:
        return np.zeros_like(x)
    n = x.shape[-1]
    X = _cross_mats(x, sgn)
    eye = np.eye(n)
    gamma = eye + alpha @ X
    Nm = eye + X @ alpha
    if mode == 1:
        J, Q = theta * alpha, 2.0 * theta * alpha
    else:
        J = _lyapunov(gamma, Q)
    ginv = np.linalg.inv(gamma)
    R = ginv @ (J - Q @ np.swapaxes(ginv, -1, -2) / 2.0) @ np.swapaxes(X, -1, -2)
    return sgn * _solve(Nm, _axial(R))


def _reference_velocity(x, xi, L, h, alpha, sgn):
    n = x.shape[-1]
    X = _cross_mats(x, sgn)
    w = x @ L.T + h + xi
    y = _solve(np.eye(n) + alpha @ X, w)
    return np.einsum("...ij,...j->...i", X, y), y


def _normalize(x: np.ndarray) -> np.ndarray:
    s = x.reshape(x.shape[:-1] + (-1, 3))
    return (s / np.linalg.norm(s, axis=-1, keepdims=True)).reshape(x.shape)


# ---------------------------------------------------------------------- public algebra API
def _free_flat(model: ClassicalSpinModel, m) -> tuple[np.ndarray, dict]:
    m = model.with_pins_applied(m)
    red = model.reduced()
    return m.reshape(m.shape[:-2] + (-1,))[..., red["index"]], red


def gilbert_operator(model: ClassicalSpinModel, m) -> np.ndarray:
    """A(m) = (1 + X alpha)^-1 X of the free spins, shape (..., 3F, 3F) for m of shape
    (..., M, 3) (F free spins, in order; pinned spins enter only through the fields)."""
    x, red = _free_flat(model, m)
    X = _cross_mats(x, model.precession_sign)
    return np.linalg.solve(np.eye(x.shape[-1]) + X @ red["alpha"], X)


def velocity(model: ClassicalSpinModel, m, eta=None) -> np.ndarray:
    """dm/dt = A(m)(H(m) + eta) for m (and optional noise field eta) of shape (..., M, 3); zero
    for pinned spins. Without eta this is the deterministic Gilbert velocity."""
    m = model.with_pins_applied(m)
    x, red = _free_flat(model, m)
    xi = 0.0 if eta is None else np.asarray(eta, dtype=float).reshape(
        m.shape[:-2] + (-1,))[..., red["index"]]
    F, _ = _reference_velocity(x, xi, red["L"], red["h"], red["alpha"], model.precession_sign)
    out = np.zeros(m.shape[:-2] + (3 * model.n_spins,))
    out[..., red["index"]] = F
    return out.reshape(m.shape)


def _noise_setup(model: ClassicalSpinModel, kT, noise) -> tuple[np.ndarray, int, float,
                                                                         dict]:
    """Reduced Q_FF, drift mode (0 none, 1 thermal, 2 general) and theta."""
    n_all = 3 * model.n_spins
    if kT is not None and noise is not None:
        raise ValueError("give either kT (Q = 2 k_B T alpha) or noise (Q), not both")
    if kT is not None:
        Q = model.thermal_noise(kT)
    elif noise is not None:
        from spinbath.classical.spin_model import as_spin_matrix

        Q = validate_covariance(as_spin_matrix(noise, model.n_spins, "noise covariance Q"),
                                n_all)
    else:
        Q = np.zeros((n_all, n_all))
    red = model.reduced(Q)
    Qf, alpha = red["Q"], red["alpha"]
    qs, as_ = float(np.max(np.abs(Qf))), float(np.max(np.abs(alpha)))
    if qs == 0.0 or as_ == 0.0:
        return Qf, 0, 0.0, red          # no noise, or no damping: c = 0 (J = Q/2, R = 0)
    theta = float(np.sum(Qf * alpha) / (2.0 * np.sum(alpha * alpha)))
    if np.max(np.abs(Qf - 2.0 * theta * alpha)) <= 1e-12 * qs:
        return Qf, 1, theta, red
    return Qf, 2, 0.0, red


def noise_drift(model: ClassicalSpinModel, m, *, kT=None, noise=None) -> np.ndarray:
    """The noise-induced drift c(m) added to the Stratonovich equation (module docstring), shape
    (..., M, 3) for m of shape (..., M, 3); zero on pinned spins. Reference (numpy) evaluation."""
    Qf, mode, theta, red = _noise_setup(model, kT, noise)
    m = model.with_pins_applied(m)
    x = m.reshape(m.shape[:-2] + (-1,))[..., red["index"]]
    c = _reference_drift(x, red["alpha"], model.precession_sign, mode, theta, Qf)
    out = np.zeros(m.shape[:-2] + (3 * model.n_spins,))
    out[..., red["index"]] = c
    return out.reshape(m.shape)


def random_unit_vectors(shape, rng: np.random.Generator) -> np.ndarray:
    """Uniform random unit vectors, shape (*shape, 3) (e.g. infinite-temperature initial states)."""
    v = rng.standard_normal(tuple(np.atleast_1d(shape)) + (3,))
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


# ---------------------------------------------------------------------------------- driver
def _noise_factor(Qf: np.ndarray, dt: float) -> np.ndarray:
    """B / sqrt(dt) with B B^T = Q_FF (Cholesky, or eigen-factor when Q is singular)."""
    if not np.any(Qf):
        return np.zeros_like(Qf)
    try:
        B = np.linalg.cholesky(Qf)
    except np.linalg.LinAlgError:
        w, V = np.linalg.eigh(Qf)
        B = V * np.sqrt(np.clip(w, 0.0, None))
    return B / np.sqrt(dt)


def _sqrtm_psd(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    w, V = np.linalg.eigh(a)
    return (V * np.sqrt(w)) @ V.T, (V / np.sqrt(w)) @ V.T


def _initial(model: ClassicalSpinModel, m0, n_traj) -> np.ndarray:
    m0 = np.asarray(m0, dtype=float)
    M = model.n_spins
    if m0.shape == (M, 3):
        n_traj = 1 if n_traj is None else int(n_traj)
        m0 = np.broadcast_to(m0, (n_traj, M, 3))
    elif m0.ndim == 3 and m0.shape[1:] == (M, 3):
        if n_traj is not None and n_traj != m0.shape[0]:
            raise ValueError(f"n_traj = {n_traj} but m0 holds {m0.shape[0]} trajectories")
    else:
        raise ValueError(f"m0 must have shape ({M}, 3) or (n_traj, {M}, 3), got {m0.shape}")
    if m0.shape[0] < 1:
        raise ValueError("n_traj must be at least 1")
    if not np.all(np.isfinite(m0)):
        raise ValueError("m0 contains NaN or infinite entries")
    norms = np.linalg.norm(m0, axis=-1, keepdims=True)
    if np.any(norms == 0.0):
        raise ValueError("m0 contains zero vectors; spins must be nonzero (they are normalized)")
    return model.with_pins_applied(m0 / norms)


def simulate(model: ClassicalSpinModel, m0, *, dt: float, n_steps: int, n_traj: int | None = None,
             kT: float | None = None, noise=None, method=None,
             drift_correction: bool = True, seed=None, first_trajectory: int = 0,
             save_every: int | None = None,
             record: Callable[[np.ndarray], np.ndarray] | None = None,
             backend: str = "auto", rng_state: np.ndarray | None = None,
             block_size: int = 16) -> LLGResult:
    """Integrate the stochastic LLG (module docstring) for an ensemble of trajectories.

    model: the spin model (fields, damping, pinned spins, precession sign). m0: (M, 3), copied to
    every trajectory, or (n_traj, M, 3); normalized; pinned spins set to their directions.
    dt, n_steps: time step and number of steps (reduced time units, hbar S / energy unit).
    kT: the thermal energy k_B T in the model's energy unit (not kelvin), giving Q = 2 k_B T alpha; or noise: Q (scalar, (M, M),
    (M, M, 3, 3) or (3M, 3M)); neither: deterministic. method: Heun() (default) or Midpoint().
    drift_correction: add the noise-induced drift (default; False gives the plain Stratonovich
    equation, biased for nonlocal or anisotropic alpha). seed: int / SeedSequence / None
    (fresh; the entropy is in info); first_trajectory: index of the first trajectory's stream
    (to split ensembles). save_every: steps between saves (default: only the start and the end);
    record: function of m (n_traj, M, 3) giving what to keep (default: m itself). rng_state:
    continue from ``LLGResult.rng_state`` (then seed and first_trajectory are ignored).
    backend: "auto" (default: the compiled kernels up to llg_kernels.MAX_FREE_SPINS free spins
    -- 4, or 2 with a general Q -- and batched numpy beyond; ``info['backend']`` says which ran),
    "numba" or "numpy". block_size: lanes per compiled block (16: fastest measured here).
    """
    method = Heun() if method is None else method
    if not isinstance(method, tuple(INTEGRATORS.values())):
        raise ValueError(f"method must be one of {list(INTEGRATORS)} instances (Heun(), "
                         f"Midpoint()), got {method!r}")
    if backend not in ("auto", "numba", "numpy"):
        raise ValueError(f"backend must be 'auto', 'numba' or 'numpy', got {backend!r}")
    if int(block_size) != block_size or block_size < 1:
        raise ValueError(f"block_size must be a positive integer, got {block_size}")
    dt = float(dt)
    if not (dt > 0 and np.isfinite(dt)):
        raise ValueError(f"dt must be positive and finite, got {dt}")
    if int(n_steps) != n_steps or n_steps < 0:
        raise ValueError(f"n_steps must be a non-negative integer, got {n_steps}")
    n_steps = int(n_steps)
    save_every = n_steps if save_every is None else int(save_every)
    if save_every < 1 and n_steps > 0:
        raise ValueError(f"save_every must be >= 1, got {save_every}")
    m = _initial(model, m0, n_traj)
    n_traj = m.shape[0]
    Qf, mode, theta, red = _noise_setup(model, kT, noise)
    if not drift_correction:
        mode, theta = 0, 0.0
    idx, L, h, alpha = red["index"], red["L"], red["h"], red["alpha"]
    n = idx.size
    sgn = model.precession_sign
    B = _noise_factor(Qf, dt)
    if mode == 2:
        S, Sinv = _sqrtm_psd(alpha)
        Qt = Sinv @ Qf @ Sinv
    else:
        S = Sinv = Qt = np.zeros((n, n))
    if rng_state is not None:
        states = np.array(rng_state, dtype=np.uint64)
        if states.shape != (4, n_traj):
            raise ValueError(f"rng_state must have shape (4, {n_traj}), got {states.shape}")
        entropy = None
    else:
        ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        states = _rng.initial_states(_rng.seed_key(ss), first_trajectory, n_traj)
        entropy = ss.entropy
    record = (lambda mm: mm.copy()) if record is None else record

    if backend == "auto":
        from spinbath.classical.llg_kernels import MAX_FREE_SPINS

        backend = "numba" if n // 3 <= MAX_FREE_SPINS[mode] else "numpy"
    x = m.reshape(n_traj, -1)[:, idx].copy()
    stepper = _NumbaStepper(x, states, block_size) if backend == "numba" else _NumpyStepper(
        x, states)
    args = dict(dt=dt, L=L, h=h, alpha=alpha, B=B, sgn=sgn, mode=mode, theta=theta, S=S,
                Sinv=Sinv, Qt=Qt, Q=Qf, method=method)

    def full(xf: np.ndarray) -> np.ndarray:
        out = m.reshape(n_traj, -1).copy()
        out[:, idx] = xf
        return out.reshape(m.shape)

    times, values = [0.0], [record(full(stepper.x()))]
    norm_err = 0.0
    done = 0
    while done < n_steps:
        k = min(save_every, n_steps - done)
        stepper.run(k, **args)
        done += k
        cur = stepper.x()
        norm_err = max(norm_err, float(np.max(np.abs(
            np.linalg.norm(cur.reshape(n_traj, -1, 3), axis=-1) - 1.0))))
        times.append(done * dt)
        values.append(record(full(cur)))
    final = full(stepper.x())
    info = {"method": method.name, "dt": dt, "n_steps": n_steps, "n_traj": n_traj,
            "backend": backend, "seed_entropy": entropy, "first_trajectory": first_trajectory,
            "drift_mode": ("none", "thermal", "general")[mode], "drift_theta": theta,
            "max_norm_error": norm_err, "precession_sign": sgn}
    info.update(stepper.stats)
    return LLGResult(t=np.array(times), values=np.stack(values), final=final,
                     rng_state=stepper.states(), info=info)


class _NumbaStepper:
    """Holds the ensemble in the kernels' block layout (nblk, n, V), padded to whole blocks
    (padding lanes repeat the last trajectory and are dropped on output)."""

    def __init__(self, x: np.ndarray, states: np.ndarray, V: int):
        from spinbath.classical import llg_kernels  # compiled on first use

        self._k = llg_kernels
        n_traj, n = x.shape
        self.n_traj, self.n, self.V = n_traj, n, int(V)
        nblk = -(-n_traj // self.V)
        pad = nblk * self.V - n_traj
        xp = np.concatenate([x, np.repeat(x[-1:], pad, axis=0)]) if pad else x
        sp = np.concatenate([states, np.repeat(states[:, -1:], pad, axis=1)], axis=1) \
            if pad else states
        self.m = np.ascontiguousarray(xp.reshape(nblk, self.V, n).transpose(0, 2, 1))
        self.st = np.ascontiguousarray(sp.reshape(4, nblk, self.V).transpose(1, 0, 2))
        self.stats = {}
        self._max_it, self._unconv = 0, 0

    def run(self, k, *, dt, L, h, alpha, B, sgn, mode, theta, S, Sinv, Qt, Q, method):
        f = np.ascontiguousarray
        run = self._k.kernel(method.name, self.n, int(mode), bool(np.any(B)), self.V)
        common = (self.m, self.st, int(k), dt, f(L), f(h), f(alpha), f(B), float(sgn),
                  float(theta), f(S), f(Qt), f(Q))
        if isinstance(method, Midpoint):
            stats = np.zeros((self.m.shape[0], 2), dtype=np.int64)
            run(*common, float(method.tol), int(method.max_iter), stats)
            self._max_it = max(self._max_it, int(stats[:, 0].max()))
            self._unconv += int(stats[:, 1].sum())
            self.stats = {"max_iterations": self._max_it, "unconverged_steps": self._unconv}
        else:
            run(*common)

    def x(self) -> np.ndarray:
        return self.m.transpose(0, 2, 1).reshape(-1, self.n)[: self.n_traj].copy()

    def states(self) -> np.ndarray:
        return self.st.transpose(1, 0, 2).reshape(4, -1)[:, : self.n_traj].copy()


class _NumpyStepper:
    """Batched numpy reference of the same schemes (same noise, same formulas; the drift uses the
    general expression with J, an independent check of the kernels' thermal shortcut)."""

    def __init__(self, x: np.ndarray, states: np.ndarray):
        self._x, self._st = x.copy(), states.copy()
        self.stats = {}
        self._max_it, self._unconv = 0, 0

    def run(self, k, *, dt, L, h, alpha, B, sgn, mode, theta, S, Sinv, Qt, Q, method):
        n = self._x.shape[1]
        noisy = bool(np.any(B))
        for _ in range(k):
            if noisy:
                z = _rng.standard_normals(self._st, 1, n)[0].T      # (n_traj, n)
                xi = z @ B.T
            else:
                xi = np.zeros_like(self._x)
            x = self._x
            c = _reference_drift(x, alpha, sgn, mode, theta, Q)
            if isinstance(method, Midpoint):
                self._x = self._midpoint(x, xi, c, dt, L, h, alpha, sgn, method)
            else:
                F0, _ = _reference_velocity(x, xi, L, h, alpha, sgn)
                xt = _normalize(x + dt * (F0 + c))
                F1, _ = _reference_velocity(xt, xi, L, h, alpha, sgn)
                self._x = _normalize(x + dt * (0.5 * (F0 + F1) + c))

    def _midpoint(self, x, xi, c, dt, L, h, alpha, sgn, method):
        xp = x.copy()
        it, conv = 0, False
        s = lambda a: a.reshape(a.shape[0], -1, 3)  # noqa: E731
        while it < method.max_iter:
            it += 1
            mb = 0.5 * (x + xp)
            _, y = _reference_velocity(mb, xi, L, h, alpha, sgn)
            mb3, c3 = s(mb), s(c)
            Om = sgn * s(y) + np.cross(c3, mb3) / np.sum(mb3 * mb3, axis=-1, keepdims=True)
            a = 0.5 * dt * Om
            m3 = s(x)
            u = m3 - np.cross(a, m3)
            new = (u - np.cross(a, u) + np.sum(a * u, axis=-1, keepdims=True) * a) / (
                1.0 + np.sum(a * a, axis=-1, keepdims=True))
            new = new.reshape(x.shape)
            err = np.max(np.abs(new - xp))
            xp = new
            if err < method.tol:
                conv = True
                break
        self._max_it = max(self._max_it, it)
        self._unconv += 0 if conv else 1
        self.stats = {"max_iterations": self._max_it, "unconverged_steps": self._unconv}
        return xp

    def x(self) -> np.ndarray:
        return self._x.copy()

    def states(self) -> np.ndarray:
        return self._st.copy()
