"""The fitted preprocessing a surrogate is trained with, in NumPy (training) and torch (prediction).

Training data go through the dataset package's scikit-learn-style transformers
(:class:`kerker.dataset.scalers.DesignEncoder` for the inputs, a
:class:`~kerker.dataset.Designs` batch,
:class:`kerker.dataset.scalers.Log1pMinMaxScaler` for the targets); their fitted state is
saved in every checkpoint. Prediction must be differentiable in torch, so the same maps
are re-expressed as torch operations: both transformers are affine after a fixed
elementwise function, and the affine coefficients are read off by probing the fitted
NumPy transformer at two points (then checked against it), so there is one source of
truth for the maps and no duplicated formulas to drift apart.
"""

from __future__ import annotations

import numpy as np
import torch

from kerker.dataset import DesignEncoder, Designs, Log1pMinMaxScaler

__all__ = ["SurrogatePreprocessing"]

_TARGETS = ("q_fwd", "q_back")


class SurrogatePreprocessing:
    """Design encoding and target scaling of one surrogate.

    Parameters
    ----------
    materials : sequence of str
        Material names in one-hot order.
    wavelength : array_like, shape (W,)
        Training wavelength grid in nm (increasing).
    r_range, t_range : (float, float)
        Core-radius and shell-thickness ranges in nm (min-max scaled to [-1, 1]).
    q_floor : float
        Targets are ``log1p(q / q_floor)``, then min-max scaled per quantity (over all
        particles and wavelengths): ``q_floor = 1`` is the paper's log1p.
    """

    def __init__(self, materials, wavelength, r_range, t_range, q_floor: float = 1.0):
        self.materials = tuple(str(m) for m in materials)
        self.wavelength = np.asarray(wavelength, dtype=np.float64)
        self.r_range = (float(r_range[0]), float(r_range[1]))
        self.t_range = (float(t_range[0]), float(t_range[1]))
        self.q_floor = float(q_floor)

    # -- fitting (NumPy) --------------------------------------------------------------
    def fit(self, dataset, indices: np.ndarray) -> SurrogatePreprocessing:
        """Fit the design encoder and the target scaler on the training particles ``indices``."""
        self.design_encoder_ = DesignEncoder(self.materials, self.r_range, self.t_range).fit(dataset.designs(indices))
        # per_feature: one min-max per quantity (the two columns), shared by all wavelengths
        self.target_scaler_ = Log1pMinMaxScaler(per_feature=True).fit(self._stacked_targets(dataset, indices))
        self._derive_affine_maps()
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "target_scaler_"):
            raise ValueError("SurrogatePreprocessing is not fitted; call fit(dataset, indices) first")

    def _stacked_targets(self, dataset, indices) -> np.ndarray:
        """(n * W, 2): both quantities as columns, divided by ``q_floor``."""
        cols = [np.asarray(getattr(dataset, name), dtype=np.float64)[indices].reshape(-1) for name in _TARGETS]
        return np.stack(cols, axis=1) / self.q_floor

    def design_matrix(self, designs: Designs) -> np.ndarray:
        """Preprocessed design vectors of NumPy ``designs`` (e.g. ``dataset.designs(indices)``), float32 (n, 2 + 2M)."""
        self._check_fitted()
        return np.asarray(self.design_encoder_.transform(designs), dtype=np.float32)

    def target_array(self, dataset, indices) -> np.ndarray:
        """Preprocessed targets of particles ``indices``, float32 (n, 2, W)."""
        self._check_fitted()
        stacked = self.target_scaler_.transform(self._stacked_targets(dataset, indices))
        n, w = np.asarray(indices).size, self.wavelength.size
        return np.ascontiguousarray(np.asarray(stacked, dtype=np.float32).reshape(n, w, 2).transpose(0, 2, 1))

    def _derive_affine_maps(self) -> None:
        probe = np.array([[0.0, 0.0], [1.0, 1.0]])
        logs = np.log1p(np.asarray(self.target_scaler_.inverse_transform(probe), dtype=np.float64))
        self._target_offset = logs[0]
        self._target_slope = logs[1] - logs[0]
        test = np.array([[1e-3, 2e-2], [3.0, 0.5]]) / self.q_floor
        z = np.asarray(self.target_scaler_.transform(test))
        if not np.allclose(z * self._target_slope + self._target_offset, np.log1p(test), rtol=1e-9, atol=1e-12):
            raise RuntimeError("Log1pMinMaxScaler is not log1p followed by an affine map; surrogate cannot mirror it")
        lo = (self.r_range[0], self.t_range[0])
        hi = (self.r_range[1], self.t_range[1])
        m = len(self.materials)
        ends = Designs(self.materials, core_index=[0, m - 1], shell_index=[m - 1, 0], r_core=[lo[0], hi[0]],
                       t_shell=[lo[1], hi[1]])
        two = self.design_encoder_.transform(ends)
        two = np.asarray(two, dtype=np.float64)
        expect = np.zeros((2, 2 * m))
        expect[0, 0] = expect[0, 2 * m - 1] = expect[1, m - 1] = expect[1, m] = 1.0
        if two.shape != (2, 2 + 2 * m) or not np.allclose(two[:, 2:], expect):
            raise RuntimeError("DesignEncoder layout is not [size, size, one-hot core, one-hot shell]")
        span = np.array(hi) - np.array(lo)
        self._size_slope = (two[1, :2] - two[0, :2]) / span
        self._size_offset = two[0, :2] - self._size_slope * np.array(lo)

    # -- state ------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """JSON-able fitted state (what checkpoints store)."""
        self._check_fitted()
        return {
            "materials": list(self.materials),
            "wavelength": self.wavelength.tolist(),
            "r_range": list(self.r_range),
            "t_range": list(self.t_range),
            "q_floor": self.q_floor,
            "design_encoder": self.design_encoder_.state_dict(),
            "target_scaler": self.target_scaler_.state_dict(),
        }

    @classmethod
    def from_state_dict(cls, state: dict) -> SurrogatePreprocessing:
        """Rebuild the fitted preprocessing from :meth:`state_dict` output (a checkpoint's)."""
        self = cls(state["materials"], state["wavelength"], state["r_range"], state["t_range"], state["q_floor"])
        self.design_encoder_ = DesignEncoder.from_state_dict(state["design_encoder"])
        self.target_scaler_ = Log1pMinMaxScaler.from_state_dict(state["target_scaler"])
        self._derive_affine_maps()
        return self

    def check_dataset(self, dataset, what: str = "the checkpoint") -> None:
        """Raise ``ValueError`` unless ``dataset`` has the same materials and wavelength grid."""
        materials = tuple(str(m) for m in dataset.materials)
        if materials != self.materials:
            raise ValueError(
                f"material list mismatch: {what} was trained on {list(self.materials)}, "
                f"the dataset has {list(materials)}; retrain on this dataset or use a matching one"
            )
        wl = np.asarray(dataset.wavelength, dtype=np.float64)
        if wl.shape != self.wavelength.shape or not np.allclose(wl, self.wavelength, rtol=0, atol=1e-6):
            raise ValueError(
                f"wavelength grid mismatch: {what} uses {self.wavelength.size} points "
                f"{self.wavelength[0]:g}-{self.wavelength[-1]:g} nm, the dataset has {wl.size} points "
                f"{wl[0]:g}-{wl[-1]:g} nm; retrain on this dataset or use a matching one"
            )

    # -- torch maps (prediction) --------------------------------------------------------
    def decode_targets(self, z: torch.Tensor) -> torch.Tensor:
        """Preprocessed targets (P, 2, W) -> physical ``q`` (P, 2, W), differentiable."""
        self._check_fitted()
        slope = torch.as_tensor(self._target_slope, dtype=z.dtype).reshape(1, 2, 1)
        offset = torch.as_tensor(self._target_offset, dtype=z.dtype).reshape(1, 2, 1)
        return torch.expm1(z * slope + offset) * self.q_floor

    def scale_wavelength(self, wavelength) -> torch.Tensor:
        """Wavelengths (nm) -> [-1, 1] over the training grid, float32; outside the grid is refused."""
        wl = torch.as_tensor(wavelength, dtype=torch.float64).reshape(-1)
        lo, hi = float(self.wavelength[0]), float(self.wavelength[-1])
        bad = (wl < lo - 1e-9) | (wl > hi + 1e-9) | ~torch.isfinite(wl)
        if bad.any():
            raise ValueError(
                f"wavelength must lie in the surrogate's training range [{lo:g}, {hi:g}] nm, "
                f"got {wl[bad][:3].tolist()}"
            )
        return (2.0 * (wl - lo) / (hi - lo) - 1.0).to(torch.float32)

    def own_designs(self, designs: Designs) -> Designs:
        """``designs`` over this preprocessing's material list (hard designs are re-indexed by name).

        Raises
        ------
        TypeError
            ``designs`` is not a :class:`~kerker.dataset.Designs`.
        ValueError
            A material unknown to this surrogate, or soft designs over another material list.
        """
        if not isinstance(designs, Designs):
            raise TypeError(f"expected a kerker.dataset.Designs batch; received {type(designs).__name__}")
        if designs.materials == self.materials:
            return designs
        if designs.is_soft:
            raise ValueError(
                f"soft designs must weigh this surrogate's materials {list(self.materials)} in this order; they are "
                f"over {list(designs.materials)}"
            )
        folded = [m.lower() for m in self.materials]
        lut = []
        for name in designs.materials:
            if name.lower() not in folded:
                raise ValueError(f"material {name!r} of the designs is unknown to this surrogate; known: "
                                 f"{list(self.materials)}")
            lut.append(self.materials.index(name) if name in self.materials else folded.index(name.lower()))
        lut = np.asarray(lut, dtype=np.int64)
        if designs.is_torch:
            lut = torch.as_tensor(lut, device=designs.core_index.device)
        return Designs(self.materials, core_index=lut[designs.core_index], shell_index=lut[designs.shell_index],
                       r_core=designs.r_core, t_shell=designs.t_shell)

    @staticmethod
    def _size(name: str, value, bounds: tuple[float, float], check_range: bool) -> torch.Tensor:
        t = value.to(torch.float64) if isinstance(value, torch.Tensor) else torch.as_tensor(value, dtype=torch.float64)
        if check_range:
            d = t.detach()
            lo, hi = bounds
            tol = 1e-9 * max(abs(lo), abs(hi), 1.0)
            bad = (d < lo - tol) | (d > hi + tol)
            if bad.any():
                raise ValueError(
                    f"{name} must lie in the surrogate's training range [{lo:g}, {hi:g}] nm, got {d[bad][:3].tolist()}; "
                    "clamp the sizes or pass check_range=False to extrapolate"
                )
        return t

    def encode(self, designs: Designs, *, check_range: bool = True) -> torch.Tensor:
        """Designs -> preprocessed design vectors (P, 2 + 2M), float32, differentiable in sizes and weights.

        Parameters
        ----------
        designs : Designs
            Hard or soft, NumPy or torch (see :meth:`own_designs` for the material list).
        check_range : bool
            Refuse sizes outside the training ranges (default).
        """
        self._check_fitted()
        designs = self.own_designs(designs)
        r = self._size("r_core", designs.r_core, self.r_range, check_range)
        t = self._size("t_shell", designs.t_shell, self.t_range, check_range)
        m = len(self.materials)
        if designs.is_soft:
            wc, ws = (torch.as_tensor(p).to(torch.float32) for p in (designs.p_core, designs.p_shell))
        else:
            wc, ws = (torch.nn.functional.one_hot(torch.as_tensor(i), m).float()
                      for i in (designs.core_index, designs.shell_index))
        slope = torch.as_tensor(self._size_slope)
        offset = torch.as_tensor(self._size_offset)
        scaled = torch.stack([r * slope[0] + offset[0], t * slope[1] + offset[1]], dim=1)
        return torch.cat([scaled.to(torch.float32), wc, ws], dim=1)
