"""The one result type of every inverse-design method."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["BestDesign", "DesignResult", "FULL_WAVELENGTH", "write_design_json"]

#: The spectrum every final design is re-evaluated on with exact Mie theory (nm).
FULL_WAVELENGTH = np.linspace(400.0, 800.0, 64)


@dataclass(frozen=True)
class BestDesign:
    """The best design of a run, scored with exact Mie theory.

    Attributes
    ----------
    core, shell : str
        Materials.
    r_core, t_shell : float
        Core radius and shell thickness in nm.
    q_fwd, q_back : ndarray, shape (W,)
        Exact differential efficiencies on the objective's wavelengths.
    loss : float
        Exact objective value (lower is better).
    """

    core: str
    shell: str
    r_core: float
    t_shell: float
    q_fwd: np.ndarray
    q_back: np.ndarray
    loss: float

    def __str__(self) -> str:
        return (
            f"{self.core} core r = {self.r_core:.2f} nm, {self.shell} shell t = {self.t_shell:.2f} nm: "
            f"loss = {self.loss:.6g}"
        )


@dataclass(frozen=True)
class DesignResult:
    """All final designs of one :func:`kerker.inverse_design` run, best (exact loss) first.

    Attributes
    ----------
    method, physics : str
        How the designs were found and what scored them during the search.
    materials : tuple of str
        The material list ``core_index`` / ``shell_index`` refer to.
    core_index, shell_index : ndarray of int, shape (N,)
        Materials of the N final designs (hard: every design is a real particle).
    r_core, t_shell : ndarray, shape (N,)
        Sizes in nm, inside the requested ranges.
    loss : ndarray, shape (N,)
        Exact-Mie objective value of each design, ascending.
    search_loss : ndarray, shape (N,)
        The objective as the search physics scored the final design (the surrogate's
        prediction for ``physics="surrogate"``; equal to ``loss`` for exact searches).
    wavelength : ndarray, shape (W,)
        The objective's wavelengths (nm).
    q_fwd, q_back : ndarray, shape (N, W)
        Exact spectra on ``wavelength``.
    q_fwd_full, q_back_full : ndarray, shape (N, 64)
        Exact spectra on :data:`FULL_WAVELENGTH` (400-800 nm).
    history : ndarray, shape (iterations, K)
        Search loss after each iteration: per start for gradient methods (K = N), the
        best of the population for global optimizers (K = 1).
    evaluations : int
        Particle-spectra the search physics computed (one design on the objective's
        wavelengths is one evaluation; gradients not counted separately).
    wall_time : float
        Seconds for the search and the exact re-evaluation.
    pattern_wavelength : float
        Wavelength (nm) of the radiation patterns: the objective's (middle) wavelength.
    theta : ndarray, shape (T,)
        Scattering angles of the patterns in radians (0 = forward).
    pattern : ndarray, shape (K, T)
        Unpolarised differential scattering efficiency of the best K (<= 5) designs at
        ``pattern_wavelength`` (equals ``q_fwd`` at 0 and ``q_back`` at pi).
    meta : dict
        Objective, configuration, seed, package versions.
    """

    method: str
    physics: str
    materials: tuple
    core_index: np.ndarray
    shell_index: np.ndarray
    r_core: np.ndarray
    t_shell: np.ndarray
    loss: np.ndarray
    search_loss: np.ndarray
    wavelength: np.ndarray
    q_fwd: np.ndarray
    q_back: np.ndarray
    q_fwd_full: np.ndarray
    q_back_full: np.ndarray
    history: np.ndarray
    evaluations: int
    wall_time: float
    pattern_wavelength: float = float("nan")
    theta: np.ndarray = field(default_factory=lambda: np.zeros(0))
    pattern: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.loss.size)

    def label(self, k: int) -> str:
        """One line naming design ``k`` (materials and sizes in nm)."""
        return f"{self.core[k]} core {self.r_core[k]:.1f} nm / {self.shell[k]} shell {self.t_shell[k]:.1f} nm"

    @property
    def core(self) -> np.ndarray:
        """Core material names, shape (N,)."""
        return np.asarray(self.materials, dtype=object)[self.core_index]

    @property
    def shell(self) -> np.ndarray:
        """Shell material names, shape (N,)."""
        return np.asarray(self.materials, dtype=object)[self.shell_index]

    @property
    def best(self) -> BestDesign:
        """The design with the lowest exact loss."""
        return BestDesign(
            str(self.core[0]), str(self.shell[0]), float(self.r_core[0]), float(self.t_shell[0]),
            self.q_fwd[0].copy(), self.q_back[0].copy(), float(self.loss[0]),
        )

    def to_dict(self, *, top: int | None = None) -> dict:
        """JSON-able record (``top``: keep only the best designs; None keeps all)."""
        k = len(self) if top is None else min(top, len(self))
        return {
            "method": self.method,
            "physics": self.physics,
            "materials": list(self.materials),
            "best": {
                "core": self.best.core, "shell": self.best.shell, "r_core": self.best.r_core,
                "t_shell": self.best.t_shell, "q_fwd": self.best.q_fwd.tolist(), "q_back": self.best.q_back.tolist(),
                "loss": self.best.loss,
            },
            "designs": {
                "core": self.core[:k].tolist(), "shell": self.shell[:k].tolist(),
                "r_core": self.r_core[:k].tolist(), "t_shell": self.t_shell[:k].tolist(),
                "loss": self.loss[:k].tolist(), "search_loss": self.search_loss[:k].tolist(),
            },
            "wavelength": self.wavelength.tolist(),
            "full_wavelength": FULL_WAVELENGTH.tolist(),
            "q_fwd_full_best": self.q_fwd_full[0].tolist(),
            "q_back_full_best": self.q_back_full[0].tolist(),
            "history_best": np.minimum.accumulate(np.nanmin(self.history, axis=1)).tolist() if self.history.size else [],
            "pattern_wavelength": self.pattern_wavelength,
            "pattern_best": self.pattern[0].tolist() if self.pattern.size else [],
            "evaluations": self.evaluations,
            "wall_time_s": self.wall_time,
            "meta": self.meta,
        }


def write_design_json(result: DesignResult, path, *, command=None, top: int = 100):
    """Write ``result`` (best ``top`` designs) with its provenance as JSON; returns the path."""
    from kerker._artifacts import provenance, write_json_atomic

    payload = result.to_dict(top=top)
    payload["provenance"] = provenance(result.meta.get("config", {}), seed=result.meta.get("seed"))
    payload["provenance"]["command"] = list(command) if command else None
    return write_json_atomic(path, payload)
