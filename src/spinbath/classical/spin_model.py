r"""Classical spin model: M unit vectors m_a with linear fields, damping matrix and pinned spins.

Every term spinbath needs for classical moments is at most quadratic in the m_a, so the whole model
is one linear field

    H_a = sum_b L_ab m_b + h_a          (energy units; a, b = 0..M-1; L_ab 3 x 3),

collected in a 3M x 3M matrix L and a bias h of shape (M, 3). Conservative terms enter through
their energy, H_a = -dE/dm_a:

    Zeeman            E = -B_a . m_a                               (B_a: field in energy units)
    uniaxial          E = -K_a (m_a . n_a)^2                       (K > 0: easy axis n_a)
    anisotropy        E = m_a^T D_a m_a                            (D_a symmetric 3 x 3)
    exchange (a != b) E = J m_a . m_b + D . (m_a x m_b) + m_a^T Gamma m_b
                                                                   (J > 0 antiferromagnetic;
                                                                    Gamma symmetric 3 x 3)

so that E(m) = -(1/2) m^T L m - h . m whenever L is symmetric. Non-conservative (nonreciprocal)
couplings, such as the bias-driven couplings of a junction, are added as general linear fields
H_a += W_ab m_b + h0_a with any 3 x 3 W_ab; they derive from no energy when W_ab != W_ba^T, and
:meth:`ClassicalSpinModel.energy` then raises.

The damping alpha is a 3M x 3M symmetric matrix (blocks alpha_ab, nonlocal and anisotropic,
e.g. alpha_ab = alpha^(i)_ab 1 + alpha^(an)_ab t t^T, see :func:`damping_tensor`). It must be
positive definite, or exactly zero (undamped precession, no noise): the implicit Gilbert equation
needs N = 1 + M_x alpha invertible for every configuration and the equilibrium noise 2 k_B T alpha
a covariance. Pinned spins keep a fixed direction; they act on the free spins through L and are
left out of the equations of motion (their dm/dt = 0).

Units: fields, couplings, K, J, D, W and k_B T in one energy unit (e.g. meV); alpha dimensionless;
times in hbar S / (energy unit) (see :mod:`spinbath.classical.llg`). Built once, then swept: the
model is immutable and every ``with_*`` method returns a new model; temperature and noise are
arguments of the integrators, not part of the model.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "ClassicalSpinModel", "as_spin_matrix", "damping_tensor", "thermal_noise",
    "validate_damping", "validate_covariance", "cross_matrix",
]

_EPS = np.zeros((3, 3, 3))
_EPS[0, 1, 2] = _EPS[1, 2, 0] = _EPS[2, 0, 1] = 1.0
_EPS[0, 2, 1] = _EPS[2, 1, 0] = _EPS[1, 0, 2] = -1.0


def cross_matrix(v) -> np.ndarray:
    """[v x]: the 3 x 3 matrix with [v x] u = v x u (broadcast over leading axes of v)."""
    v = np.asarray(v, dtype=float)
    return -np.einsum("ijk,...k->...ij", _EPS, v)


def _finite(name: str, x) -> np.ndarray:
    arr = np.asarray(x, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite entries")
    return arr


def as_spin_matrix(x, n_spins: int, name: str = "matrix") -> np.ndarray:
    """A 3M x 3M matrix from any of: a scalar c (c times the identity), an (M, M) array c_ab
    (c_ab times the 3 x 3 identity in each block), an (M, M, 3, 3) array of blocks, or the
    (3M, 3M) matrix itself (spin-major: index 3 a + i)."""
    arr = _finite(name, x)
    n = 3 * n_spins
    if arr.ndim == 0:
        return float(arr) * np.eye(n)
    if arr.shape == (n_spins, n_spins):
        return np.kron(arr, np.eye(3))
    if arr.shape == (n_spins, n_spins, 3, 3):
        return arr.transpose(0, 2, 1, 3).reshape(n, n).copy()
    if arr.shape == (n, n):
        return arr.copy()
    raise ValueError(f"{name} must be a scalar or have shape ({n_spins}, {n_spins}), "
                     f"({n_spins}, {n_spins}, 3, 3) or ({n}, {n}); got {arr.shape}")


def damping_tensor(isotropic, anisotropic=None, axis=(0.0, 0.0, 1.0)) -> np.ndarray:
    """Blocks alpha_ab = alpha^(i)_ab 1 + alpha^(an)_ab t t^T, shape (M, M, 3, 3), from (M, M)
    arrays of isotropic and anisotropic parts and the unit vector t (normalized here)."""
    iso = np.atleast_2d(_finite("isotropic damping", isotropic))
    an = np.zeros_like(iso) if anisotropic is None else np.atleast_2d(
        _finite("anisotropic damping", anisotropic))
    if iso.shape != an.shape or iso.ndim != 2 or iso.shape[0] != iso.shape[1]:
        raise ValueError(f"isotropic and anisotropic damping must be square (M, M) arrays of the "
                         f"same shape; got {iso.shape} and {an.shape}")
    t = _unit("damping axis t", axis)
    return iso[:, :, None, None] * np.eye(3) + an[:, :, None, None] * np.outer(t, t)


def _unit(name: str, v) -> np.ndarray:
    v = _finite(name, v)
    if v.shape != (3,):
        raise ValueError(f"{name} must be a 3-vector, got shape {v.shape}")
    norm = np.linalg.norm(v)
    if norm == 0.0:
        raise ValueError(f"{name} must be nonzero")
    return v / norm


def _symmetry_error(a: np.ndarray) -> float:
    return float(np.max(np.abs(a - a.T))) if a.size else 0.0


def validate_damping(alpha: np.ndarray, rtol: float = 1e-10) -> np.ndarray:
    """Check a 3M x 3M damping matrix: finite, symmetric to rtol (relative to max |alpha|), and
    positive definite or exactly zero. Returns the symmetrized matrix; raises ValueError naming
    the problem otherwise."""
    alpha = _finite("damping alpha", alpha)
    if alpha.ndim != 2 or alpha.shape[0] != alpha.shape[1] or alpha.shape[0] % 3:
        raise ValueError(f"damping alpha must be a 3M x 3M matrix, got shape {alpha.shape}")
    scale = float(np.max(np.abs(alpha))) if alpha.size else 0.0
    if scale == 0.0:
        return np.zeros_like(alpha)
    asym = _symmetry_error(alpha)
    if asym > rtol * scale:
        raise ValueError(f"damping alpha is not symmetric: max |alpha - alpha^T| = {asym:.3g} "
                         f"(max |alpha| = {scale:.3g}); the Gilbert damping matrix must be "
                         "symmetric (its antisymmetric part is a precession term, not damping)")
    alpha = 0.5 * (alpha + alpha.T)
    w, v = np.linalg.eigh(alpha)
    if w[0] <= rtol * scale:
        spin = int(np.argmax(np.linalg.norm(v[:, 0].reshape(-1, 3), axis=1)))
        raise ValueError(f"damping alpha is not positive definite: smallest eigenvalue "
                         f"{w[0]:.3g} (eigenvector mostly on spin {spin}); a nonzero damping "
                         "matrix must be positive definite")
    return alpha


def validate_covariance(q, n: int, name: str = "noise covariance Q",
                        rtol: float = 1e-10) -> np.ndarray:
    """Check an n x n noise covariance: finite, symmetric and positive semidefinite (to rtol
    relative to max |Q|). Returns the symmetrized matrix."""
    q = _finite(name, q)
    if q.shape != (n, n):
        raise ValueError(f"{name} must have shape ({n}, {n}), got {q.shape}")
    scale = float(np.max(np.abs(q))) if q.size else 0.0
    if scale == 0.0:
        return np.zeros_like(q)
    asym = _symmetry_error(q)
    if asym > rtol * scale:
        raise ValueError(f"{name} is not symmetric: max |Q - Q^T| = {asym:.3g}")
    q = 0.5 * (q + q.T)
    w = np.linalg.eigvalsh(q)
    if w[0] < -rtol * scale:
        raise ValueError(f"{name} is not positive semidefinite: smallest eigenvalue {w[0]:.3g}")
    return q


def thermal_noise(alpha: np.ndarray, kT: float) -> np.ndarray:
    """Equilibrium noise covariance Q = 2 k_B T alpha (fluctuation-dissipation; k_B T in the
    energy unit of the fields)."""
    kT = float(kT)
    if not np.isfinite(kT) or kT < 0:
        raise ValueError(f"temperature k_B T must be finite and >= 0, got {kT}")
    return 2.0 * kT * np.asarray(alpha, dtype=float)


class ClassicalSpinModel:
    """M classical unit vectors with linear fields H = L m + h, damping alpha and pinned spins.

    Build with the ``with_*`` methods (each returns a new model):

    >>> model = (ClassicalSpinModel(2, damping=0.1)
    ...          .with_exchange(0, 1, J=-1.0)
    ...          .with_zeeman(0, (0, 0, 0.5)))

    Attributes (read-only arrays): ``coupling`` L (3M, 3M), ``bias`` h (M, 3), ``damping`` alpha
    (3M, 3M), ``pinned`` (M,) bool, ``pinned_directions`` (M, 3) (unit vectors; rows of free spins
    are unused), ``precession_sign`` sigma = +1 or -1 (see :mod:`spinbath.classical.llg`).
    """

    def __init__(self, n_spins: int, *, damping=0.0, precession_sign: int = 1):
        if int(n_spins) != n_spins or n_spins < 1:
            raise ValueError(f"n_spins must be a positive integer, got {n_spins!r}")
        if precession_sign not in (1, -1):
            raise ValueError(f"precession_sign must be +1 or -1, got {precession_sign!r}")
        self._n = int(n_spins)
        n = 3 * self._n
        self._L_cons = np.zeros((n, n))     # from energy terms (symmetric by construction)
        self._L_nc = np.zeros((n, n))       # general linear fields W (any matrix)
        self._bias = np.zeros((self._n, 3))
        self._damping = validate_damping(as_spin_matrix(damping, self._n, "damping alpha"))
        self._pinned = np.zeros(self._n, dtype=bool)
        self._pin_dir = np.tile([0.0, 0.0, 1.0], (self._n, 1))
        self._sign = int(precession_sign)
        self._freeze()

    # ------------------------------------------------------------------------- plumbing
    def _freeze(self) -> None:
        for arr in (self._L_cons, self._L_nc, self._bias, self._damping, self._pinned,
                    self._pin_dir):
            arr.flags.writeable = False

    def _copy(self) -> ClassicalSpinModel:
        new = object.__new__(ClassicalSpinModel)
        new._n, new._sign = self._n, self._sign
        for key in ("_L_cons", "_L_nc", "_bias", "_damping", "_pinned", "_pin_dir"):
            setattr(new, key, getattr(self, key).copy())
        return new

    def _spin(self, a) -> int:
        if int(a) != a or not 0 <= a < self._n:
            raise ValueError(f"spin index must be an integer in [0, {self._n - 1}], got {a!r}")
        return int(a)

    def __repr__(self) -> str:
        return (f"ClassicalSpinModel(n_spins={self._n}, pinned={np.flatnonzero(self._pinned)}, "
                f"conservative={self.is_conservative}, precession_sign={self._sign:+d})")

    # ------------------------------------------------------------------------ properties
    @property
    def n_spins(self) -> int:
        return self._n

    @property
    def coupling(self) -> np.ndarray:
        """L (3M, 3M): H = L m + h (conservative plus non-conservative parts)."""
        out = self._L_cons + self._L_nc
        out.flags.writeable = False
        return out

    @property
    def bias(self) -> np.ndarray:
        return self._bias

    @property
    def damping(self) -> np.ndarray:
        return self._damping

    @property
    def pinned(self) -> np.ndarray:
        return self._pinned

    @property
    def pinned_directions(self) -> np.ndarray:
        return self._pin_dir

    @property
    def free(self) -> np.ndarray:
        """Indices of the free (not pinned) spins."""
        return np.flatnonzero(~self._pinned)

    @property
    def precession_sign(self) -> int:
        return self._sign

    @property
    def is_conservative(self) -> bool:
        """True when the fields derive from an energy (L symmetric to 1e-12 relative)."""
        L = self.coupling
        scale = max(float(np.max(np.abs(L))), 1e-300)
        return _symmetry_error(L) <= 1e-12 * scale

    # ------------------------------------------------------------------ energy terms
    def _add_block(self, a: int, b: int, block: np.ndarray, *, conservative: bool) -> None:
        target = self._L_cons if conservative else self._L_nc
        target.flags.writeable = True
        target[3 * a:3 * a + 3, 3 * b:3 * b + 3] += block
        target.flags.writeable = False

    def with_zeeman(self, spin: int, field) -> ClassicalSpinModel:
        """E += -B . m_spin, i.e. H_spin += B (B in energy units, e.g. g mu_B S B)."""
        a = self._spin(spin)
        B = _finite("Zeeman field", field)
        if B.shape != (3,):
            raise ValueError(f"Zeeman field must be a 3-vector, got shape {B.shape}")
        new = self._copy()
        new._bias[a] += B
        new._freeze()
        return new

    def with_uniaxial(self, spin: int, K: float, axis) -> ClassicalSpinModel:
        """E += -K (m_spin . n)^2 (K > 0: easy axis n; K < 0: easy plane); H += 2 K n (n . m)."""
        a = self._spin(spin)
        K = float(_finite("uniaxial anisotropy K", K))
        n = _unit("anisotropy axis", axis)
        new = self._copy()
        new._add_block(a, a, 2.0 * K * np.outer(n, n), conservative=True)
        new._freeze()
        return new

    def with_anisotropy(self, spin: int, matrix) -> ClassicalSpinModel:
        """E += m_spin^T D m_spin for a symmetric 3 x 3 D (H += -2 D m)."""
        a = self._spin(spin)
        D = _finite("anisotropy matrix", matrix)
        if D.shape != (3, 3):
            raise ValueError(f"anisotropy matrix must be 3 x 3, got shape {D.shape}")
        if _symmetry_error(D) > 1e-12 * max(float(np.max(np.abs(D))), 1e-300):
            raise ValueError("anisotropy matrix must be symmetric (its antisymmetric part "
                             "drops out of m^T D m)")
        new = self._copy()
        new._add_block(a, a, -(D + D.T), conservative=True)
        new._freeze()
        return new

    def with_exchange(self, a: int, b: int, J: float = 0.0, D=(0.0, 0.0, 0.0),
                      Gamma=None) -> ClassicalSpinModel:
        """E += J m_a . m_b + D . (m_a x m_b) + m_a^T Gamma m_b (a != b; Gamma symmetric).

        The bilinear form is E = m_a^T B m_b with B = J 1 - [D x] + Gamma, so
        H_a += -B m_b and H_b += -B^T m_a.
        """
        a, b = self._spin(a), self._spin(b)
        if a == b:
            raise ValueError("exchange needs two different spins; use with_anisotropy for "
                             "on-site terms")
        J = float(_finite("exchange J", J))
        Dv = _finite("DM vector D", D)
        if Dv.shape != (3,):
            raise ValueError(f"DM vector must be a 3-vector, got shape {Dv.shape}")
        G = np.zeros((3, 3)) if Gamma is None else _finite("anisotropic exchange Gamma", Gamma)
        if G.shape != (3, 3):
            raise ValueError(f"anisotropic exchange Gamma must be 3 x 3, got shape {G.shape}")
        if _symmetry_error(G) > 1e-12 * max(float(np.max(np.abs(G))), 1e-300):
            raise ValueError("anisotropic exchange Gamma must be symmetric (its antisymmetric "
                             "part is a DM vector: pass it as D)")
        B = J * np.eye(3) - cross_matrix(Dv) + G
        new = self._copy()
        new._add_block(a, b, -B, conservative=True)
        new._add_block(b, a, -B.T, conservative=True)
        new._freeze()
        return new

    def with_linear_field(self, a: int, b: int, W) -> ClassicalSpinModel:
        """H_a += W m_b for any 3 x 3 W (a == b allowed): a general, possibly non-conservative
        (nonreciprocal) coupling. Conservative only if the model's total L stays symmetric."""
        a, b = self._spin(a), self._spin(b)
        W = _finite("linear field W", W)
        if W.shape != (3, 3):
            raise ValueError(f"linear field W must be 3 x 3, got shape {W.shape}")
        new = self._copy()
        new._add_block(a, b, W, conservative=False)
        new._freeze()
        return new

    def with_linear_fields(self, W, h0=None) -> ClassicalSpinModel:
        """H_a += sum_b W_ab m_b + h0_a for all spins at once: W of shape (M, M, 3, 3) or
        (3M, 3M), h0 of shape (M, 3) (e.g. a junction's exchange and Zeeman terms)."""
        Wm = as_spin_matrix(W, self._n, "linear fields W")
        new = self._copy()
        new._L_nc.flags.writeable = True
        new._L_nc += Wm
        if h0 is not None:
            h = _finite("field offsets h0", h0)
            if h.shape != (self._n, 3):
                raise ValueError(f"field offsets h0 must have shape ({self._n}, 3), got {h.shape}")
            new._bias += h
        new._freeze()
        return new

    def with_damping(self, damping) -> ClassicalSpinModel:
        """Replace the damping: scalar, (M, M), (M, M, 3, 3) or (3M, 3M) (see
        :func:`~spinbath.classical.spin_model.as_spin_matrix`); validated symmetric and positive definite (or zero)."""
        new = self._copy()
        new._damping = validate_damping(as_spin_matrix(damping, self._n, "damping alpha"))
        new._freeze()
        return new

    def with_pinned(self, spin: int, direction) -> ClassicalSpinModel:
        """Pin a spin along ``direction`` (normalized): it keeps this direction, acts on the others
        through its field, and has dm/dt = 0."""
        a = self._spin(spin)
        new = self._copy()
        new._pinned[a] = True
        new._pin_dir[a] = _unit("pinned direction", direction)
        if new._pinned.all():
            raise ValueError("at least one spin must stay free")
        new._freeze()
        return new

    def with_precession_sign(self, sign: int) -> ClassicalSpinModel:
        if sign not in (1, -1):
            raise ValueError(f"precession_sign must be +1 or -1, got {sign!r}")
        new = self._copy()
        new._sign = int(sign)
        new._freeze()
        return new

    # ------------------------------------------------------------------ evaluation
    def _check_m(self, m) -> np.ndarray:
        m = _finite("spin configuration m", m)
        if m.ndim < 2 or m.shape[-2:] != (self._n, 3):
            raise ValueError(f"m must have shape (..., {self._n}, 3), got {m.shape}")
        return m

    def field(self, m) -> np.ndarray:
        """H_a = sum_b L_ab m_b + h_a for m of shape (..., M, 3) (energy units); returns the
        same shape. Pinned spins are taken as given in m (the integrators set them)."""
        m = self._check_m(m)
        flat = m.reshape(m.shape[:-2] + (3 * self._n,))
        return (flat @ self.coupling.T).reshape(m.shape) + self._bias

    def energy(self, m) -> np.ndarray:
        """E(m) = -(1/2) m^T L m - h . m, the sum of the energy terms, for m of shape (..., M, 3);
        returns shape (...). Raises ValueError for a model with non-conservative fields."""
        if not self.is_conservative:
            L = self.coupling
            raise ValueError("the model has non-conservative (nonreciprocal) linear fields: "
                             f"max |L - L^T| = {_symmetry_error(L):.3g}, so no energy E(m) with "
                             "H = -dE/dm exists")
        m = self._check_m(m)
        flat = m.reshape(m.shape[:-2] + (3 * self._n,))
        L = 0.5 * (self.coupling + self.coupling.T)
        return -0.5 * np.einsum("...i,ij,...j->...", flat, L, flat) - np.einsum(
            "...ai,ai->...", m, self._bias)

    def with_pins_applied(self, m) -> np.ndarray:
        """A copy of m (..., M, 3) with the pinned spins set to their directions."""
        m = np.array(self._check_m(m), dtype=float)
        m[..., self._pinned, :] = self._pin_dir[self._pinned]
        return m

    def reduced(self, noise=None) -> dict:
        """The equations of the free spins F: L_FF, the effective bias h_F + L_FP m_P,
        alpha_FF and (if given, a 3M x 3M covariance) Q_FF; index arrays of the free components."""
        idx = np.concatenate([np.arange(3 * a, 3 * a + 3) for a in self.free])
        pin = np.concatenate([np.arange(3 * a, 3 * a + 3) for a in np.flatnonzero(self._pinned)]
                             ) if self._pinned.any() else np.zeros(0, dtype=int)
        L = self.coupling
        h = self._bias.reshape(-1)[idx].copy()
        if pin.size:
            h += L[np.ix_(idx, pin)] @ self._pin_dir[self._pinned].reshape(-1)
        out = {"index": idx, "L": L[np.ix_(idx, idx)].copy(), "h": h,
               "alpha": self._damping[np.ix_(idx, idx)].copy()}
        if noise is not None:
            out["Q"] = np.asarray(noise)[np.ix_(idx, idx)].copy()
        return out

    def thermal_noise(self, kT: float) -> np.ndarray:
        """Q = 2 k_B T alpha (3M x 3M)."""
        return thermal_noise(self._damping, kT)
