"""Search methods of :func:`kerker.inverse_design`: one function per method, one contract.

Each method receives the validated problem (:class:`Problem`) and returns hard final
designs (material indices, sizes in nm), the search physics' loss of each, a loss
history and the number of evaluations; the entry point re-scores everything with exact
Mie theory and ranks it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, replace

import numpy as np
import torch

__all__ = ["METHODS", "Problem", "SearchOutcome", "descend", "frozen", "mask_materials", "nevergrad_search"]


@dataclass(frozen=True)
class Problem:
    """A validated design problem (built by :func:`kerker.inverse_design`)."""

    objective: object
    physics: object
    materials: tuple
    core_choices: np.ndarray  # allowed core material indices into ``materials``
    shell_choices: np.ndarray
    r_range: tuple
    t_range: tuple
    starts: int
    iterations: int
    lr: float
    seed: int
    tol: float
    patience: int
    progress: Callable | None
    #: Independent problems solved in one batch (the test-set study): group g owns rows
    #: ``g * rows_per_group ... (g + 1) * rows_per_group - 1`` and seeds its starts with
    #: ``group_seeds[g]``, so its result does not depend on the other groups.
    group_seeds: tuple = ()
    #: Screening before the descent: ``latent`` draws ``screen`` x ``starts`` latent vectors
    #: per group and keeps the best ``starts``; ``enumerate`` scores a ``screen`` x ``screen``
    #: grid of sizes per pair and starts from the best grid points. 0 or 1: random starts.
    screen: int = 0
    #: ``latent`` with ``screen > 1``: keep the screened starts spread over the (core, shell)
    #: pairs (:func:`stratified_keep`) instead of the best ``starts`` by loss alone.
    stratify: bool = False

    @property
    def seeds(self) -> tuple:
        return self.group_seeds or (self.seed,)


@dataclass(frozen=True)
class SearchOutcome:
    core_index: np.ndarray
    shell_index: np.ndarray
    r_core: np.ndarray
    t_shell: np.ndarray
    search_loss: np.ndarray
    history: np.ndarray
    evaluations: int
    extra: dict


def _report(problem: Problem, it: int, best: float) -> None:
    if problem.progress is not None:
        problem.progress(it, problem.iterations, best)


def _converged(history: list[np.ndarray], tol: float, patience: int) -> bool:
    """Early stop: no start improved its best loss by more than ``tol`` (relative) in ``patience`` iterations."""
    p = patience
    if p <= 0 or len(history) <= p:
        return False
    old = np.minimum.reduce(history[: -p])
    new = np.minimum(old, np.minimum.reduce(history[-p:]))
    return bool(((old - new) <= tol * np.maximum(np.abs(old), 1e-12)).all())


def descend(opt: torch.optim.Optimizer, loss_of: Callable[[], torch.Tensor], *, iterations: int, tol: float,
            patience: int, report: Callable | None = None) -> list[np.ndarray]:
    """The one Adam loop of the gradient methods: step, record each start's loss, report, stop early.

    ``loss_of()`` returns the loss of every start (N,); ``report(iteration, best_loss)`` runs
    after every step. Returns the per-start loss of each step taken.
    """
    history: list[np.ndarray] = []
    for it in range(iterations):
        loss = loss_of()
        opt.zero_grad(set_to_none=True)
        loss.sum().backward()
        opt.step()
        history.append(loss.detach().numpy().copy())
        if report is not None:
            report(it + 1, float(history[-1].min()))
        if _converged(history, tol, patience):
            break
    return history


def _descend(problem: Problem, opt: torch.optim.Optimizer, loss_of: Callable[[], torch.Tensor]) -> list[np.ndarray]:
    return descend(opt, loss_of, iterations=problem.iterations, tol=problem.tol, patience=problem.patience,
                   report=lambda it, best: _report(problem, it, best))


def mask_materials(p: torch.Tensor, choices: np.ndarray, n: int) -> torch.Tensor:
    """Restrict material probabilities to the allowed indices (renormalised)."""
    if choices.size == n:
        return p
    keep = torch.zeros(n, dtype=p.dtype)
    keep[torch.as_tensor(choices)] = 1.0
    q = p * keep
    return q / q.sum(1, keepdim=True).clamp_min(1e-30)


def _soft_loss(problem: Problem, p_core, p_shell, r, t) -> torch.Tensor:
    q_fwd, q_back = problem.physics.soft(p_core, p_shell, r, t)
    return problem.objective(q_fwd, q_back)


def _hard_loss(problem: Problem, core_index, shell_index, r, t) -> torch.Tensor:
    """Search-physics loss of hard designs (one-hot probabilities)."""
    m = len(problem.materials)
    eye = torch.eye(m, dtype=torch.float64)
    return _soft_loss(problem, eye[torch.as_tensor(core_index)], eye[torch.as_tensor(shell_index)],
                      torch.as_tensor(r, dtype=torch.float64), torch.as_tensor(t, dtype=torch.float64))


def _sizes(u: torch.Tensor, rng: tuple, trng: tuple) -> tuple[torch.Tensor, torch.Tensor]:
    """Unconstrained (2, N) parameters -> sizes strictly inside the ranges (nm)."""
    s = torch.sigmoid(u)
    return rng[0] + (rng[1] - rng[0]) * s[0], trng[0] + (trng[1] - trng[0]) * s[1]


def decode_with(generator, z, fix_core, fix_shell, problem: Problem):
    """Generator output -> (p_core, p_shell, r_core, t_shell), float64, restricted to the problem."""
    m = len(problem.materials)
    soft = generator.decode(z, hard=False, fix_core=fix_core, fix_shell=fix_shell)
    p_core = mask_materials(soft.p_core.to(torch.float64), problem.core_choices, m)
    p_shell = mask_materials(soft.p_shell.to(torch.float64), problem.shell_choices, m)
    r = soft.r_core.to(torch.float64).clamp(*problem.r_range)
    t = soft.t_shell.to(torch.float64).clamp(*problem.t_range)
    return p_core, p_shell, r, t


@contextmanager
def frozen(module: torch.nn.Module):
    """The module's weights do not require gradients inside the block (restored after), so the
    backward passes of the descent compute the latent vectors' gradients only."""
    flags = [(p, p.requires_grad) for p in module.parameters()]
    module.requires_grad_(False)
    try:
        yield module
    finally:
        for p, flag in flags:
            p.requires_grad_(flag)


def run_latent(problem: Problem, generator) -> SearchOutcome:
    """N latent vectors through the generator, optimised concurrently with Adam (Soun et al., Sec. II.E)."""
    with frozen(generator):
        return _run_latent(problem, generator)


def stratified_keep(loss: np.ndarray, pair: np.ndarray, starts: int) -> np.ndarray:
    """Indices of the ``starts`` screened candidates kept, spread over the material pairs.

    Round robin by rank within each pair: every pair's best candidate (lowest ``loss``),
    then every pair's second best, and so on, each round in order of loss, until ``starts``
    are kept. ``pair`` labels each candidate. Returned in order of loss.
    """
    order = np.argsort(loss, kind="stable")
    p = pair[order]
    by_pair = np.argsort(p, kind="stable")  # positions grouped by pair, in order of loss inside each
    grouped = p[by_pair]
    first = np.r_[0, np.flatnonzero(np.diff(grouped)) + 1]
    rank = np.empty(order.size, dtype=np.int64)
    rank[by_pair] = np.arange(grouped.size) - np.repeat(first, np.diff(np.r_[first, grouped.size]))
    picked = np.lexsort((np.arange(order.size), rank))[:starts]  # by rank, then by loss
    return order[np.sort(picked)]


def _run_latent(problem: Problem, generator) -> SearchOutcome:
    m = len(problem.materials)
    fix_core = int(problem.core_choices[0]) if problem.core_choices.size == 1 else None
    fix_shell = int(problem.shell_choices[0]) if problem.shell_choices.size == 1 else None
    k = max(1, problem.screen)
    z = torch.cat([generator.sample_latent(k * problem.starts, seed=s) for s in problem.seeds])
    screened = 0
    if k > 1 and problem.stratify:  # the best `starts` of k * starts per group, spread over the pairs
        with torch.no_grad():
            p_core, p_shell, r, t = decode_with(generator, z, fix_core, fix_shell, problem)
            cand = _soft_loss(problem, p_core, p_shell, r, t).numpy()
        pair = (p_core.argmax(1) * m + p_shell.argmax(1)).numpy()
        per = k * problem.starts
        keep = np.concatenate([g * per + stratified_keep(cand[g * per : (g + 1) * per], pair[g * per : (g + 1) * per],
                                                        problem.starts) for g in range(len(problem.seeds))])
        z = z[torch.as_tensor(keep)]
        screened = cand.size
    elif k > 1:  # keep the best `starts` of k * starts candidates per group (forward only)
        with torch.no_grad():
            cand = _soft_loss(problem, *decode_with(generator, z, fix_core, fix_shell, problem))
        keep = cand.reshape(len(problem.seeds), -1).argsort(1)[:, : problem.starts]
        offset = torch.arange(len(problem.seeds)).unsqueeze(1) * (k * problem.starts)
        z = z[(keep + offset).reshape(-1)]
        screened = cand.numel()
    z = z.clone().requires_grad_(True)
    opt = torch.optim.Adam([z], lr=problem.lr)

    def decode(zz):
        return decode_with(generator, zz, fix_core, fix_shell, problem)

    history = _descend(problem, opt, lambda: _soft_loss(problem, *decode(z)))
    with torch.no_grad():
        p_core, p_shell, r, t = decode(z)
    core_index = p_core.argmax(1).numpy()
    shell_index = p_shell.argmax(1).numpy()
    with torch.no_grad():
        final = _hard_loss(problem, core_index, shell_index, r, t).numpy()
    return SearchOutcome(
        core_index, shell_index, r.numpy(), t.numpy(), final, np.asarray(history),
        z.shape[0] * (len(history) + 1) + screened,
        {"iterations_run": len(history), "rows_per_group": problem.starts, "screened": screened},
    )


def _grid_starts(problem: Problem, pairs: np.ndarray, per_pair: int) -> torch.Tensor:
    """Sigmoid parameters (2, groups * pairs * per_pair) of the best grid points per pair and group."""
    g = problem.screen
    cells = (torch.arange(g, dtype=torch.float64) + 0.5) / g  # cell centres in (0, 1)
    fr, ft = torch.meshgrid(cells, cells, indexing="ij")
    fr, ft = fr.reshape(-1), ft.reshape(-1)
    m = len(problem.materials)
    eye = torch.eye(m, dtype=torch.float64)
    pc = eye[torch.as_tensor(np.repeat(pairs[:, 0], g * g))]
    ps = eye[torch.as_tensor(np.repeat(pairs[:, 1], g * g))]
    r = problem.r_range[0] + (problem.r_range[1] - problem.r_range[0]) * fr.repeat(len(pairs))
    t = problem.t_range[0] + (problem.t_range[1] - problem.t_range[0]) * ft.repeat(len(pairs))
    groups = len(problem.seeds)
    with torch.no_grad():
        q_fwd, q_back = problem.physics.soft(pc, ps, r, t)  # the grid's spectra do not depend on the group
        loss = problem.objective(q_fwd.repeat(groups, 1), q_back.repeat(groups, 1))
    best = loss.reshape(groups, len(pairs), g * g).argsort(2)[:, :, :per_pair]  # (groups, pairs, per_pair)
    frac = torch.stack([fr, ft])[:, best.reshape(-1)]  # grid index -> fractions
    return torch.logit(frac)


def run_enumerate(problem: Problem, generator=None) -> SearchOutcome:
    """Every allowed (core, shell) pair, multi-start Adam on the sizes, all pairs in one batch."""
    pairs = np.array([(c, s) for c in problem.core_choices for s in problem.shell_choices], dtype=np.int64)
    per_pair = max(1, math.ceil(problem.starts / len(pairs)))
    groups = len(problem.seeds)
    core_index = np.tile(np.repeat(pairs[:, 0], per_pair), groups)
    shell_index = np.tile(np.repeat(pairs[:, 1], per_pair), groups)
    n = core_index.size
    rows = n // groups
    screened = 0
    if problem.screen > 1:
        # More starts per pair than grid points: the grid grows to hold them (distinct starts).
        problem = replace(problem, screen=max(problem.screen, math.isqrt(per_pair - 1) + 1))
        u = _grid_starts(problem, pairs, per_pair)
        screened = groups * len(pairs) * problem.screen**2
    else:
        u = torch.cat(
            [torch.randn(2, rows, generator=torch.Generator().manual_seed(s), dtype=torch.float64)
             for s in problem.seeds],
            dim=1,
        )
    u = u.requires_grad_(True)
    opt = torch.optim.Adam([u], lr=problem.lr)
    m = len(problem.materials)
    eye = torch.eye(m, dtype=torch.float64)
    p_core, p_shell = eye[torch.as_tensor(core_index)], eye[torch.as_tensor(shell_index)]
    history = _descend(
        problem, opt, lambda: _soft_loss(problem, p_core, p_shell, *_sizes(u, problem.r_range, problem.t_range))
    )
    with torch.no_grad():
        r, t = _sizes(u, problem.r_range, problem.t_range)
        final = _soft_loss(problem, p_core, p_shell, r, t).numpy()
    return SearchOutcome(
        core_index, shell_index, r.numpy(), t.numpy(), final, np.asarray(history), n * (len(history) + 1) + screened,
        {"iterations_run": len(history), "pairs": int(len(pairs)), "starts_per_pair": per_pair, "rows_per_group": rows,
         "screened": screened},
    )


def nevergrad_search(choices, lower, upper, loss_of, *, population: int, iterations: int, seed: int, family: str,
                     report=None) -> tuple[list, np.ndarray, np.ndarray, np.ndarray, str]:
    """nevergrad's DE or CMA-ES over discrete materials per layer and bounded sizes, whole populations batched.

    Parameters
    ----------
    choices : list of ndarray of int
        Allowed material indices of each layer (L entries).
    lower, upper : ndarray, shape (S,)
        Bounds of the S continuous sizes (nm).
    loss_of : callable
        ``loss_of(indices, sizes) -> ndarray (N,)`` with ``indices`` a list of L int arrays
        (N,) and ``sizes`` (N, S), for one population.
    population, iterations, seed, family
        Population size, generations, seed of nevergrad's sampling, ``"de"`` or ``"cma"``.
    report : callable, optional
        ``report(iteration, best_loss)`` after every generation.

    Returns
    -------
    indices : list of L ndarray (E,), sizes : ndarray (E, S), loss : ndarray (E,), history : ndarray (iterations,)
        Every evaluated design (E = population x iterations), the best loss per generation,
        and the optimizer's name.
    """
    try:
        import nevergrad as ng
    except ImportError as err:  # pragma: no cover - nevergrad is a dependency
        raise ImportError("methods 'de' and 'cma' need nevergrad: pip install nevergrad") from err
    # Materials are categorical: one weight per allowed material, the design takes the largest
    # (what ng.p.Choice(deterministic=True) does); sizes are bounded scalars. The same search
    # space (same dimensions, initial point and step sizes) as a Dict of Choices and Scalars, written as plain arrays because
    # nevergrad's per-candidate cost of those containers dominated the run: measured per
    # ask + tell at population 100, DE 3.0 -> 1.3 ms, CMA 9.3 -> 2.5 ms (a 25,000-evaluation
    # run spent ~75 s there against ~2 s of Mie theory).
    choices = [np.asarray(c) for c in choices]
    param = ng.p.Tuple(
        *(ng.p.Array(shape=(c.size,)) for c in choices),
        ng.p.Array(shape=(len(lower),), lower=np.asarray(lower, dtype=np.float64), upper=np.asarray(upper, dtype=np.float64)),
    )
    param.random_state = np.random.RandomState(seed)
    budget = population * iterations
    if family == "de":
        # Soun et al. Sec. III.A: nevergrad's Differential Evolution, population 100.
        optimizer = ng.families.DifferentialEvolution(popsize=population)(param, budget=budget, num_workers=population)
    else:
        optimizer = ng.families.ParametrizedCMA(popsize=population)(param, budget=budget, num_workers=population)
    seen_i, seen_x, seen_l, history = [], [], [], []
    best = math.inf
    with torch.no_grad():
        for it in range(iterations):
            cands = [optimizer.ask() for _ in range(population)]
            values = [x.value for x in cands]
            idx = [c[np.array([np.argmax(v[layer]) for v in values])] for layer, c in enumerate(choices)]
            sizes = np.array([v[-1] for v in values], dtype=np.float64)
            loss = np.asarray(loss_of(idx, sizes))
            for x, v in zip(cands, loss):
                optimizer.tell(x, float(v))
            seen_i.append(idx), seen_x.append(sizes), seen_l.append(loss)
            history.append(float(loss.min()))
            best = min(best, history[-1])
            if report is not None:
                report(it + 1, best)
    indices = [np.concatenate([s[layer] for s in seen_i]) for layer in range(len(choices))]
    return indices, np.concatenate(seen_x), np.concatenate(seen_l), np.asarray(history), type(optimizer).__name__


def _nevergrad(problem: Problem, family: str) -> SearchOutcome:
    if len(problem.seeds) != 1:
        raise ValueError("population methods solve one problem at a time (one group)")
    pop = problem.starts
    (allc, alls), sizes, alll, history, name = nevergrad_search(
        [problem.core_choices, problem.shell_choices],
        [problem.r_range[0], problem.t_range[0]], [problem.r_range[1], problem.t_range[1]],
        lambda idx, x: _hard_loss(problem, idx[0], idx[1], x[:, 0], x[:, 1]).numpy(),
        population=pop, iterations=problem.iterations, seed=problem.seed, family=family,
        report=lambda it, best: _report(problem, it, best),
    )
    allr, allt = sizes[:, 0], sizes[:, 1]
    keep = np.argsort(alll, kind="stable")[:pop]  # the best `pop` designs evaluated (hall of fame)
    return SearchOutcome(
        allc[keep], alls[keep], allr[keep], allt[keep], alll[keep], np.minimum.accumulate(history)[:, None],
        int(alll.size), {"optimizer": name, "population": pop, "rows_per_group": pop},
    )


def run_de(problem: Problem, generator=None) -> SearchOutcome:
    """nevergrad's Differential Evolution; materials categorical, sizes continuous, whole populations batched."""
    return _nevergrad(problem, "de")


def run_cma(problem: Problem, generator=None) -> SearchOutcome:
    """nevergrad's CMA-ES (population ``starts``) on the same parametrization as ``de``."""
    return _nevergrad(problem, "cma")


METHODS = {"latent": run_latent, "enumerate": run_enumerate, "de": run_de, "cma": run_cma}
