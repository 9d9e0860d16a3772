"""Seeded random core-shell configurations shared by the reference tests and the benchmarks.

The sampling follows the paper's dataset (shared/seeds/000_*.txt, "Dataset"): the seven
materials, core radius and shell thickness uniform in 1-100 nm, 64 equally spaced vacuum
wavelengths 400-800 nm, vacuum environment.  Material pairs cycle through all 49
combinations (in a seeded random order), so any 49 consecutive configurations cover every
pair once.  Refractive indices come from ``kerker.material`` (TiO2 with the paper's
``"hold"`` extrapolation below 430 nm), so reference codes and the solver under test see
the same optical constants and only the Mie physics is compared.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The paper's seven materials, in the paper's order.
MATERIALS = ("Au", "Ag", "Si", "SiO2", "Si3N4", "ZrO2", "TiO2")

#: The paper's wavelength grid, nm.
WAVELENGTH = np.linspace(400.0, 800.0, 64)

#: Seed used by the tests, the accuracy script and the throughput benchmark.
SEED = 20261121


def material(name: str):
    """``kerker.material(name)``; TiO2 (Devore, 430-1530 nm) holds n below 430 nm as the paper did."""
    import kerker

    mat = kerker.material(name)
    if name == "TiO2":
        mat = mat.with_extrapolation("hold")
    return mat


@dataclass(frozen=True)
class Configurations:
    """A batch of P core-shell particles over W wavelengths.

    Attributes
    ----------
    core, shell : tuple of str, length P
        Material names.
    r_core, t_shell : ndarray, shape (P,)
        Core radius and shell thickness, nm.
    wavelength : ndarray, shape (W,)
        Vacuum wavelengths, nm.
    n_core, n_shell : ndarray of complex128, shape (P, W)
        Absolute refractive indices from ``kerker.material(...).refractive_index``.
    eps_core, eps_shell : ndarray of complex128, shape (P, W)
        Relative permittivities from ``kerker.material(...).permittivity``.
    """

    core: tuple
    shell: tuple
    r_core: np.ndarray
    t_shell: np.ndarray
    wavelength: np.ndarray
    n_core: np.ndarray
    n_shell: np.ndarray
    eps_core: np.ndarray
    eps_shell: np.ndarray

    @property
    def r_outer(self) -> np.ndarray:
        return self.r_core + self.t_shell

    def __len__(self) -> int:
        return len(self.r_core)

    def subset(self, index) -> "Configurations":
        """The configurations selected by an index array or slice."""
        idx = np.arange(len(self))[index]
        return Configurations(
            core=tuple(self.core[i] for i in idx),
            shell=tuple(self.shell[i] for i in idx),
            r_core=self.r_core[idx],
            t_shell=self.t_shell[idx],
            wavelength=self.wavelength,
            n_core=self.n_core[idx],
            n_shell=self.n_shell[idx],
            eps_core=self.eps_core[idx],
            eps_shell=self.eps_shell[idx],
        )


def random_configurations(n: int, seed: int = SEED, wavelength: np.ndarray = WAVELENGTH) -> Configurations:
    """``n`` seeded random configurations (see module docstring)."""
    rng = np.random.default_rng(seed)
    pairs = np.resize(rng.permutation(len(MATERIALS) ** 2), n)
    core = tuple(MATERIALS[p // len(MATERIALS)] for p in pairs)
    shell = tuple(MATERIALS[p % len(MATERIALS)] for p in pairs)
    r_core = rng.uniform(1.0, 100.0, n)
    t_shell = rng.uniform(1.0, 100.0, n)
    wavelength = np.asarray(wavelength, dtype=float)
    n_tab = {m: np.asarray(material(m).refractive_index(wavelength), dtype=complex) for m in MATERIALS}
    e_tab = {m: np.asarray(material(m).permittivity(wavelength), dtype=complex) for m in MATERIALS}
    return Configurations(
        core=core,
        shell=shell,
        r_core=r_core,
        t_shell=t_shell,
        wavelength=wavelength,
        n_core=np.stack([n_tab[c] for c in core]),
        n_shell=np.stack([n_tab[s] for s in shell]),
        eps_core=np.stack([e_tab[c] for c in core]),
        eps_shell=np.stack([e_tab[s] for s in shell]),
    )


def spectrum_deviation(q, q_ref) -> np.ndarray:
    """Max over wavelengths of ``|q - q_ref|`` divided by the reference spectrum's max ``|q_ref|``.

    Parameters
    ----------
    q, q_ref : array_like, shape (P, W)

    Returns
    -------
    ndarray, shape (P,)
    """
    q, q_ref = np.asarray(q, float), np.asarray(q_ref, float)
    scale = np.max(np.abs(q_ref), axis=-1)
    return np.max(np.abs(q - q_ref), axis=-1) / scale


KEYS = ("q_ext", "q_sca", "q_abs", "q_fwd", "q_back")


def lossless(n_core, n_shell) -> np.ndarray:
    """True for particles whose core and shell indices are real at every wavelength, shape (P,)."""
    return np.all(np.asarray(n_core).imag == 0, axis=-1) & np.all(np.asarray(n_shell).imag == 0, axis=-1)


def deviations(res: dict, ref: dict, is_lossless=None) -> dict:
    """Per-configuration spectrum deviation of each efficiency, shape (P,) each.

    Each efficiency's deviation is its max over wavelengths of ``|q - q_ref|`` divided by
    the max of ``|q_ref|`` over the same spectrum.  One exception, Q_abs of a lossless
    particle (``is_lossless``, shape (P,)): its exact value is 0, and a reference code's
    Q_abs = Q_ext - Q_sca there is only its rounding noise (treams: up to ~1.5e-12 of
    Q_ext for particles of a few nm), so dividing by that noise measures nothing.  For
    those rows Q_abs is compared with the exact 0 and divided by the Q_ext spectrum max,
    the scale of the two terms it is the difference of.
    """
    out = {key: spectrum_deviation(res[key], ref[key]) for key in KEYS if key != "q_abs"}
    q_abs = np.asarray(res["q_abs"], float)
    q_abs_ref = np.asarray(ref["q_abs"], float)
    if is_lossless is None:
        out["q_abs"] = spectrum_deviation(q_abs, q_abs_ref)
        return {key: out[key] for key in KEYS}
    mask = np.asarray(is_lossless, bool)
    dev = np.empty(len(mask))
    dev[~mask] = spectrum_deviation(q_abs[~mask], q_abs_ref[~mask])
    scale_ext = np.max(np.abs(np.asarray(ref["q_ext"], float)[mask]), axis=-1)
    dev[mask] = np.max(np.abs(q_abs[mask]), axis=-1) / scale_ext
    out["q_abs"] = dev
    return {key: out[key] for key in KEYS}
