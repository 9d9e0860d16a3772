"""Figures of report/: written through the artifact writer, drawn from data computed elsewhere."""

import numpy as np

from kerker.design import particle_spectra
from kerker.report import plot_particle

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_plot_particle_writes_spectrum_and_pattern(tmp_path):
    spectra = particle_spectra("Si", "SiO2", 60.0, 20.0, np.linspace(500.0, 800.0, 11), pattern_wavelength=650.0)
    files = plot_particle(spectra, tmp_path / "out", title="Si / SiO2")
    assert files == {"spectrum": tmp_path / "out" / "spectrum.png", "pattern": tmp_path / "out" / "pattern.png"}
    for path in files.values():
        assert path.read_bytes()[:8] == PNG_MAGIC
    no_pattern = particle_spectra("Si", "SiO2", 60.0, 20.0, np.linspace(500.0, 800.0, 11))
    assert list(plot_particle(no_pattern, tmp_path / "two")) == ["spectrum"]
