"""The three figures of the lattice engine (paper Figs. 1-3), each from one call.

1. ``gradient_error``: relative error of forward / central finite-difference gradients of
   J against the float64 analytic gradient, versus the step h (the "V-curve"), with the
   analytic gradient's own error against a 40-digit mpmath reference drawn as a line.
2. ``convergence``: ``J* - J`` along BFGS runs with analytic, forward and central
   gradients, versus objective evaluations.
3. ``trajectories``: BFGS paths over the J landscape, with the fundamental domain, its
   images under SL(2, Z) and the images of ``tau*``.

Matplotlib runs on the Agg backend; functions return the data they plot (JSON-ready).
"""

from __future__ import annotations

import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import mpmath as mp  # noqa: E402
import numpy as np  # noqa: E402

from kerker.lattice._objective import J_STAR, TAU_STAR, objective  # noqa: E402
from kerker.lattice._optimize import (  # noqa: E402
    GRADIENTS,
    OptimizeConfig,
    OptimizeReport,
    compare_gradients,
    distance_to_optimum,
)

FIG_TAU = 0.2 + 1.3j  # the generic test point of the V-curve
_COLORS = {"analytic": "tab:orange", "forward": "tab:blue", "central": "tab:green"}


def _j_mpmath(tau):
    """J at a point of F in 40-digit arithmetic: E2 Lambert series and the L-sums (note §4e)."""
    y = tau.imag
    q = mp.exp(2j * mp.pi * tau)
    e2 = 1 - 24 * mp.nsum(lambda m: m * q**m / (1 - q**m), [1, mp.inf])
    l0 = mp.nsum(lambda m: q**m / (m**3 * (1 - q**m)), [1, mp.inf])
    l1 = mp.nsum(lambda m: q**m / (m**2 * (1 - q**m) ** 2), [1, mp.inf])
    g2s = mp.pi**2 / 3 * (e2 - 3 / (mp.pi * y))
    s40 = mp.pi**4 / 45 + mp.pi * mp.zeta(3) / y**3 + 4 * mp.pi**2 / y**2 * mp.re(l1) + 2 * mp.pi / y**3 * mp.re(l0)
    return y * abs(g2s) - y**2 * s40


def reference_gradient(tau: complex = FIG_TAU, dps: int = 40) -> np.ndarray:
    """``(dJ/dx, dJ/dy)`` at ``tau`` (in F, kappa = 1) by mpmath differentiation at ``dps`` digits."""
    with mp.workdps(dps):
        x0, y0 = mp.mpf(tau.real), mp.mpf(tau.imag)
        gx = mp.diff(lambda u: _j_mpmath(mp.mpc(u, y0)), x0)
        gy = mp.diff(lambda v: _j_mpmath(mp.mpc(x0, v)), y0)
        return np.array([float(gx), float(gy)])


def gradient_error_data(tau: complex = FIG_TAU, steps=None) -> dict:
    """FD-vs-analytic relative gradient errors over steps ``h`` (Fig. 1 data)."""
    steps = np.logspace(-15, -1, 57) if steps is None else np.asarray(steps, dtype=float)
    g = objective(tau).grad
    ref = reference_gradient(tau)
    value = float(objective(tau).value)
    fwd, cen = [], []
    for h in steps:
        jx1, jy1 = objective(tau + h).value, objective(tau + 1j * h).value
        jx0, jy0 = objective(tau - h).value, objective(tau - 1j * h).value
        gf = np.array([(jx1 - value) / h, (jy1 - value) / h])
        gc = np.array([(jx1 - jx0) / (2 * h), (jy1 - jy0) / (2 * h)])
        fwd.append(float(np.linalg.norm(gf - g) / np.linalg.norm(g)))
        cen.append(float(np.linalg.norm(gc - g) / np.linalg.norm(g)))
    return {
        "tau": [tau.real, tau.imag],
        "steps": steps.tolist(),
        "forward_rel_error": fwd,
        "central_rel_error": cen,
        "analytic_rel_error_vs_mpmath": float(np.linalg.norm(g - ref) / np.linalg.norm(ref)),
        "analytic_grad": g.tolist(),
        "reference_grad_mpmath40": ref.tolist(),
    }


def plot_gradient_error(data: dict, path) -> None:
    """Fig. 1: the V-curve."""
    fig, ax = plt.subplots(figsize=(6.0, 4.2))
    for kind, marker in (("forward", "o-"), ("central", "s-")):
        errors = np.maximum(data[f"{kind}_rel_error"], 1e-17)
        ax.loglog(data["steps"], errors, marker, ms=3, color=_COLORS[kind], label=f"{kind} FD")
    ax.axhline(
        max(data["analytic_rel_error_vs_mpmath"], 1e-17),
        color=_COLORS["analytic"],
        lw=2,
        label="analytic (float64) vs 40-digit mpmath",
    )
    ax.set_xlabel("finite-difference step h")
    ax.set_ylabel("relative error of grad J")
    t = data["tau"]
    ax.set_title(f"Gradient of J at tau = {t[0]:g}+{t[1]:g}i (FD measured against the analytic gradient)", fontsize=8)
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_convergence(report: OptimizeReport, path) -> None:
    """Fig. 2: ``J* - J`` and the distance to ``tau*`` versus objective evaluations."""
    fig, axes = plt.subplots(1, 2, figsize=(10.0, 4.2))
    for g in GRADIENTS:
        first = True
        for r in (r for r in report.runs if r.gradient == g):
            ev = [h[0] for h in r.history]
            gap = [max(J_STAR - h[3], 1e-16) for h in r.history]
            dist = [max(distance_to_optimum(complex(h[1], h[2])), 1e-16) for h in r.history]
            label = f"{g} gradient" if first else None
            axes[0].semilogy(ev, gap, "-", color=_COLORS[g], alpha=0.7, lw=1.2, label=label)
            axes[1].semilogy(ev, dist, "-", color=_COLORS[g], alpha=0.7, lw=1.2, label=label)
            first = False
    axes[0].axhline(1e-15, color="grey", ls=":", lw=1)
    axes[0].set_ylabel("J* - J  (clipped at 1e-16; float64 floor ~1e-15)")
    axes[1].axhline(1e-8, color="grey", ls=":", lw=1)
    axes[1].set_ylabel("|reduced tau - tau*|")
    for ax in axes:
        ax.set_xlabel("objective evaluations")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(
        f"BFGS from {report.config.n_starts} starts (kappa = {report.config.kappa:g}, gtol = {report.config.gtol:g}, "
        f"polish = {report.config.polish_steps})",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _group_words(depth: int):
    """Matrices of SL(2, Z) as words in S, T^k (|k| <= 2) up to ``depth`` letters."""
    s = np.array([[0, -1], [1, 0]])
    gens = [s] + [np.array([[1, k], [0, 1]]) for k in (-2, -1, 1, 2)]
    seen = {(1, 0, 0, 1)}
    frontier = [np.eye(2, dtype=int)]
    out = [np.eye(2, dtype=int)]
    for _ in range(depth):
        nxt = []
        for m in frontier:
            for g in gens:
                p = g @ m
                key = tuple(int(v) * (1 if p[1, 0] > 0 or (p[1, 0] == 0 and p[1, 1] > 0) else -1) for v in p.ravel())
                if key not in seen:
                    seen.add(key)
                    nxt.append(p)
                    out.append(p)
        frontier = nxt
    return out


def _mobius(m, z):
    return (m[0, 0] * z + m[0, 1]) / (m[1, 0] * z + m[1, 1])


def plot_trajectories(report: OptimizeReport, path, xlim=(-1.0, 1.0), ylim=(0.1, 2.3)) -> dict:
    """Fig. 3: analytic-gradient BFGS paths on the J landscape with F and its images."""
    xs = np.linspace(*xlim, 321)
    ys = np.linspace(*ylim, 281)
    xx, yy = np.meshgrid(xs, ys)
    jj = np.asarray(objective(xx + 1j * yy, report.config.kappa).value, dtype=float)
    fig, ax = plt.subplots(figsize=(7.0, 6.0))
    levels = np.linspace(max(np.percentile(jj, 5), -12.0), J_STAR, 30)
    cs = ax.contourf(xx, yy, np.clip(jj, levels[0], None), levels=levels, cmap="viridis")
    fig.colorbar(cs, ax=ax, label="J(tau)")
    # boundary of F: two vertical half-lines and the arc from rho^2 to rho
    top = 40.0
    edges = [
        0.5 + 1j * np.linspace(np.sqrt(3) / 2, top, 400),
        -0.5 + 1j * np.linspace(np.sqrt(3) / 2, top, 400),
        np.exp(1j * np.linspace(np.pi / 3, 2 * np.pi / 3, 200)),
    ]
    stars = []
    for k, m in enumerate(_group_words(4)):
        for e in edges:
            z = _mobius(m, e)
            ax.plot(z.real, z.imag, color="white" if k else "red", lw=0.5 if k else 1.8, alpha=0.6 if k else 1.0)
        zs = _mobius(m, TAU_STAR)
        if xlim[0] <= zs.real <= xlim[1] and ylim[0] <= zs.imag <= ylim[1]:
            stars.append(complex(zs))
    stars = sorted(set((round(z.real, 9), round(z.imag, 9)) for z in stars))
    ax.plot([z[0] for z in stars], [z[1] for z in stars], "*", color="gold", ms=12, mec="k", label="images of tau*")
    paths = []
    for r in (r for r in report.runs if r.gradient == "analytic"):
        px = [h[1] for h in r.history]
        py = [h[2] for h in r.history]
        ax.plot(px, py, ".-", color="tab:orange", lw=1.2, ms=4)
        ax.plot(px[0], py[0], "o", color="white", mec="k", ms=6)
        paths.append({"x": px, "y": py})
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.set_xlabel("Re tau")
    ax.set_ylabel("Im tau")
    ax.set_title("BFGS (analytic gradient) on J; red: fundamental domain, white: its images", fontsize=9)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return {"paths": paths, "tau_star_images": [list(z) for z in stars]}


def make_figures(out_dir, config: OptimizeConfig = OptimizeConfig()) -> dict:
    """Write ``lattice_gradient_error.png``, ``lattice_convergence.png`` and
    ``lattice_trajectories.png`` into ``out_dir``; return the plotted data.

    Parameters
    ----------
    out_dir : str or Path
        Output folder (created if missing).
    config : OptimizeConfig
        BFGS comparison behind Figs. 2 and 3.

    Returns
    -------
    dict
        JSON-ready data: V-curve arrays, BFGS report, trajectories, file names.
    """
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    vdata = gradient_error_data()
    plot_gradient_error(vdata, out / "lattice_gradient_error.png")
    report = compare_gradients(config)
    plot_convergence(report, out / "lattice_convergence.png")
    tdata = plot_trajectories(report, out / "lattice_trajectories.png")
    return {
        "files": ["lattice_gradient_error.png", "lattice_convergence.png", "lattice_trajectories.png"],
        "gradient_error": vdata,
        "optimization": report.to_dict(),
        "trajectories": tdata,
    }
