"""The Kerker-condition study behind ``kerker demo``: optimise, analyse the best design, record."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kerker._artifacts import provenance, write_json_atomic
from kerker.design._exact import DirectionalResult, optimize_directional
from kerker.design._particle import ParticleSpectra, particle_spectra
from kerker.materials import material

__all__ = ["DirectionalStudy", "run_directional_study"]

# Spectra of the best design: 400-800 nm in 2-nm steps.
_SPECTRUM_GRID = (400.0, 800.0, 201)


@dataclass(frozen=True)
class DirectionalStudy:
    """Outcome of :func:`run_directional_study`; sizes in nm.

    Attributes
    ----------
    config : dict
        The study's arguments (materials, wavelength, weight, starts, steps, seed).
    optimum : DirectionalResult
        Every start of the multi-start descent, best first.
    spectra : ParticleSpectra
        Spectra of the best design over 400-800 nm (201 wavelengths) and its radiation
        pattern at the design wavelength.
    n_distinct : int
        Number of distinct final designs, ``(r_core, t_shell)`` rounded to 1 nm.
    record : Path or None
        The ``demo.json`` written, if an output folder was given.
    """

    config: dict
    optimum: DirectionalResult
    spectra: ParticleSpectra
    n_distinct: int
    record: Path | None

    @property
    def r_core(self) -> float:
        """Core radius of the best design (nm)."""
        return float(self.optimum.r_core[0])

    @property
    def t_shell(self) -> float:
        """Shell thickness of the best design (nm)."""
        return float(self.optimum.t_shell[0])


def run_directional_study(
    core: str = "Si",
    shell: str = "SiO2",
    wavelength: float = 705.0,
    *,
    weight: float = 1.0,
    n_starts: int = 64,
    steps: int = 150,
    seed: int = 0,
    out: str | Path | None = None,
) -> DirectionalStudy:
    """Find the particle that best meets the first Kerker condition and record it.

    Runs :func:`optimize_directional` (``-Q_fwd + weight Q_back`` at ``wavelength``,
    core radius and shell thickness in 1-100 nm, seeded multi-start Adam on exact Mie
    theory), then computes the best design's spectra over 400-800 nm and its radiation
    pattern at ``wavelength``. With ``out``, writes ``out/demo.json``: provenance (the
    config, seed, versions, materials), the best design, every start and the spectra.

    Parameters
    ----------
    core, shell : str
        Material names (``kerker.materials.available()``); the paper's pair by default.
    wavelength : float
        Design wavelength in nm (705, as in the paper).
    weight : float
        Backscattering weight ``w`` of the loss.
    n_starts, steps, seed : int
        Number of random starts, Adam steps per start, and the seed of the starts.
    out : str or Path, optional
        Folder for ``demo.json`` (created if missing).

    Returns
    -------
    DirectionalStudy

    Raises
    ------
    ValueError
        Unknown material, and the errors of :func:`optimize_directional`.
    """
    config = {
        "core": core,
        "shell": shell,
        "wavelength": wavelength,
        "weight": weight,
        "n_starts": n_starts,
        "steps": steps,
        "seed": seed,
    }
    res = optimize_directional(core, shell, wavelength, weight=weight, n_starts=n_starts, steps=steps, seed=seed)
    r_core, t_shell = float(res.r_core[0]), float(res.t_shell[0])
    distinct = np.unique(np.round(np.stack([res.r_core, res.t_shell], 1), 0), axis=0)
    spectra = particle_spectra(
        core, shell, r_core, t_shell, np.linspace(*_SPECTRUM_GRID), pattern_wavelength=wavelength
    )
    record = None
    if out is not None:
        materials = [material(name).describe() for name in dict.fromkeys((core, shell))]
        payload = {
            "provenance": provenance(config, seed=seed, materials=materials),
            "best": {
                "core": core,
                "shell": shell,
                "r_core_nm": r_core,
                "t_shell_nm": t_shell,
                "q_fwd": float(res.q_fwd[0]),
                "q_back": float(res.q_back[0]),
                "loss": float(res.loss[0]),
            },
            "all_starts": {"r_core_nm": res.r_core, "t_shell_nm": res.t_shell, "loss": res.loss},
            "spectra": spectra.to_dict(),
        }
        record = write_json_atomic(Path(out) / "demo.json", payload)
    return DirectionalStudy(config, res, spectra, len(distinct), record)
