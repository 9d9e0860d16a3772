"""The hard cases of issue 2, shared by ``tests/mie/test_references.py`` and
``benchmarks/mie_accuracy.py``.

Where naive float64 Mie formulas fail (Bohren & Huffman's direct Bessel products) or
logarithmic-derivative recurrences are singular, checked against ``mie_mpmath``.
"""

from __future__ import annotations

import math

#: Real materials (kerker.material), radii in nm: (id, core, shell, r_core, t_shell).
HARD_CASES = [
    # 1-nm Au/Ag shells
    ("SiO2-100/Ag-1", "SiO2", "Ag", 100.0, 1.0),
    ("Si-100/Au-1", "Si", "Au", 100.0, 1.0),
    ("TiO2-50/Ag-1", "TiO2", "Ag", 50.0, 1.0),
    ("Ag-1/Au-1", "Ag", "Au", 1.0, 1.0),
    # 100-nm Si cores
    ("Si-100/SiO2-100", "Si", "SiO2", 100.0, 100.0),
    ("Si-100/Si3N4-1", "Si", "Si3N4", 100.0, 1.0),
    ("Si-100/Si-100", "Si", "Si", 100.0, 100.0),
    ("Si-100/Au-100", "Si", "Au", 100.0, 100.0),
    # metal cores under dielectric shells
    ("Ag-100/TiO2-100", "Ag", "TiO2", 100.0, 100.0),
    ("Au-100/SiO2-100", "Au", "SiO2", 100.0, 100.0),
    ("Ag-5/Si-100", "Ag", "Si", 5.0, 100.0),
    # absorbing metals throughout
    ("Au-100/Ag-100", "Au", "Ag", 100.0, 100.0),
    ("Ag-100/Ag-100", "Ag", "Ag", 100.0, 100.0),
]

#: First positive root of tan z = z, where psi_1(z) = sin z / z - cos z vanishes.
PSI1_ZERO = 4.493409457909064

#: Lossless layers whose m x is a zero of a Riccati-Bessel function psi_n (sin for n = 0),
#: where logarithmic derivatives psi_n'/psi_n are singular and scattnlay loses its digits:
#: (id, m_core, m_shell, x_core, x_shell) with relative indices and size parameters.
SIN_ZERO_CASES = [
    ("shell m*x_shell=3pi", 1.5, 3 * math.pi / 1.7, 0.9, 1.7),
    ("core m*x_core=pi", math.pi / 0.9, 1.45, 0.9, 1.7),
    ("shell m*x_core=2pi", 1.5, 2 * math.pi / 0.9, 0.9, 1.7),
    ("all three at once", math.pi / 0.9, 2 * math.pi / 0.9, 0.9, 1.35),
    ("homogeneous m*x=pi", math.pi / 1.2, math.pi / 1.2, 0.6, 1.2),
    ("homogeneous m*x=2pi", 2 * math.pi / 1.6, 2 * math.pi / 1.6, 1.6, 1.6),
    ("shell m*x_shell=psi_1 zero", 1.5, PSI1_ZERO / 1.7, 0.9, 1.7),
    ("Ag-like core, shell m*x_shell=3pi", 0.05 + 2.1j, 3 * math.pi / 1.7, 0.9, 1.7),
    ("Au-like shell, core m*x_core=pi", math.pi / 0.9, 1.47 + 1.95j, 0.9, 1.0),
]
