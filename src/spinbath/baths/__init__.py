"""Baths: phonon modes with spin-phonon couplings, broadened and Debye spectral channels, normalized
lineshapes, model baths and the phonopy route, and the electronic leads of a junction.

    phonons        PhononBath: discrete modes (cm^-1) and couplings dH/dQ (cm^-1 per unit Q)
    spectral       SpectralBath: broadened modes (DampedOscillator), Debye branches, quadratic couplings
    lineshapes     normalized Gaussian / Lorentzian lines, truncation, line-averaged denominators
    cf_couplings   couplings from crystal-field derivatives dB_k^q/dQ
    model_baths    seeded model baths (the DyCp model)
    phonopy_route  phonopy Gamma modes + crystal fields at displaced geometries -> PhononBath
    phonopy_qmesh  phonopy modes (q, j) on a q-mesh, Bloch-phased supercell derivatives -> PhononBath
    model_crystal  a small test crystal (bond springs, point-charge crystal field) for the q-mesh route
    leads          semi-infinite chain self-energy, Fermi functions (meV)
"""

from .cf_couplings import couplings_from_cf_derivatives
from .leads import chain_self_energy, fermi
from .lineshapes import Lineshape, gaussian, lineshape, lorentzian
from .model_baths import MODEL_BATHS, dycp_model_bath
from .phonons import PhononBath
from .phonopy_qmesh import bath_from_phonopy_mesh
from .phonopy_route import CFDisplacements, bath_from_phonopy, cartesian_displacements
from .spectral import DampedOscillator, Debye, SpectralBath, bath_from_spec

__all__ = [
    "PhononBath", "SpectralBath", "DampedOscillator", "Debye", "bath_from_spec",
    "Lineshape", "lineshape", "gaussian", "lorentzian", "couplings_from_cf_derivatives",
    "dycp_model_bath", "MODEL_BATHS", "bath_from_phonopy", "bath_from_phonopy_mesh", "CFDisplacements",
    "cartesian_displacements",
    "chain_self_energy", "fermi",
]
