"""Classical and mean-field spin dynamics.

Modules (import them directly; nothing heavy is imported here):
    mean_field_chain    product-state (mean-field) dynamics of the open spin-1/2 chain: the
                        generalized Landau-Lifshitz equation, steady states, hysteresis loops
    stoner_wohlfarth    the Stoner-Wohlfarth particle: energy, branch-following minimization,
                        switching field and astroid, hysteresis loops; the `HysteresisLoop` container
"""
