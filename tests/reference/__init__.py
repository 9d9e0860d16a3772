"""Independent reference computations shared by the tests and the benchmarks.

Nothing here is kerker's own physics: each module is either a high-precision
re-derivation in mpmath or an adapter to another code, so the tests compare kerker with
something it could disagree with.

Mie (core-shell spheres):

* ``mie_mpmath``: Bohren & Huffman's closed forms evaluated at 50 digits.
* ``mie_codes``: treams, scattnlay, pymiecs and miepython run in kerker's conventions.
* ``mie_hard_cases``: the configurations where naive float64 formulas fail.
* ``mie_particles``: seeded random core-shell configurations and the deviation metrics.

Lattice sums:

* ``lattice_mpmath``: mpmath references at the unreduced ``tau`` (q-series, row sums,
  Chowla-Selberg with Bessel K, the eta product), see ``docs/lattice-math.md``.
* ``make_lattice_values``: regenerates ``tests/lattice/reference_values.json`` by hand.

Import as ``from tests.reference import mie_codes``: pytest puts the repository root on
``sys.path`` (``tests`` is a package); scripts under ``benchmarks/`` insert it once.
"""
