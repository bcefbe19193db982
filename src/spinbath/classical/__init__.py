"""Classical and mean-field spin dynamics.

Modules (import them directly; nothing heavy is imported here):
    mean_field_chain    product-state (mean-field) dynamics of the open spin-1/2 chain: the
                        generalized Landau-Lifshitz equation, steady states, hysteresis loops
    stoner_wohlfarth    the Stoner-Wohlfarth particle: energy, branch-following minimization,
                        switching field and astroid, hysteresis loops; the `HysteresisLoop` container
    spin_model          `ClassicalSpinModel`: M unit vectors, linear fields H = L m + h (Zeeman,
                        anisotropy, exchange/DM/anisotropic exchange, non-conservative W), damping
                        matrix alpha, pinned spins
    llg                 generalized stochastic LLG with nonlocal damping: `simulate` (Heun, Midpoint),
                        the implicit Gilbert operator, the noise-induced drift (derivation inside)
    llg_kernels         compiled kernels of llg (straight-line code generated per system size)
    rng                 per-trajectory Gaussian streams (xoshiro256++), identical in every backend
    fokker_planck       Boltzmann averages (quadrature, Metropolis), effective temperature,
                        Neel-Brown relaxation times
"""
