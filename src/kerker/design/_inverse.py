"""``kerker.inverse_design``: one entry point, swappable methods and physics."""

from __future__ import annotations

import math
import time

import numpy as np
import torch

from kerker.design._methods import METHODS, Problem
from kerker.design._objectives import as_objective
from kerker.design._physics import ExactPhysics, SurrogatePhysics, exact_spectra, hold_permittivities
from kerker.design._result import FULL_WAVELENGTH, DesignResult
from kerker.mie import scattering_pattern

__all__ = ["inverse_design"]

PHYSICS = ("surrogate", "exact")
# Per-method default learning rate: the paper's 0.01 for latent vectors; the size
# parameters of `enumerate` live on a sigmoid scale where 0.05 converges in ~100 steps.
_DEFAULT_LR = {"latent": 0.01, "enumerate": 0.05}
_DEFAULT_SCREEN = {"latent": 1, "enumerate": 16}


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _range(name: str, value) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a pair (low, high) in nm, got {value!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo < hi):
        raise ValueError(f"{name} must satisfy 0 < low < high (nm, finite), got {value!r}")
    return lo, hi


def _choices(name: str, fixed, allowed: np.ndarray, materials: tuple) -> np.ndarray:
    if fixed is None:
        return allowed
    if fixed not in materials:
        raise ValueError(f"{name} must be one of the materials {list(materials)}, got {fixed!r}")
    idx = materials.index(fixed)
    if idx not in allowed:
        raise ValueError(f"{name}={fixed!r} is not among the allowed materials {[materials[i] for i in allowed]}")
    return np.array([idx])


def _allowed(materials, model_materials: tuple) -> np.ndarray:
    """Indices into ``model_materials`` of the allowed materials (all by default)."""
    if materials is None:
        return np.arange(len(model_materials))
    names = [materials] if isinstance(materials, str) else list(materials)
    unknown = [m for m in names if m not in model_materials]
    if unknown or not names:
        raise ValueError(f"materials must be a non-empty subset of {list(model_materials)}, got {names!r}")
    return np.array(sorted({model_materials.index(m) for m in names}))


def _layered(objective, layers, method, physics, starts, iterations, lr, seed, materials, fix, thickness_range,
             fix_core, fix_shell, tol, patience, screen, progress, generator, relaxation):
    from kerker.design._layered import layered_design
    from kerker.materials import PAPER_MATERIALS

    if physics != "exact":
        raise ValueError(f"layers={layers} runs on exact Mie theory only (the surrogate knows core-shell particles): "
                         "use physics='exact'")
    if fix_core is not None or fix_shell is not None:
        raise ValueError(f"fix_core and fix_shell describe core-shell particles; with layers={layers} use fix=[...] "
                         "with one entry per layer")
    model_materials = tuple(PAPER_MATERIALS)
    allowed = _allowed(materials, model_materials)
    return layered_design(
        objective, layers, method, starts=starts, iterations=iterations, lr=float(lr), seed=int(seed),
        materials=model_materials, allowed=allowed, fix=fix, thickness_range=_range("thickness_range", thickness_range),
        tol=float(tol), patience=int(patience), screen=int(screen), progress=progress, generator=generator,
        relaxation=relaxation,
    )


def inverse_design(
    objective,
    method: str = "latent",
    physics: str = "surrogate",
    *,
    starts: int = 500,
    iterations: int = 100,
    lr: float | None = None,
    seed: int = 0,
    fix_core: str | None = None,
    fix_shell: str | None = None,
    materials=None,
    r_range=(1.0, 100.0),
    t_range=(1.0, 100.0),
    tol: float = 1e-6,
    patience: int = 20,
    relaxation: str = "straight-through",
    screen: int | None = None,
    stratify: bool = False,
    surrogate=None,
    generator=None,
    progress=None,
    layers: int = 2,
    fix=None,
    thickness_range=(1.0, 100.0),
):
    """Find core-shell particles of discrete materials that minimise ``objective``.

    Parameters
    ----------
    objective : kerker.design.Objective
        ``SpectrumMatch``, ``Directional``, ``Ratio``, ``Custom`` or a weighted sum; the
        physics evaluates only its wavelengths.
    method : {"latent", "enumerate", "de", "cma"}
        ``"latent"``: ``starts`` latent vectors of the shipped WGAN-GP generator optimised
        concurrently with Adam (Soun et al.); ``"enumerate"``: every allowed material pair,
        multi-start Adam on the sizes; ``"de"`` / ``"cma"``: nevergrad's Differential
        Evolution / CMA-ES with population ``starts`` for ``iterations`` generations.
    physics : {"surrogate", "exact"}
        What scores designs during the search: the shipped ResNet (its 64-point
        400-800 nm grid only) or exact Mie theory (any wavelength). Final designs are
        always re-scored with exact Mie theory.
    starts, iterations : int
        Concurrent starts (population size for de/cma) and iterations (generations).
    lr : float, optional
        Adam learning rate (latent: 0.01, the paper's; enumerate: 0.05).
    seed : int
        Seed of the starts (and of nevergrad's sampling).
    fix_core, fix_shell : str, optional
        Fix a material (the paper's silicon core: ``fix_core="Si"``).
    materials : sequence of str, optional
        Allowed materials (default: all of the model's / the seven paper materials).
    r_range, t_range : (float, float)
        Core radius and shell thickness ranges in nm; every design lies inside.
        The latent method cannot leave the generator's training range (1-100 nm).
    tol, patience : float, int
        Early stop of gradient methods when the best loss improved by less than ``tol``
        (relative) over ``patience`` iterations; ``patience=0`` never stops early.
    relaxation : {"straight-through", "mix"}
        How the generator's soft materials enter exact Mie theory (``physics="exact"``).
    screen : int, optional
        Screening before the descent, forward evaluations only. ``latent``: draw
        ``screen * starts`` latent vectors and descend from the best ``starts`` (default 1:
        random starts, as the paper); ``enumerate``: score a ``screen x screen`` grid of
        sizes per pair and descend from its best points (default 16); with ``layers != 2``,
        each material sequence descends from the best of ``screen`` times as many random
        thicknesses.
    stratify : bool, default False
        ``latent`` with ``screen > 1``: keep the screened starts spread over the material
        pairs (each pair's best, then each pair's second best, ...) instead of the best
        ``starts`` by loss alone, so that a pair whose random sizes score badly is still
        descended (docs/design.md: fewer targets end with the wrong materials).
    surrogate, generator : optional
        Models to use instead of the shipped ones.
    progress : callable, optional
        ``progress(iteration, iterations, best_loss)`` after every iteration.
    layers : int, default 2
        Layers of the particle. 2: core-shell (every method, either physics). Any other
        count runs :mod:`kerker.design._layered` on exact Mie theory (``physics="exact"``)
        with ``method`` ``"enumerate"`` (every material sequence: small L), ``"de"``,
        ``"cma"`` or ``"latent"`` (a generator trained on L-layer designs: shipped for
        L = 3, ``kerker train wgan --layers L`` for others); ``fix`` and
        ``thickness_range`` then replace ``fix_core``/``fix_shell`` and ``r_range``/``t_range``.
    fix : sequence of (str or None), optional
        With ``layers != 2``: one entry per layer, innermost first, a material to fix it
        to or None (free).
    thickness_range : (float, float)
        With ``layers != 2``: the range of every layer's thickness in nm (the first
        layer's is its radius).

    Returns
    -------
    DesignResult or LayeredDesignResult
        All final designs ranked by exact loss; ``result.best`` the winner
        (:class:`kerker.design.LayeredDesignResult` when ``layers != 2``).

    Raises
    ------
    ValueError
        Unknown method/physics/material, bad ranges or counts, or an objective whose
        wavelengths the surrogate does not cover (use ``physics="exact"``).
    """
    t0 = time.perf_counter()
    objective = as_objective(objective)
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    if physics not in PHYSICS:
        raise ValueError(f"physics must be one of {PHYSICS}, got {physics!r}")
    starts = _positive_int("starts", starts)
    iterations = _positive_int("iterations", iterations)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {seed!r}")
    lr = _DEFAULT_LR.get(method, 0.0) if lr is None else lr
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr >= 0) or (method in _DEFAULT_LR and lr <= 0):
        raise ValueError(f"lr must be a finite number > 0, got {lr!r}")
    r_range, t_range = _range("r_range", r_range), _range("t_range", t_range)
    if not (isinstance(tol, (int, float)) and math.isfinite(tol) and tol >= 0):
        raise ValueError(f"tol must be a finite number >= 0, got {tol!r}")
    if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)) or patience < 0:
        raise ValueError(f"patience must be an integer >= 0, got {patience!r}")
    screen = _DEFAULT_SCREEN.get(method, 0) if screen is None else screen
    if isinstance(screen, bool) or not isinstance(screen, (int, np.integer)) or screen < 0:
        raise ValueError(f"screen must be an integer >= 0, got {screen!r}")

    if not isinstance(stratify, (bool, np.bool_)):
        raise TypeError(f"stratify must be True or False, got {stratify!r}")
    if stratify and (method != "latent" or layers != 2):
        raise ValueError(f"stratify applies to method='latent' on core-shell particles (layers=2); "
                         f"got method={method!r}, layers={layers!r}")
    if isinstance(layers, bool) or not isinstance(layers, (int, np.integer)) or layers < 1:
        raise ValueError(f"layers must be a positive integer, got {layers!r}")
    if layers != 2:
        return _layered(objective, int(layers), method, physics, starts, iterations, lr, seed, materials, fix,
                        thickness_range, fix_core, fix_shell, tol, patience, screen, progress, generator, relaxation)
    if fix is not None:
        raise ValueError("fix applies to layers != 2; a core-shell design takes fix_core and fix_shell")

    if physics == "surrogate" or method == "latent":
        from kerker.models import load_surrogate

        surrogate = surrogate or load_surrogate()
        model_materials = tuple(surrogate.materials)
    else:
        from kerker.materials import PAPER_MATERIALS

        model_materials = tuple(PAPER_MATERIALS)
    if method == "latent":
        from kerker.models import load_generator

        generator = generator or load_generator()
        if tuple(generator.materials) != model_materials:
            raise ValueError(f"generator materials {generator.materials} differ from the physics' {model_materials}")
        g_r, g_t = tuple(generator.r_range), tuple(generator.t_range)
        if r_range[0] < g_r[0] or r_range[1] > g_r[1] or t_range[0] < g_t[0] or t_range[1] > g_t[1]:
            raise ValueError(
                f"method='latent' designs within the generator's training ranges r_core {g_r} and t_shell {g_t} nm; "
                f"got r_range {r_range}, t_range {t_range}: use method='enumerate', 'de' or 'cma' for other ranges"
            )
    if physics == "surrogate":
        s_r, s_t = tuple(surrogate.r_range), tuple(surrogate.t_range)
        if r_range[0] < s_r[0] or r_range[1] > s_r[1] or t_range[0] < s_t[0] or t_range[1] > s_t[1]:
            raise ValueError(
                f"the surrogate was trained on r_core {s_r} and t_shell {s_t} nm only; got r_range {r_range}, "
                f"t_range {t_range}: use physics='exact'"
            )
        search = SurrogatePhysics(surrogate, objective.wavelength)
    else:
        search = ExactPhysics(model_materials, objective.wavelength, relaxation=relaxation)

    allowed = _allowed(materials, model_materials)
    core_choices = _choices("fix_core", fix_core, allowed, model_materials)
    shell_choices = _choices("fix_shell", fix_shell, allowed, model_materials)

    problem = Problem(
        objective, search, model_materials, core_choices, shell_choices, r_range, t_range, starts, iterations,
        float(lr), int(seed), float(tol), int(patience), progress, screen=int(screen), stratify=bool(stratify),
    )
    out = METHODS[method](problem, generator)

    # Every final design re-scored with exact Mie theory, on the objective and on 400-800 nm.
    q_fwd, q_back = exact_spectra(model_materials, out.core_index, out.shell_index, out.r_core, out.t_shell,
                                  objective.wavelength)
    with torch.no_grad():
        loss = objective(torch.as_tensor(q_fwd), torch.as_tensor(q_back)).numpy()
    order = np.argsort(loss, kind="stable")
    q_fwd_full, q_back_full = exact_spectra(
        model_materials, out.core_index[order], out.shell_index[order], out.r_core[order], out.t_shell[order],
        FULL_WAVELENGTH,
    )
    # Radiation patterns of the best few designs at the objective's (middle) wavelength.
    k = min(5, loss.size)
    best = order[:k]
    wl_pattern = float(objective.wavelength[objective.wavelength.size // 2])
    theta = np.linspace(0.0, np.pi, 181)
    eps = hold_permittivities(model_materials, [wl_pattern]).numpy()
    _, _, pattern = scattering_pattern(eps[out.core_index[best]], eps[out.shell_index[best]], out.r_core[best],
                                       out.t_shell[best], [wl_pattern], theta)
    from kerker import __version__

    meta = {
        "objective": objective.describe(),
        "config": {
            "method": method, "physics": physics, "starts": starts, "iterations": iterations, "lr": float(lr),
            "fix_core": fix_core, "fix_shell": fix_shell, "materials": [model_materials[i] for i in allowed],
            "r_range": list(r_range), "t_range": list(t_range), "tol": tol, "patience": patience,
            "relaxation": relaxation if physics == "exact" else None, "screen": int(screen),
            "stratify": bool(stratify),
        },
        "seed": int(seed),
        "search": out.extra,
        "kerker_version": __version__,
        "torch_version": str(torch.__version__),
    }
    return DesignResult(
        method=method, physics=physics, materials=model_materials,
        core_index=out.core_index[order], shell_index=out.shell_index[order],
        r_core=out.r_core[order], t_shell=out.t_shell[order], loss=loss[order], search_loss=out.search_loss[order],
        wavelength=objective.wavelength.copy(), q_fwd=q_fwd[order], q_back=q_back[order],
        q_fwd_full=q_fwd_full, q_back_full=q_back_full, history=out.history,
        evaluations=int(out.evaluations), wall_time=time.perf_counter() - t0,
        pattern_wavelength=wl_pattern, theta=theta, pattern=np.asarray(pattern)[:, 0, :], meta=meta,
    )
