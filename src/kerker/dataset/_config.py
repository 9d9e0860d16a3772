"""The frozen configuration of a core-shell dataset and its named presets (on :class:`kerker._config.Config`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kerker._config import Config, choice, integer, interval, number, positive_float, positive_int
from kerker.materials import PAPER_MATERIALS, material

__all__ = ["DatasetConfig", "PRESETS", "SAMPLINGS"]

SAMPLINGS = ("grid", "random")
_DTYPES = ("float32", "float64")
_POLICIES = ("error", "hold")
# The paper's split of its 122,500 particles; other sizes scale these fractions.
_PAPER_SPLIT = (108_000, 12_000, 2_500)


@dataclass(frozen=True)
class DatasetConfig(Config):
    """Everything that determines a dataset's contents (frozen; validated on construction).

    Two configs that compare equal produce bit-identical files (same machine, same
    kerker version); the file's ``fingerprint`` is a hash of this config, the wavelength
    grid and the sha256 of every material data file.

    Attributes
    ----------
    materials : tuple of str
        Material names (see ``kerker materials``); ``core_index``/``shell_index`` index this
        tuple. Default: the paper's seven, ``PAPER_MATERIALS``.
    sampling : {"grid", "random"}
        ``"grid"``: every core x shell material pair on the full ``n_r_core x n_t_shell``
        grid of ``np.linspace`` radii and thicknesses (the paper's set). ``"random"``:
        ``n_particles`` particles with uniformly drawn material indices and continuous,
        uniform radii and thicknesses (off-grid), drawn from ``seed``.
    r_core_range : (float, float)
        Core radius range in nm, ``0 < lo <= hi``. Default (1, 100).
    t_shell_range : (float, float)
        Shell thickness range in nm, ``0 <= lo <= hi``. Default (1, 100).
    n_r_core, n_t_shell : int
        Grid points per size axis (grid sampling only). Default 50 each.
    n_particles : int or None
        Number of particles (random sampling only, required there; None for a grid).
    wavelength_min, wavelength_max : float
        First and last vacuum wavelength in nm. Default 400 and 800.
    n_wavelengths : int
        Number of equally spaced wavelengths (``np.linspace``). Default 64.
    env : float
        Real refractive index of the medium. Default 1 (vacuum).
    extrapolation : {"hold", "error"}
        Outside a material's tabulated range: hold the end value (the paper's TiO2 below
        430 nm; default) or refuse. Recorded in the file.
    split : (int, int, int) or None
        Particles in the train / validation / test split. None: the paper's
        108,000 / 12,000 / 2,500 scaled to the dataset size (exact for the paper grid).
    seed : int
        Seeds the split permutation and, for random sampling, the particles.
    chunk_size : int
        Particles per computed and written chunk (the unit of resumption). The Mie
        solver's batched recurrences start from the largest argument in a batch, so the
        last bits of a value depend on its chunk: the chunk size is part of the config.
    dtype : {"float32", "float64"}
        Storage type of the efficiencies (inputs are always float64). float32 rounds
        relatively by at most 2**-24 = 6e-8, far below any surrogate error.
    """

    materials: tuple[str, ...] = PAPER_MATERIALS
    sampling: str = "grid"
    r_core_range: tuple[float, float] = (1.0, 100.0)
    t_shell_range: tuple[float, float] = (1.0, 100.0)
    n_r_core: int = 50
    n_t_shell: int = 50
    n_particles: int | None = None
    wavelength_min: float = 400.0
    wavelength_max: float = 800.0
    n_wavelengths: int = 64
    env: float = 1.0
    extrapolation: str = "hold"
    split: tuple[int, int, int] | None = field(default=None)
    seed: int = 0
    chunk_size: int = 4096
    dtype: str = "float32"

    def __post_init__(self):
        # materials
        mats = self.materials
        if isinstance(mats, str) or not isinstance(mats, (tuple, list)) or not mats:
            raise TypeError(f"DatasetConfig.materials must be a non-empty tuple of material names; received {mats!r}")
        canonical = []
        for name in mats:
            if not isinstance(name, str):
                raise TypeError(
                    f"DatasetConfig.materials must hold names (str); received {name!r} ({type(name).__name__})"
                )
            canonical.append(material(name).name)  # raises ValueError listing the known names
        if len(set(canonical)) != len(canonical):
            raise ValueError(f"DatasetConfig.materials must not repeat a material; received {tuple(mats)}")
        if len(canonical) > 127:
            raise ValueError(
                f"DatasetConfig.materials holds at most 127 materials (int8 indices); received {len(canonical)}"
            )
        self._set("materials", tuple(canonical))
        self._check("sampling", choice, SAMPLINGS)
        # sizes
        self._check("r_core_range", interval, strict_lower=True)
        self._check("t_shell_range", interval, strict_lower=False)
        self._check("n_r_core", positive_int)
        self._check("n_t_shell", positive_int)
        if self.sampling == "grid":
            if self.n_particles is not None:
                raise ValueError(
                    "DatasetConfig.n_particles is fixed by the grid (materials^2 x n_r_core x n_t_shell) when "
                    f"sampling='grid'; received n_particles={self.n_particles!r}. "
                    "Leave it None or use sampling='random'"
                )
        else:
            if self.n_particles is None:
                raise ValueError("DatasetConfig.n_particles is required for sampling='random' (an int >= 1)")
            self._check("n_particles", positive_int)
        # wavelengths and medium
        wl_min = self._check("wavelength_min", number)
        wl_max = self._check("wavelength_max", number)
        n_wl = self._check("n_wavelengths", positive_int)
        if not 0 < wl_min <= wl_max or (n_wl > 1 and wl_min == wl_max):
            raise ValueError(
                "DatasetConfig needs 0 < wavelength_min < wavelength_max (equal only with n_wavelengths=1); "
                f"received wavelength_min={wl_min}, wavelength_max={wl_max}, n_wavelengths={n_wl}"
            )
        self._check("env", positive_float, what="refractive index of the medium")
        self._check("extrapolation", choice, _POLICIES)
        if self.extrapolation == "error":
            for name in self.materials:
                lo, hi = material(name).wavelength_range
                if wl_min < lo or wl_max > hi:
                    raise ValueError(
                        f"wavelengths {wl_min:g}-{wl_max:g} nm leave the data range of {name} ({lo:g}-{hi:g} nm) and "
                        "DatasetConfig.extrapolation='error'; use extrapolation='hold' (the paper's policy) or a "
                        "narrower wavelength grid"
                    )
        # split, seed, chunking, storage
        n = self.size
        if self.split is None:
            n_val = round(n * _PAPER_SPLIT[1] / sum(_PAPER_SPLIT))
            n_test = round(n * _PAPER_SPLIT[2] / sum(_PAPER_SPLIT))
            split = (n - n_val - n_test, n_val, n_test)
        else:
            if isinstance(self.split, str) or not hasattr(self.split, "__len__") or len(self.split) != 3:
                raise ValueError(
                    f"DatasetConfig.split must be three counts (train, val, test); received {self.split!r}"
                )
            split = tuple(integer(f"DatasetConfig.split[{i}]", c, minimum=0) for i, c in enumerate(self.split))
            if sum(split) != n:
                raise ValueError(
                    f"DatasetConfig.split counts must add up to the number of particles {n}; received {split} "
                    f"(sum {sum(split)})"
                )
        self._set("split", split)
        self._check("seed", integer, minimum=0)
        self._check("chunk_size", positive_int)
        self._check("dtype", choice, _DTYPES)

    @property
    def size(self) -> int:
        """Number of particles N."""
        if self.sampling == "grid":
            return len(self.materials) ** 2 * self.n_r_core * self.n_t_shell
        return self.n_particles

    @property
    def n_chunks(self) -> int:
        """Number of chunks K = ceil(N / chunk_size)."""
        return -(-self.size // self.chunk_size)

    def wavelength(self) -> np.ndarray:
        """The wavelength grid in nm, float64, shape (W,)."""
        return np.linspace(self.wavelength_min, self.wavelength_max, self.n_wavelengths)

    @classmethod
    def from_preset(cls, name: str, **overrides) -> DatasetConfig:
        """A named preset (:data:`PRESETS`) with some fields replaced.

        Parameters
        ----------
        name : str
            One of :data:`PRESETS` (``"paper"``, ``"offgrid"``, ``"tiny"``).
        **overrides
            DatasetConfig fields to replace. Either end of ``r_core_range`` /
            ``t_shell_range`` may be None to keep the preset's end. Unless given,
            ``n_particles`` is dropped when the result samples a grid, and the preset's
            ``split`` is kept only if the result has the preset's particles (same
            materials, sampling, grid and particle count); otherwise it is rescaled from
            the paper's fractions.

        Returns
        -------
        DatasetConfig
            Validated, as any config.

        Raises
        ------
        ValueError
            Unknown preset (the message lists them), an override that is not a field
            (named), or an invalid resulting config.

        Examples
        --------
        >>> cfg = DatasetConfig.from_preset("tiny", n_wavelengths=8, r_core_range=(None, 50.0))
        >>> cfg.materials, cfg.n_wavelengths, cfg.r_core_range, cfg.split
        (('Si', 'Au'), 8, (1.0, 50.0), (226, 25, 5))
        """
        if name not in PRESETS:
            raise ValueError(f"unknown DatasetConfig preset {name!r}; presets: {sorted(PRESETS)}")
        preset = PRESETS[name]
        fields = preset.to_dict()
        unknown = sorted(set(overrides) - set(fields))
        if unknown:
            raise ValueError(f"unknown DatasetConfig fields {unknown}; known: {sorted(fields)}")
        for key, value in overrides.items():
            if key in ("r_core_range", "t_shell_range") and isinstance(value, (tuple, list)) and len(value) == 2:
                value = [fields[key][i] if v is None else v for i, v in enumerate(value)]
            fields[key] = value
        if fields["sampling"] == "grid" and "n_particles" not in overrides:
            fields["n_particles"] = None
        if "split" not in overrides:
            same = all(_plain(getattr(preset, k)) == _plain(fields[k]) for k in _SIZE_FIELDS)
            fields["split"] = fields["split"] if same else None
        return cls.from_dict(fields)


# The fields that fix a dataset's particles (and so whether a preset's split still fits).
_SIZE_FIELDS = ("materials", "sampling", "n_r_core", "n_t_shell", "n_particles")


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


PRESETS: dict[str, DatasetConfig] = {
    # Soun et al.: 7 x 7 materials x 50 x 50 sizes (1-100 nm), 64 wavelengths 400-800 nm.
    "paper": DatasetConfig(),
    # Off-grid test particles (the paper never tested off its grid): continuous radii, all in "test".
    "offgrid": DatasetConfig(sampling="random", n_particles=2500, seed=1, split=(0, 0, 2500)),
    # A seconds-long smoke set: 2 materials, 8 x 8 sizes, 16 wavelengths.
    "tiny": DatasetConfig(materials=("Si", "Au"), n_r_core=8, n_t_shell=8, n_wavelengths=16, chunk_size=64),
}
