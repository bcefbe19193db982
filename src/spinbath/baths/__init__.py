"""Baths: phonon modes with spin-phonon couplings, normalized lineshapes."""
