"""Spin-density response of the junction electrons: static kernel, its slope and the noise.

Conventions (hbar = 1, energies meV). s_a = sum_{ss'} c_{as}^+ sigma_{ss'} c_{as'} is the electron
spin density on site a (Pauli matrices, no 1/2). For a perturbation H' = -sum_b h_b . s_b the
retarded response is d<s_a^i>(w) = chi_ab^ij(w) h_b^j(w), with the bubble (A = sigma^i_a, B = sigma^j_b)

    chi_AB(w) = i int dE/2pi Tr[A G^R(E+w) B G^<(E) + A G^<(E+w) B G^A(E)]          (meV^-1)

where the inner frequency integral of the Keldysh bubble has been done analytically (it is what
turns 1/(E'' - E' + i0) into retarded functions). Three quantities follow:

    static kernel   chi_AB(0)                                     meV^-1
    slope           chi'_AB = -i d chi_AB / dw |_0 = int tau chi_AB(tau) dtau      meV^-2 (hbar = 1)
    noise           C_AB = 1/2 int dtau <{ds_A(tau), ds_B(0)}>
                         = 1/2 int dE/2pi sum_{cd} [(1 - f_c) f_d + f_c (1 - f_d)] Tr[A X_c B X_d]
                    with X_c = G^R Gamma_c G^A (lead c in L, R)               meV^-1 (hbar = 1)

In equilibrium C = 2 k_B T chi'_sym (fluctuation-dissipation, classical limit w -> 0).

How the energy integrals stay exact at T = 0 and keep bound states
------------------------------------------------------------------
G^< is split as -fbar (G^R - G^A) + i (f_L - f_R)/2 (X_L - X_R), fbar = (f_L + f_R)/2, which is
G^R Sigma^< G^A inside the band and also keeps the bound states (real poles of G^R outside the
band) in the equilibrium part. For one chemical potential mu the equilibrium parts are

    chi_eq(mu)  = (1/pi) int f Im Y dE,                  Y = Tr[A G^R B G^R]
    chi'_eq(mu) = -(1/2pi) int f (Z - conj Zt) dE + (1/2pi) int (-f') W dE
                  Z = Tr[A G^R' B G^R], Zt = Tr[A G^R B G^R'], W = Tr[A (G^R - G^A) B G^A]

(' = d/dE). The f-weighted parts are analytic in the upper half plane and decay at least as
1/z^2, so int_{-inf}^{mu} F dE = -i int_0^inf F(mu + iy) dy: a contour that passes far from the
poles. At T > 0 the difference f - theta(mu - E) is integrated on the real axis around mu. The
Fermi-surface term -f' is delta(E - mu) at T = 0 and is evaluated there exactly. The bias part

    chi_neq  = -(1/2pi) int (f_L - f_R) Re Tr[A G^R B X] dE,      X = X_L - X_R
    chi'_neq = (i/2pi) int (f_L - f_R)/2 (Tr[A G^R' B X] - Tr[A X B G^A']) dE

(the second after an integration by parts that removes f_L', f_R') lives in the bias window. All
real-axis integrals run on [mu_lo - w, mu_lo] + [mu_lo, mu_hi] + [mu_hi, mu_hi + w] (w = 40 k_B T),
mapped per point onto u in [0, 3] with breakpoints at u = 1, 2 (i.e. at mu_L and mu_R), and use
adaptive Gauss-Kronrod (:func:`scipy.integrate.quad_vec`) vectorized over all bias points.
At V = 0 the bias parts vanish identically, so the DM part of a symmetric junction is exactly 0.

Spin traces in the frame t_hat = z (spin along t_hat is conserved) reduce to site elements
p_s = P_s[a, b], q_s = Q_s[b, a] of the spin blocks (s = up, down):

    Tr[sigma^x_a P sigma^x_b Q] = p_dn q_up + p_up q_dn                 (isotropic part)
    Tr[sigma^z_a P sigma^z_b Q] = p_up q_up + p_dn q_dn                 (isotropic + t_hat t_hat)
    Tr[sigma^x_a P sigma^y_b Q] = i (p_dn q_up - p_up q_dn) = -Tr[sigma^y ... sigma^x ...]   (DM)

so every 3 x 3 tensor is iso delta_ij + an t_hat_i t_hat_j + dm eps_ijk t_hat_k.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import quad_vec

from spinbath.baths.leads import fermi, minus_fermi_derivative
from spinbath.junction.greens import block_retarded, block_retarded_derivative
from spinbath.junction.model import JunctionModel, chemical_potentials
from spinbath.units import KB_MEV

__all__ = ["SpinKernels", "spin_kernels", "bubble", "COMPONENTS"]

#: Tensor components of every kernel, in this order.
COMPONENTS = ("iso", "an", "dm")
#: Width of the thermal windows, in units of k_B T (f(40) ~ 4e-18).
_THERMAL_WIDTH = 40.0
_SPIN_SIGN = np.array([1.0, -1.0])


@dataclass(frozen=True)
class SpinKernels:
    """Kernels per bias point, arrays of shape (n, 2, 2, 3): [point, site a, site b, component].

    Components (iso, an, dm) of the tensors iso delta + an t_hat t_hat + dm eps.t_hat.
    static: chi_ab(0), meV^-1; slope: chi'_ab, meV^-2 (hbar = 1); noise: C_ab, meV^-1 (hbar = 1);
    spin: <s_a . t_hat>, shape (n, 2), dimensionless (Pauli normalization).
    slope_imag, noise_imag: the largest imaginary residue (should be round-off; kept for checks).
    """

    V: np.ndarray
    mu_F: np.ndarray
    T: float
    static: np.ndarray
    slope: np.ndarray
    noise: np.ndarray
    spin: np.ndarray
    slope_imag: float
    noise_imag: float


def bubble(P: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """Tr[sigma^i_a P sigma^j_b Q] for spin-diagonal P, Q of shape (..., 2 spins, 2, 2).

    Returns shape (..., 2, 2, 3) [a, b, (xx, zz, xy)] in the frame t_hat = z.
    """
    # Contiguous copies and the same operand order in both products of the DM term: numpy's
    # complex multiply may take SIMD/FMA paths that depend on the memory layout and are not
    # commutative bit for bit, and a symmetric junction must give exactly 0 at V = 0.
    p_up, p_dn = (np.ascontiguousarray(P[..., s, :, :]) for s in (0, 1))
    q_up, q_dn = (np.ascontiguousarray(np.swapaxes(Q[..., s, :, :], -1, -2)) for s in (0, 1))
    return np.stack(
        [p_dn * q_up + p_up * q_dn, p_up * q_up + p_dn * q_dn, 1j * (p_dn * q_up - q_dn * p_up)],
        axis=-1,
    )


def _to_components(raw: np.ndarray) -> np.ndarray:
    """(xx, zz, xy) -> (iso, an, dm)."""
    out = raw.copy()
    out[..., 1] = raw[..., 1] - raw[..., 0]
    return out


def _adjoint(G: np.ndarray) -> np.ndarray:
    return np.conj(np.swapaxes(G, -1, -2))


def _spin_trace(G: np.ndarray) -> np.ndarray:
    """sum_s s G_s[a, a], shape (..., 2)."""
    diag = np.diagonal(G, axis1=-2, axis2=-1)  # (..., 2 spins, 2 sites)
    return np.einsum("s,...sa->...a", _SPIN_SIGN, diag)


def _real_view(x: np.ndarray) -> np.ndarray:
    return np.concatenate([x.real.ravel(), x.imag.ravel()])


def _from_real_view(v: np.ndarray, shape) -> np.ndarray:
    n = int(np.prod(shape))
    return (v[:n] + 1j * v[n:]).reshape(shape)


def _integrate(fun, a, b, *, epsrel, epsabs, points=None):
    value, _err = quad_vec(fun, a, b, epsrel=epsrel, epsabs=epsabs, norm="max", points=points,
                           limit=20000)
    return value


def _contour_parts(mus: np.ndarray, model: JunctionModel, epsrel: float):
    """T = 0 equilibrium parts for each chemical potential in ``mus`` (meV), via mu + iy."""
    n = mus.size

    def at(y):
        z = mus + 1j * y
        G = block_retarded(z, model)
        Gp = block_retarded_derivative(z, model, G)
        return G, Gp

    def static(y):
        G, _ = at(y)
        return bubble(G, G).real.ravel()

    def slope(y):
        G, Gp = at(y)
        return _real_view(bubble(Gp, G) + np.conj(bubble(G, Gp)))

    def spin(y):
        G, _ = at(y)
        return _spin_trace(G).real.ravel()

    shape = (n, 2, 2, 3)
    # chi_eq = (1/pi) Im[-i int Y dy] = -(1/pi) Re int Y dy
    chi = -_integrate(static, 0.0, np.inf, epsrel=epsrel, epsabs=1e-14).reshape(shape) / np.pi
    # -(1/2pi) int f (Z - conj Zt) dE with int_{-inf}^{mu} F = -i int F(mu + iy) dy, and
    # int_{-inf}^{mu} conj(Zt) = conj(-i int Zt dy)  ->  (i/2pi) int (Z + conj Zt) dy
    s = _from_real_view(_integrate(slope, 0.0, np.inf, epsrel=epsrel, epsabs=1e-14), shape)
    dchi = 1j * s / (2 * np.pi)
    # <s.t_hat>_eq = -(1/pi) Im int f tr_s G dE = (1/pi) Re int tr_s G(mu + iy) dy
    sp = _integrate(spin, 0.0, np.inf, epsrel=epsrel, epsabs=1e-14).reshape(n, 2) / np.pi
    return chi, dchi, sp


def _fermi_surface_term(mu: np.ndarray, model: JunctionModel) -> np.ndarray:
    """(1/2pi) W(mu), W = Tr[A (G^R - G^A) B G^A]: the T = 0 limit of (1/2pi) int (-f') W."""
    GR = block_retarded(mu.astype(complex), model)
    GA = _adjoint(GR)
    return bubble(GR - GA, GA) / (2 * np.pi)


def spin_kernels(model: JunctionModel | None, V, mu_F, T: float = 0.0, *,
                 epsrel: float = 1e-9) -> SpinKernels:
    """Static kernel, slope, noise and spin density at each (V, mu_F) point (broadcast together).

    V in mV, mu_F in meV, T in K (0 allowed); ``model`` the junction (default parameters if None).
    Returns :class:`SpinKernels` with per-point arrays; see the module docstring for the formulas.
    """
    model = model or JunctionModel()
    V, mu_F = np.broadcast_arrays(np.atleast_1d(np.asarray(V, float)),
                                  np.atleast_1d(np.asarray(mu_F, float)))
    V, mu_F = V.ravel().copy(), mu_F.ravel().copy()
    if T < 0 or not np.isfinite(T):
        raise ValueError(f"temperature must be a finite number >= 0 K (got {T})")
    if not (np.all(np.isfinite(V)) and np.all(np.isfinite(mu_F))):
        raise ValueError("bias V and Fermi energy mu_F must be finite")
    n = V.size
    shape = (n, 2, 2, 3)
    mu_L, mu_R = chemical_potentials(V, mu_F)

    # Equilibrium contour parts, once per distinct chemical potential.
    mus, inverse = np.unique(np.concatenate([mu_L, mu_R]), return_inverse=True)
    chi_c, dchi_c, sp_c = _contour_parts(mus, model, epsrel)
    iL, iR = inverse[:n], inverse[n:]
    static = 0.5 * (chi_c[iL] + chi_c[iR])
    slope = 0.5 * (dchi_c[iL] + dchi_c[iR])
    spin = 0.5 * (sp_c[iL] + sp_c[iR])
    if T == 0:
        fs = _fermi_surface_term(mus, model)
        slope = slope + 0.5 * (fs[iL] + fs[iR])

    # Real-axis parts: bias window plus thermal tails, u in [0, 3] -> E per point.
    kT = KB_MEV * T
    w = _THERMAL_WIDTH * kT
    lo, hi = np.minimum(mu_L, mu_R), np.maximum(mu_L, mu_R)
    width = hi - lo

    def energy(u):
        if u <= 1.0:
            return lo - w + w * u, np.full(n, w)
        if u <= 2.0:
            return lo + width * (u - 1.0), width
        return hi + w * (u - 2.0), np.full(n, w)

    def real_axis(u, part: str):
        """Integrand of one part ("static", "slope", "spin" or "noise") at u; each quad_vec call
        asks for its own part only, so no bubble is computed for a part that is thrown away."""
        E, jac = energy(u)
        GR = block_retarded(E, model)
        sig_L, sig_R = model.self_energies(E)
        gam_L, gam_R = -2.0 * sig_L.imag, -2.0 * sig_R.imag
        col_L, col_R = GR[..., :, 0], GR[..., :, 1]  # (n, spin, site)
        X_L = gam_L[:, None, None, None] * col_L[..., :, None] * np.conj(col_L[..., None, :])
        X_R = gam_R[:, None, None, None] * col_R[..., :, None] * np.conj(col_R[..., None, :])
        f_L, f_R = fermi(E, mu_L, T), fermi(E, mu_R, T)
        j4 = jac[:, None, None, None]
        if part == "noise":
            F_LL = 2 * f_L * (1 - f_L)
            F_RR = 2 * f_R * (1 - f_R)
            F_LR = (1 - f_L) * f_R + f_L * (1 - f_R)
            wgt = lambda F: F[:, None, None, None]  # noqa: E731
            return (0.5 / (2 * np.pi)) * (
                wgt(F_LL) * bubble(X_L, X_L) + wgt(F_RR) * bubble(X_R, X_R)
                + wgt(F_LR) * (bubble(X_L, X_R) + bubble(X_R, X_L))
            ) * j4
        X = X_L - X_R
        df = (f_L - f_R)[:, None, None, None]
        if part == "spin":
            b = (0.5 * (f_L - f_R) / (2 * np.pi))[:, None] * _spin_trace(X).real
            if T > 0:
                tr = _spin_trace(GR)
                for mu in (mu_L, mu_R):
                    c = 0.5 * (fermi(E, mu, T) - np.heaviside(mu - E, 0.5))
                    b = b - c[:, None] * tr.imag / np.pi
            return b * jac[:, None]
        if part == "static":
            b = -(df / (2 * np.pi)) * bubble(GR, X).real
            if T > 0:
                Y = bubble(GR, GR)
                for mu in (mu_L, mu_R):
                    cc = 0.5 * (fermi(E, mu, T) - np.heaviside(mu - E, 0.5))[:, None, None, None]
                    b = b + cc * Y.imag / np.pi
            return b * j4
        GA = _adjoint(GR)
        GRp = block_retarded_derivative(E, model, GR)
        GAp = _adjoint(GRp)
        b = (1j / (2 * np.pi)) * 0.5 * df * (bubble(GRp, X) - bubble(X, GAp))
        if T > 0:
            Z, Zt = bubble(GRp, GR), bubble(GR, GRp)
            W = bubble(GR - GA, GA)
            for mu in (mu_L, mu_R):
                cc = 0.5 * (fermi(E, mu, T) - np.heaviside(mu - E, 0.5))[:, None, None, None]
                mfp = 0.5 * minus_fermi_derivative(E, mu, T)[:, None, None, None]
                b = b - cc * (Z - np.conj(Zt)) / (2 * np.pi) + mfp * W / (2 * np.pi)
        return b * j4

    if np.any(width > 0) or T > 0:
        def integral(part, view=lambda x: x.ravel()):
            return _integrate(lambda u: view(real_axis(u, part)), 0.0, 3.0, epsrel=epsrel,
                              epsabs=1e-14, points=[1.0, 2.0])

        static = static + integral("static").reshape(shape)
        slope = slope + _from_real_view(integral("slope", _real_view), shape)
        spin = spin + integral("spin").reshape(n, 2)
        noise = _from_real_view(integral("noise", _real_view), shape)
    else:
        noise = np.zeros(shape, dtype=complex)

    return SpinKernels(
        V=V, mu_F=mu_F, T=float(T),
        static=_to_components(static),
        slope=_to_components(slope.real),
        noise=_to_components(noise.real),
        spin=spin,
        slope_imag=float(np.max(np.abs(slope.imag), initial=0.0)),
        noise_imag=float(np.max(np.abs(noise.imag), initial=0.0)),
    )
