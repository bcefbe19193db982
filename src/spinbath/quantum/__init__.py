"""Open-system methods: Liouville space, spin-phonon rate superoperators (orders 2 and 4), observables."""
