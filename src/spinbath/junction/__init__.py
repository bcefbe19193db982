"""Voltage-controlled two-spin junction: Keldysh Green's functions and the spin couplings.

- :mod:`~spinbath.junction.model`: the device, leads and bias (meV, mV).
- :mod:`~spinbath.junction.greens`: G^R, G^A, G^<, G^> of the device.
- :mod:`~spinbath.junction.kernels`: static spin kernel, its frequency slope and the noise.
- :mod:`~spinbath.junction.couplings`: J, D, A, K, damping and noise per Delta^2 (:func:`couplings`).
- :mod:`~spinbath.junction.llg`: the parameter set of the dimer's stochastic LLG.

Conventions against Leiva, Diaz and Nunez, Phys. Rev. B 107, 094401 (2023),
doi:10.1103/PhysRevB.107.094401 (table on the Conventions page, docs/conventions.md):

    spinbath H_sd = +Delta sum_a S_a . sigma_a (Pauli), the paper -Delta sum_a s_a . S_a with s = tau/2:
    the same physics for Delta_spinbath = -Delta_paper / 2, so every coupling per Delta^2 is 4 times
    the paper's in size. With spinbath's energy J S1.S2 (J > 0 antiferromagnetic) + D t.(S1 x S2) +
    A (t.S1)(t.S2) + K (t.S)^2 and the paper's -Delta^2 [J m.m1 + D t.(m x m1) + A (m.t)(m1.t) + K (m.t)^2 / 2]:

        J_spinbath = -4 J_paper,  D_spinbath = -4 D_paper,  A_spinbath = -4 A_paper,
        K_spinbath = -2 K_paper,  alpha_spinbath = 4 alpha_paper,  j_spinbath = 4 j_paper,
        T_eff the same (j / (2 alpha k_B); the paper writes j / (2 S^2 hbar alpha k_B) for its
        noise on the unit vector).
"""

from spinbath.junction.couplings import couplings, couplings_from_kernels
from spinbath.junction.greens import greens_functions
from spinbath.junction.kernels import SpinKernels, spin_kernels
from spinbath.junction.llg import DimerLLGParameters, llg_parameters
from spinbath.junction.model import JunctionModel

__all__ = [
    "couplings", "couplings_from_kernels", "greens_functions", "SpinKernels", "spin_kernels",
    "DimerLLGParameters", "llg_parameters", "JunctionModel",
]
