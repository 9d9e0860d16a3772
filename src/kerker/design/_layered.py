"""Discrete-material design of spheres of L concentric layers on exact Mie theory.

:func:`kerker.inverse_design` with ``layers=L`` (L >= 3) runs here: the same objectives,
the same Adam loop and the same nevergrad search as the core-shell methods
(:mod:`kerker.design._methods`), over L materials and L thicknesses. ``"enumerate"``
descends on the thicknesses of every allowed material sequence (M^L of them: small L);
``"de"`` and ``"cma"`` treat each layer's material as a categorical choice; ``"latent"``
descends on the latent vectors of a generator trained on L-layer designs (``kerker train
wgan --layers L``; one is shipped for L = 3), with the generator's soft materials entering
exact Mie theory as in the core-shell latent search (straight-through by default).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from itertools import product

import numpy as np
import torch

from kerker.design._methods import descend, frozen, mask_materials, nevergrad_search
from kerker.design._physics import RELAXATIONS, hold_permittivities, relaxed_permittivity
from kerker.design._result import FULL_WAVELENGTH

__all__ = ["LayeredDesign", "LayeredDesignResult", "layered_design"]

LAYERED_METHODS = ("latent", "enumerate", "de", "cma")
#: Material sequences ``"enumerate"`` accepts (M^L grows fast: 7^4 = 2,401, 7^5 = 16,807).
MAX_SEQUENCES = 5000


@dataclass(frozen=True)
class LayeredDesign:
    """The best layered design of a run: materials and outer radii (nm) innermost first."""

    materials: tuple
    radii: tuple
    q_fwd: np.ndarray
    q_back: np.ndarray
    loss: float

    def __str__(self) -> str:
        layers = ", ".join(f"{m} to {r:.2f} nm" for m, r in zip(self.materials, self.radii))
        return f"{layers}: loss = {self.loss:.6g}"


@dataclass(frozen=True)
class LayeredDesignResult:
    """All final designs of one layered run, best (exact loss) first.

    Attributes
    ----------
    method : str
        ``"latent"``, ``"enumerate"``, ``"de"`` or ``"cma"`` (the physics is always exact
        Mie theory).
    materials : tuple of str
        The material list ``layer_index`` refers to.
    layer_index : ndarray of int, shape (N, L)
        Material of each layer, innermost first.
    thickness : ndarray, shape (N, L)
        Thickness of each layer in nm (the first is the core radius), inside the range.
    loss : ndarray, shape (N,)
        Exact objective value, ascending.
    wavelength : ndarray, shape (W,)
        The objective's wavelengths (nm).
    q_fwd, q_back : ndarray, shape (N, W)
        Exact spectra on ``wavelength``.
    q_fwd_full, q_back_full : ndarray, shape (K, 64)
        Exact spectra of the best K (<= 5) designs on 400-800 nm (:data:`FULL_WAVELENGTH`).
    history : ndarray, shape (iterations, K)
        Loss per start and iteration (latent, enumerate), or the population's best (K = 1).
    evaluations : int
        Particle spectra computed by the search.
    wall_time : float
        Seconds, search and re-evaluation.
    pattern_wavelength : float
        Wavelength (nm) of the radiation patterns: the objective's (middle) wavelength.
    theta : ndarray, shape (T,)
        Scattering angles of the patterns in radians (0 = forward).
    pattern : ndarray, shape (K, T)
        Unpolarised differential scattering efficiency of the best K designs.
    meta : dict
        Objective, configuration, seed, versions.
    """

    method: str
    materials: tuple
    layer_index: np.ndarray
    thickness: np.ndarray
    loss: np.ndarray
    wavelength: np.ndarray
    q_fwd: np.ndarray
    q_back: np.ndarray
    q_fwd_full: np.ndarray
    q_back_full: np.ndarray
    history: np.ndarray
    evaluations: int
    wall_time: float
    pattern_wavelength: float
    theta: np.ndarray
    pattern: np.ndarray
    meta: dict = field(default_factory=dict)
    physics = "exact"

    def __len__(self) -> int:
        return int(self.loss.size)

    def label(self, k: int) -> str:
        """One line naming design ``k`` (materials and outer radii in nm, innermost first)."""
        return " / ".join(f"{self.materials[i]} {r:.1f}" for i, r in zip(self.layer_index[k], self.radii[k])) + " nm"

    @property
    def radii(self) -> np.ndarray:
        """Outer radius of each layer in nm, shape (N, L)."""
        return np.cumsum(self.thickness, axis=1)

    @property
    def best(self) -> LayeredDesign:
        """The design with the lowest exact loss."""
        names = tuple(self.materials[i] for i in self.layer_index[0])
        return LayeredDesign(names, tuple(float(r) for r in self.radii[0]), self.q_fwd[0].copy(), self.q_back[0].copy(),
                             float(self.loss[0]))

    def to_dict(self, *, top: int | None = None) -> dict:
        """JSON-able record (``top``: keep only the best designs)."""
        k = len(self) if top is None else min(top, len(self))
        names = np.asarray(self.materials, dtype=object)
        best = self.best
        return {
            "method": self.method, "physics": "exact", "materials": list(self.materials), "layers": self.thickness.shape[1],
            "best": {"materials": list(best.materials), "radii": list(best.radii), "loss": best.loss,
                     "q_fwd": best.q_fwd.tolist(), "q_back": best.q_back.tolist()},
            "designs": {"materials": names[self.layer_index[:k]].tolist(), "radii": self.radii[:k].tolist(),
                        "loss": self.loss[:k].tolist()},
            "wavelength": self.wavelength.tolist(), "full_wavelength": FULL_WAVELENGTH.tolist(),
            "q_fwd_full_best": self.q_fwd_full[0].tolist(), "q_back_full_best": self.q_back_full[0].tolist(),
            "history_best": np.minimum.accumulate(np.nanmin(self.history, axis=1)).tolist() if self.history.size else [],
            "pattern_wavelength": self.pattern_wavelength, "pattern_best": self.pattern[0].tolist(),
            "evaluations": self.evaluations, "wall_time_s": self.wall_time, "meta": self.meta,
        }


class _Spectra:
    """Exact ``q_fwd, q_back`` (N, W) of layered designs on fixed wavelengths (permittivity table held)."""

    def __init__(self, materials, wavelength, env: float):
        self.wavelength = np.asarray(wavelength, dtype=np.float64)
        self.table = hold_permittivities(materials, self.wavelength)
        self.env = env

    def __call__(self, index: torch.Tensor, thickness: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self._spectra([self.table[index[:, l]] for l in range(index.shape[1])], thickness)

    def soft(self, p: torch.Tensor, thickness: torch.Tensor, relaxation: str) -> tuple[torch.Tensor, torch.Tensor]:
        """Differentiable spectra of soft materials ``p`` (N, L, M) (see :func:`relaxed_permittivity`)."""
        return self._spectra([relaxed_permittivity(p[:, l], self.table, relaxation) for l in range(p.shape[1])],
                             thickness)

    def _spectra(self, layers, thickness):
        from kerker.mie import efficiencies_layered

        q = efficiencies_layered(layers, torch.cumsum(thickness, dim=1), torch.as_tensor(self.wavelength), self.env)
        return q.q_fwd, q.q_back


def _enumerate(objective, spectra, choices, bounds, starts, iterations, lr, seed, tol, patience, screen, report):
    sequences = np.array(list(product(*choices)), dtype=np.int64)
    if len(sequences) > MAX_SEQUENCES:
        raise ValueError(
            f"method='enumerate' would descend on {len(sequences):,} material sequences (> {MAX_SEQUENCES:,}); "
            "fix some layers (fix=[...]), allow fewer materials, or use method='de' or 'cma'"
        )
    per = max(1, math.ceil(starts / len(sequences)))
    index = torch.as_tensor(np.repeat(sequences, per, axis=0))
    n, n_layers = index.shape
    lo, hi = bounds

    def thickness(v):
        return lo + (hi - lo) * torch.sigmoid(v)

    gen = torch.Generator().manual_seed(seed)
    k = max(1, screen)
    u = torch.randn(n * k, n_layers, generator=gen, dtype=torch.float64)
    screened = 0
    if k > 1:  # each sequence descends from the best `per` of `k * per` random thicknesses (forward only)
        with torch.no_grad():
            cand = objective(*spectra(index.repeat_interleave(k, dim=0), thickness(u)))
        best = cand.reshape(len(sequences), per * k).argsort(1)[:, :per]
        u = u[(best + torch.arange(len(sequences)).unsqueeze(1) * (per * k)).reshape(-1)]
        screened = int(cand.numel())
    u = u.requires_grad_(True)
    opt = torch.optim.Adam([u], lr=lr)

    history = descend(opt, lambda: objective(*spectra(index, thickness(u))), iterations=iterations, tol=tol,
                      patience=patience, report=report)
    with torch.no_grad():
        t = thickness(u)
    return index.numpy(), t.numpy(), np.asarray(history), n * (len(history) + 1) + screened, {
        "sequences": int(len(sequences)), "starts_per_sequence": per, "iterations_run": len(history),
        "screened": screened}


def _latent(objective, spectra, generator, choices, fix, bounds, starts, iterations, lr, seed, tol, patience, screen,
            relaxation, report):
    """``starts`` latent vectors of an L-layer generator, descended concurrently with Adam on exact Mie theory."""
    n_m = len(generator.materials)
    lo, hi = bounds

    def designs(z):
        p, thickness = generator.decode_layers(z, hard=False, fix=fix)
        p = torch.stack([mask_materials(p[:, l], c, n_m) for l, c in enumerate(choices)], dim=1)
        return p, thickness.clamp(lo, hi)

    k = max(1, screen)
    z = generator.sample_latent(k * starts, seed=seed)
    screened = 0
    with frozen(generator):
        if k > 1:  # keep the best `starts` of k * starts latent vectors (forward only)
            with torch.no_grad():
                cand = objective(*spectra.soft(*designs(z), relaxation))
            z = z[cand.argsort()[:starts]]
            screened = int(cand.numel())
        z = z.clone().requires_grad_(True)
        opt = torch.optim.Adam([z], lr=lr)
        history = descend(opt, lambda: objective(*spectra.soft(*designs(z), relaxation)), iterations=iterations,
                          tol=tol, patience=patience, report=report)
        with torch.no_grad():
            p, thickness = designs(z)
    return p.argmax(-1).numpy(), thickness.numpy(), np.asarray(history), starts * (len(history) + 1) + screened, {
        "iterations_run": len(history), "screened": screened, "relaxation": relaxation,
        "generator": {"n_layers": generator.n_layers, "r_range": list(generator.r_range),
                      "t_range": list(generator.t_range),
                      "command": getattr(generator, "info", {}).get("command")}}


def _global(objective, spectra, choices, bounds, starts, iterations, seed, family, report):
    n_layers = len(choices)

    def loss_of(idx, sizes):
        index = torch.as_tensor(np.stack(idx, axis=1))
        return objective(*spectra(index, torch.as_tensor(sizes))).numpy()

    idx, sizes, loss, history, name = nevergrad_search(
        choices, [bounds[0]] * n_layers, [bounds[1]] * n_layers, loss_of, population=starts, iterations=iterations,
        seed=seed, family=family, report=report,
    )
    keep = np.argsort(loss, kind="stable")[:starts]
    index = np.stack(idx, axis=1)[keep]
    return index, sizes[keep], np.minimum.accumulate(history)[:, None], int(loss.size), {"optimizer": name, "population": starts}


def layered_design(objective, layers: int, method: str, *, starts: int, iterations: int, lr: float, seed: int,
                   materials: tuple, allowed: np.ndarray, fix, thickness_range: tuple, tol: float, patience: int,
                   screen: int = 16, env: float = 1.0, progress=None, generator=None,
                   relaxation: str = "straight-through") -> LayeredDesignResult:
    """The layered search behind ``kerker.inverse_design(..., layers=L)`` (arguments validated there).

    ``fix`` is None or a sequence of L entries, each a material name (that layer fixed)
    or None (free among ``allowed``). ``screen`` (enumerate): each material sequence
    descends from the best of ``screen`` times as many random thicknesses (forward only);
    (latent): descend from the best ``starts`` of ``screen * starts`` latent vectors.
    ``generator`` (latent): an L-layer generator, default the shipped one for L layers.
    """
    t0 = time.perf_counter()
    if method not in LAYERED_METHODS:
        raise ValueError(f"method={method!r} with layers={layers}: use one of {LAYERED_METHODS}")
    if method == "latent":
        if relaxation not in RELAXATIONS:
            raise ValueError(f"relaxation must be one of {RELAXATIONS}, got {relaxation!r}")
        generator = _layered_generator(generator, layers, materials, thickness_range)
    if fix is None:
        fix = [None] * layers
    fix = list(fix)
    if len(fix) != layers:
        raise ValueError(f"fix must have one entry per layer (layers={layers}), got {len(fix)}: {fix!r}")
    choices = []
    for l, name in enumerate(fix):
        if name is None:
            choices.append(np.asarray(allowed))
        elif name not in materials:
            raise ValueError(f"fix[{l}] must be one of the materials {list(materials)} or None, got {name!r}")
        else:
            choices.append(np.array([materials.index(name)]))
    spectra = _Spectra(materials, objective.wavelength, env)

    def report(it, best):
        if progress is not None:
            progress(it, iterations, best)

    if method == "latent":
        index, thickness, history, evaluations, extra = _latent(
            objective, spectra, generator, choices, fix, thickness_range, starts, iterations, lr, seed, tol, patience,
            screen, relaxation, report)
    elif method == "enumerate":
        index, thickness, history, evaluations, extra = _enumerate(
            objective, spectra, choices, thickness_range, starts, iterations, lr, seed, tol, patience, screen, report)
    else:
        index, thickness, history, evaluations, extra = _global(
            objective, spectra, choices, thickness_range, starts, iterations, seed, method, report)
    with torch.no_grad():
        q_fwd, q_back = spectra(torch.as_tensor(index), torch.as_tensor(thickness))
        loss = objective(q_fwd, q_back).numpy()
        order = np.argsort(loss, kind="stable")
        index, thickness, loss = index[order], thickness[order], loss[order]
        q_fwd, q_back = q_fwd.numpy()[order], q_back.numpy()[order]
        top = min(5, len(loss))
        full = _Spectra(materials, FULL_WAVELENGTH, env)(torch.as_tensor(index[:top]), torch.as_tensor(thickness[:top]))
        wl_pattern = float(objective.wavelength[objective.wavelength.size // 2])
        theta = np.linspace(0.0, np.pi, 181)
        at = _Spectra(materials, [wl_pattern], env)
        from kerker.mie import efficiencies_layered

        table = at.table.numpy()
        res = efficiencies_layered([table[index[:top, l]] for l in range(index.shape[1])],
                                   np.cumsum(thickness[:top], axis=1), [wl_pattern], env)
        pattern = res.amplitudes(theta).q_unpolarized[:, 0, :]
    from kerker import __version__

    meta = {
        "objective": objective.describe(),
        "config": {"method": method, "physics": "exact", "layers": layers, "starts": starts, "iterations": iterations,
                   "lr": lr, "materials": [materials[i] for i in allowed], "fix": fix,
                   "thickness_range": list(thickness_range), "tol": tol, "patience": patience, "screen": screen,
                   "env": env, "relaxation": relaxation if method == "latent" else None},
        "seed": int(seed), "search": extra, "kerker_version": __version__, "torch_version": str(torch.__version__),
    }
    return LayeredDesignResult(
        method, tuple(materials), index, thickness, loss, objective.wavelength.copy(), q_fwd, q_back,
        full[0].numpy(), full[1].numpy(), history, evaluations, time.perf_counter() - t0, wl_pattern, theta, pattern,
        meta,
    )


def _layered_generator(generator, layers: int, materials: tuple, thickness_range: tuple):
    """The generator of the latent method: ``generator`` or the shipped one for ``layers``, checked."""
    if generator is None:
        from kerker.models import SHIPPED_GENERATORS, load_generator

        if layers not in SHIPPED_GENERATORS:
            raise ValueError(
                f"method='latent' with layers={layers} needs a generator trained on {layers}-layer designs; kerker "
                f"ships them for layers {sorted(SHIPPED_GENERATORS)}: train one with `kerker train wgan --layers "
                f"{layers}` and pass it as generator=Generator.from_checkpoint(...) (kerker design --generator PATH), or use method='de' or 'cma'"
            )
        generator = load_generator(layers=layers)
    if generator.n_layers != layers:
        raise ValueError(f"the generator makes {generator.n_layers}-layer designs, not layers={layers}")
    if tuple(generator.materials) != tuple(materials):
        raise ValueError(f"generator materials {generator.materials} differ from the design's {materials}")
    for name, (lo, hi) in (("core radius", generator.r_range), ("layer thickness", generator.t_range)):
        if thickness_range[0] < lo or thickness_range[1] > hi:
            raise ValueError(
                f"method='latent' designs within the generator's training range ({name} {lo:g}-{hi:g} nm); got "
                f"thickness_range {tuple(thickness_range)}: use method='enumerate', 'de' or 'cma' for other ranges"
            )
    return generator
