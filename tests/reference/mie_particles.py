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


# --------------------------------------------------------------------------------------
# L-layer spheres
#
# Seeded random L-layer particles for issue 17's sweep: every layer's material drawn from
# the seven (neighbours distinct, so no layer is a disguised split of its neighbour; that
# case is an invariant test of its own), outer radius uniform in L..300 nm, about one
# layer in five exactly 1 nm thick (thin metal films are the hard case) and the other
# layers sharing the rest of the radius by a flat Dirichlet split, so every layer is
# >= 1 nm thick and every radius lies in 1..300 nm.  The wavelengths span the seven
# materials' common data range, 430-1450 nm (TiO2 starts at 430 nm, Si ends at 1450 nm),
# so the materials work by name without extrapolation and the grid covers the plasmonic
# visible as well as the near-infrared, where Si is almost lossless (k ~ 1e-13).

#: 64 vacuum wavelengths over the seven materials' common data range, nm.
LAYERED_WAVELENGTH = np.linspace(430.0, 1450.0, 64)

#: Largest outer radius of the random layered particles, nm.
LAYERED_R_MAX = 300.0

#: Probability that a layer is exactly 1 nm thick.
THIN_FRACTION = 0.2


@dataclass(frozen=True)
class LayeredConfigurations:
    """A batch of P L-layer particles (one L for the batch) over W wavelengths.

    Attributes
    ----------
    materials : tuple of tuple of str, P x L
        Material names, innermost first.
    radii : ndarray, shape (P, L)
        Outer radius of each layer, nm.
    wavelength : ndarray, shape (W,)
    n_layers : ndarray of complex128, shape (P, L, W)
        Absolute refractive indices from ``kerker.material(...).refractive_index``.
    eps_layers : ndarray of complex128, shape (P, L, W)
        Relative permittivities from ``kerker.material(...).permittivity``.
    """

    materials: tuple
    radii: np.ndarray
    wavelength: np.ndarray
    n_layers: np.ndarray
    eps_layers: np.ndarray

    @property
    def n_layer_count(self) -> int:
        return self.radii.shape[1]

    @property
    def r_outer(self) -> np.ndarray:
        return self.radii[:, -1]

    def __len__(self) -> int:
        return self.radii.shape[0]

    def subset(self, index) -> "LayeredConfigurations":
        idx = np.arange(len(self))[index]
        return LayeredConfigurations(
            materials=tuple(self.materials[i] for i in idx),
            radii=self.radii[idx],
            wavelength=self.wavelength,
            n_layers=self.n_layers[idx],
            eps_layers=self.eps_layers[idx],
        )

    def describe(self, p: int) -> str:
        """One particle as 'Si 12.3 / Ag 13.3 / ...' (material, outer radius in nm)."""
        return " / ".join(f"{m} {float(r)!r}" for m, r in zip(self.materials[p], self.radii[p]))


def layered_from(materials, radii, wavelength) -> LayeredConfigurations:
    """A :class:`LayeredConfigurations` from names (P x L) and radii (P, L) in nm."""
    wavelength = np.asarray(wavelength, dtype=float)
    materials = tuple(tuple(row) for row in materials)
    names = sorted({m for row in materials for m in row})
    n_tab = {m: np.asarray(material(m).refractive_index(wavelength), dtype=complex) for m in names}
    e_tab = {m: np.asarray(material(m).permittivity(wavelength), dtype=complex) for m in names}
    shape = (len(materials), -1, len(wavelength))
    return LayeredConfigurations(
        materials=materials,
        radii=np.asarray(radii, dtype=float),
        wavelength=wavelength,
        n_layers=np.array([[n_tab[m] for m in row] for row in materials]).reshape(shape),
        eps_layers=np.array([[e_tab[m] for m in row] for row in materials]).reshape(shape),
    )


def random_layered(n: int, n_layers: int, seed: int = SEED, wavelength: np.ndarray = LAYERED_WAVELENGTH):
    """``n`` seeded random ``n_layers``-layer particles (see the note above)."""
    rng = np.random.default_rng([seed, n_layers])
    mats = []
    for _ in range(n):
        row = [rng.integers(len(MATERIALS))]
        for _ in range(n_layers - 1):  # a neighbour differs: draw from the other six
            row.append((row[-1] + 1 + rng.integers(len(MATERIALS) - 1)) % len(MATERIALS))
        mats.append(tuple(MATERIALS[i] for i in row))
    r_outer = rng.uniform(n_layers, LAYERED_R_MAX, n)
    thin = rng.random((n, n_layers)) < THIN_FRACTION
    share = rng.dirichlet(np.ones(n_layers), n) * ~thin
    share_sum = share.sum(axis=1, keepdims=True)
    share = np.divide(share, share_sum, out=np.zeros_like(share), where=share_sum > 0)
    t = 1.0 + share * (r_outer - n_layers)[:, None]
    radii = np.cumsum(t, axis=1)
    return layered_from(mats, radii, wavelength)


def random_layered_sweep(n: int, seed: int = SEED, wavelength: np.ndarray = LAYERED_WAVELENGTH) -> list:
    """``n`` random particles split as evenly as possible over L = 3, 4, 5: a list of three batches."""
    counts = [n // 3 + (i < n % 3) for i in range(3)]
    return [random_layered(c, L, seed, wavelength) for L, c in zip((3, 4, 5), counts)]


def lossless_layers(n_layers) -> np.ndarray:
    """True for particles whose every layer index is real at every wavelength; (P, L, W) -> (P,)."""
    return np.all(np.asarray(n_layers).imag == 0, axis=(-2, -1))


#: Q_abs error allowed on top of the bar, as a fraction of the Q_ext spectrum maximum (see
#: :func:`layered_deviations`): the accuracy of Q_ext and Q_sca themselves, whose
#: difference Q_abs is.
Q_ABS_ROUNDING = 1e-13


def layered_deviations(res: dict, ref: dict, is_lossless, tol: float, q_abs_rounding: float = Q_ABS_ROUNDING) -> dict:
    """:func:`deviations` for a bar ``tol``, Q_abs of weakly absorbing particles on a floor of the Q_ext scale.

    Every float64 code forms Q_abs = Q_ext - Q_sca (or the same difference order by order,
    Re a_n - |a_n|^2), so its Q_abs inherits the absolute error of Q_ext and Q_sca, whatever
    its accuracy otherwise.  Measured against mpmath on 201 random layered particles x 64
    wavelengths, kerker's Q_ext, Q_sca are accurate to <= 9.7e-14 of their spectrum maxima
    and its Q_abs to <= 5.7e-14 of max Q_ext (treams: ~5e-13 and ~1e-13).  A particle whose
    only absorber is a 1-nm Si core inside 300 nm of dielectric has max Q_abs / max Q_ext
    ~ 1e-8, where 1e-9 of its own Q_abs maximum is 1e-17 of Q_ext, below one ulp (kerker's
    Q_abs there is off by 8.8e-8 of its own maximum, 1.1e-15 of Q_ext).  So Q_abs is
    divided by ``max(max |Q_abs_ref|, q_abs_rounding / tol * max |Q_ext_ref|)``: the
    deviation stays <= ``tol`` while the Q_abs error is <= ``tol`` of the Q_abs maximum or
    <= ``q_abs_rounding`` (1e-13) of the Q_ext maximum, whichever is larger.  Particles that
    absorb more than ``q_abs_rounding / tol`` of their extinction (1e-4 at the 1e-9 bar,
    0.1 at 1e-12) are measured exactly as by :func:`deviations`.  Lossless particles
    (``is_lossless``, (P,)) are compared with the exact Q_abs = 0 on the Q_ext scale, as
    in :func:`deviations`.
    """
    out = deviations(res, ref, is_lossless)
    mask = ~np.asarray(is_lossless, bool)
    q_abs = np.asarray(res["q_abs"], float)[mask]
    q_abs_ref = np.asarray(ref["q_abs"], float)[mask]
    q_ext_max = np.max(np.abs(np.asarray(ref["q_ext"], float)[mask]), axis=-1)
    scale = np.maximum(np.max(np.abs(q_abs_ref), axis=-1), q_abs_rounding / tol * q_ext_max)
    out["q_abs"] = out["q_abs"].copy()
    out["q_abs"][mask] = np.max(np.abs(q_abs - q_abs_ref), axis=-1) / scale
    return out
