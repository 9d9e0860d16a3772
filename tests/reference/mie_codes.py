"""Adapters that run external Mie codes in kerker's conventions (test-only).

Every adapter takes absolute complex refractive indices ``n_core, n_shell`` of shape
(P, W) (Im > 0 is loss, time dependence exp(-i omega t)), radii in nm of shape (P,),
vacuum wavelengths in nm of shape (W,) and a real medium index, and returns the five
efficiencies ``q_ext, q_sca, q_abs, q_fwd, q_back`` of shape (P, W) with the definitions
of ``mie_mpmath`` (cross sections over pi r_outer^2; Q_fwd and Q_back differential
at theta = 0 and pi, Q_back being Bohren & Huffman's backscattering efficiency).

Each code's own convention, checked numerically against ``mie_mpmath`` in
``tests/mie/test_references.py::test_adapter_conventions``:

* treams 0.4 (tfp-photonics/treams, ``treams.coeffs.mie``, the function
  ``treams.TMatrix.sphere`` assembles its T-matrix from): exp(-i omega t), Im eps > 0
  lossy, size parameters ``k0 r`` with the *vacuum* wave number, permittivities listed
  inside-out with the embedding medium last.  It returns, per degree l, the 2x2 block in
  the helicity basis ``[[A, B], [B, A]]``; the parity-basis T-matrix entries are
  ``A + B = -a_l`` (TM, electric) and ``A - B = -b_l`` (TE, magnetic).
* scattnlay 2.4 (Pena & Pal 2009): exp(-i omega t), Im m > 0 lossy, relative indices and
  size parameters inside-out; its ``Qext, Qsca, Qabs, Qbk`` are ours, and
  ``Q_fwd = 4 |S1(0)|^2 / x^2``.
* pymiecs 0.5 (P. Wiecha, the paper's solver): B&H conventions; its ``qfwd, qback`` are
  our Q_fwd, Q_back (the paper's eq. printed them swapped; the code is right).
* miepython 3 (S. Prahl), homogeneous spheres only: takes ``m = n - i k``, so we pass
  ``conj(n)``; its ``a_n, b_n`` then equal B&H's, its ``qback`` is our Q_back.
"""

from __future__ import annotations

import warnings

import numpy as np

KEYS = ("q_ext", "q_sca", "q_abs", "q_fwd", "q_back")


def wiscombe(x) -> np.ndarray:
    """Wiscombe (1980) truncation order for outer size parameter ``x`` (elementwise)."""
    x = np.asarray(x, float)
    return np.round(x + 4.05 * np.cbrt(x) + 2.0).astype(int)


#: Orders added on top of Wiscombe's estimate in the references: thin plasmonic shells
#: carry more high-order weight than a homogeneous sphere of the same size (Wiscombe alone
#: leaves ~1e-6 there), and extra orders of a converged series cost nothing in accuracy.
EXTRA_ORDERS = 12


def efficiencies_from_coefficients(a, b, x_outer) -> dict:
    """The five efficiencies from ``a, b`` with orders on the last axis.

    Parameters
    ----------
    a, b : ndarray of complex, shape (..., N)
        Coefficients of orders 1..N (zero-padded orders contribute nothing).
    x_outer : ndarray, shape (...)
        Outer size parameter ``k r_outer``.
    """
    n = np.arange(1, a.shape[-1] + 1)
    w = 2 * n + 1
    sign = (-1.0) ** n
    x2 = np.asarray(x_outer, float) ** 2
    q_ext = 2.0 / x2 * np.sum(w * (a + b).real, axis=-1)
    q_sca = 2.0 / x2 * np.sum(w * (np.abs(a) ** 2 + np.abs(b) ** 2), axis=-1)
    return {
        "q_ext": q_ext,
        "q_sca": q_sca,
        "q_abs": q_ext - q_sca,
        "q_fwd": np.abs(np.sum(w * (a + b), axis=-1)) ** 2 / x2,
        "q_back": np.abs(np.sum(w * sign * (a - b), axis=-1)) ** 2 / x2,
    }


def _sizes(r_core, r_outer, wavelength, n_env):
    k = 2.0 * np.pi * n_env / np.asarray(wavelength, float)  # (W,)
    x_core = np.asarray(r_core, float)[:, None] * k
    x_outer = np.asarray(r_outer, float)[:, None] * k
    return x_core, x_outer


def _treams_layers(n_layers, radii, wavelength, n_env, n_max=None):
    """``a_n, b_n`` of a layered sphere from ``treams.coeffs.mie``, shape (P, W, N).

    ``n_layers`` are (P, W) absolute indices and ``radii`` (P,) radii in nm, inside-out.
    ``n_max`` defaults to Wiscombe + ``EXTRA_ORDERS`` of each particle's largest outer
    size parameter; orders above a particle's own ``n_max`` are left zero (evaluating
    Bessel functions of very high order at tiny arguments would only overflow).
    """
    import treams.coeffs

    n_layers = [np.asarray(n, complex) for n in n_layers]
    shape = np.broadcast_shapes(*(n.shape for n in n_layers))
    k0 = 2.0 * np.pi / np.asarray(wavelength, float)
    r = np.stack([np.asarray(ri, float) for ri in radii], -1)  # (P, L)
    x0 = r[:, None, :] * k0[None, :, None]  # (P, W, L): treams wants vacuum k0 r
    eps = np.stack([np.broadcast_to(n**2, shape) for n in n_layers] + [np.full(shape, n_env**2 + 0j)], -1)
    x_outer = x0[..., -1] * n_env
    if n_max is None:
        per_particle = wiscombe(np.max(x_outer, axis=-1)) + EXTRA_ORDERS  # (P,)
    else:
        per_particle = np.full(r.shape[0], int(n_max))
    top = int(per_particle.max())
    a = np.zeros(x_outer.shape + (top,), complex)
    b = np.zeros_like(a)
    mu = np.ones(len(n_layers) + 1)
    kappa = np.zeros(len(n_layers) + 1)
    for l in range(1, top + 1):  # noqa: E741 - treams' name for the degree
        sel = per_particle >= l
        t = treams.coeffs.mie(l, x0[sel], eps[sel], mu, kappa)  # (p, W, 2, 2), helicity basis
        a[sel, :, l - 1] = -(t[..., 0, 0] + t[..., 0, 1])
        b[sel, :, l - 1] = -(t[..., 0, 0] - t[..., 0, 1])
    return a, b


def treams_coefficients(n_core, n_shell, r_core, r_outer, wavelength, n_env=1.0, n_max=None):
    """Core-shell ``a_n, b_n`` from treams, shape (P, W, N) (see ``_treams_layers``)."""
    return _treams_layers([n_core, n_shell], [r_core, r_outer], wavelength, n_env, n_max)


def treams_efficiencies(n_core, n_shell, r_core, r_outer, wavelength, n_env=1.0) -> dict:
    """The five core-shell efficiencies from treams' Mie coefficients, each (P, W)."""
    a, b = treams_coefficients(n_core, n_shell, r_core, r_outer, wavelength, n_env)
    _, x_outer = _sizes(r_core, r_outer, wavelength, n_env)
    return efficiencies_from_coefficients(a, b, x_outer)


def treams_sphere_efficiencies(n_sphere, radius, wavelength, n_env=1.0) -> dict:
    """The five efficiencies of a homogeneous sphere (one treams layer), each (P, W)."""
    a, b = _treams_layers([n_sphere], [radius], wavelength, n_env)
    _, x_outer = _sizes(radius, radius, wavelength, n_env)
    return efficiencies_from_coefficients(a, b, x_outer)


def scattnlay_efficiencies(n_core, n_shell, r_core, r_outer, wavelength, n_env=1.0) -> dict:
    """The five efficiencies from scattnlay's own ``Qext, Qsca, Qabs, Qbk`` and ``S1(0)``.

    scattnlay's batched wrapper mishandles rows with different term counts, so it is
    called once per particle and wavelength (as a user would).
    """
    from scattnlay import scattnlay

    x_core, x_outer = _sizes(r_core, r_outer, wavelength, n_env)
    m_core = np.asarray(n_core, complex) / n_env
    m_shell = np.asarray(n_shell, complex) / n_env
    out = {k: np.empty(x_outer.shape) for k in KEYS}
    theta = np.array([0.0])
    for p in range(x_outer.shape[0]):
        for w in range(x_outer.shape[1]):
            _, q_ext, q_sca, q_abs, q_bk, *_, s1, _ = scattnlay(
                np.array([x_core[p, w], x_outer[p, w]]), np.array([m_core[p, w], m_shell[p, w]]), theta=theta
            )
            out["q_ext"][p, w] = q_ext
            out["q_sca"][p, w] = q_sca
            out["q_abs"][p, w] = q_abs
            out["q_back"][p, w] = q_bk
            out["q_fwd"][p, w] = 4.0 * abs(s1[0]) ** 2 / x_outer[p, w] ** 2
    return out


def pymiecs_efficiencies(n_core, n_shell, r_core, r_outer, wavelength, n_env=1.0) -> dict:
    """The five efficiencies from ``pymiecs.Q``, one call per particle (as the paper did).

    The truncation order is Wiscombe + ``EXTRA_ORDERS`` (pymiecs' own default is plain
    Wiscombe).  Floating-point warnings from its direct Bessel products are silenced:
    the comparison, not a warning, judges the result.
    """
    import pymiecs

    k0 = 2.0 * np.pi / np.asarray(wavelength, float)
    _, x_outer = _sizes(r_core, r_outer, wavelength, n_env)
    n_max = wiscombe(np.max(x_outer, axis=-1)) + EXTRA_ORDERS
    out = {k: np.empty(x_outer.shape) for k in KEYS}
    for p in range(x_outer.shape[0]):
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            q = pymiecs.Q(
                k0,
                r_core=float(r_core[p]),
                n_core=np.asarray(n_core[p]),
                r_shell=float(r_outer[p]),
                n_shell=np.asarray(n_shell[p]),
                n_env=n_env,
                n_max=int(n_max[p]),
            )
        for key, theirs in zip(KEYS, ("qext", "qsca", "qabs", "qfwd", "qback")):
            out[key][p] = np.ravel(q[theirs])
    return out


def miepython_efficiencies(n_sphere, radius, wavelength, n_env=1.0) -> dict:
    """Homogeneous-sphere efficiencies from miepython, shape (P, W).

    ``Q_ext, Q_sca, Q_back`` are miepython's own; ``Q_fwd`` is formed from its ``a_n, b_n``.
    """
    import miepython

    _, x = _sizes(radius, radius, wavelength, n_env)
    m = np.conj(np.asarray(n_sphere, complex)) / n_env
    out = {k: np.empty(x.shape) for k in KEYS}
    for p in range(x.shape[0]):
        q_ext, q_sca, q_back, _ = miepython.efficiencies_mx(m[p], x[p])
        out["q_ext"][p] = q_ext
        out["q_sca"][p] = q_sca
        out["q_abs"][p] = q_ext - q_sca
        out["q_back"][p] = q_back
        for w in range(x.shape[1]):
            a, b = miepython.coefficients(m[p, w], x[p, w])
            n = np.arange(1, len(a) + 1)
            out["q_fwd"][p, w] = abs(np.sum((2 * n + 1) * (a + b))) ** 2 / x[p, w] ** 2
    return out


# --------------------------------------------------------------------------------------
# L-layer spheres
#
# The layered adapters take ``n_layers`` of shape (P, L, W): absolute complex refractive
# indices of each layer, innermost first (Im > 0 is loss), ``radii`` of shape (P, L): the
# outer radius of each layer in nm, non-decreasing, wavelengths (W,) in nm and a real
# medium index; they return the five efficiencies (P, W) as above, over pi r_L^2.
# Neither treams nor scattnlay accepts a layer of zero thickness (treams divides by the
# innermost radius; scattnlay's recurrences assume x_j > x_{j-1}), and such a layer has no
# volume, so the adapters drop it: particles are grouped by which layers remain.


def _layered_groups(radii):
    """{mask of layers with positive thickness (tuple of bool): particle indices}."""
    r = np.asarray(radii, float)
    if r.ndim != 2:
        raise ValueError(f"radii must be (P, L), got shape {r.shape}")
    inner = np.concatenate([np.zeros((r.shape[0], 1)), r[:, :-1]], axis=1)
    if np.any(r < inner) or np.any(r[:, -1] <= 0):
        raise ValueError("radii must be non-decreasing, >= 0, with a positive outer radius")
    keep = r > inner
    groups: dict = {}
    for p, mask in enumerate(map(tuple, keep)):
        groups.setdefault(mask, []).append(p)
    return {mask: np.array(idx) for mask, idx in groups.items()}


def treams_layered_coefficients(n_layers, radii, wavelength, n_env=1.0, n_max=None):
    """``a_n, b_n`` of L-layer spheres from ``treams.coeffs.mie``, shape (P, W, N).

    ``n_layers`` (P, L, W), ``radii`` (P, L) as described above; ``n_max`` as in
    ``_treams_layers`` (default per particle: Wiscombe + ``EXTRA_ORDERS``).
    """
    n_layers = np.asarray(n_layers, complex)
    radii = np.asarray(radii, float)
    wavelength = np.asarray(wavelength, float)
    parts = []
    for mask, idx in _layered_groups(radii).items():
        sel = [j for j, k in enumerate(mask) if k]
        a, b = _treams_layers([n_layers[idx, j] for j in sel], [radii[idx, j] for j in sel], wavelength, n_env, n_max)
        parts.append((idx, a, b))
    top = max(a.shape[-1] for _, a, _ in parts)
    a_all = np.zeros((radii.shape[0], len(wavelength), top), complex)
    b_all = np.zeros_like(a_all)
    for idx, a, b in parts:
        a_all[idx, :, : a.shape[-1]] = a
        b_all[idx, :, : b.shape[-1]] = b
    return a_all, b_all


def treams_layered_efficiencies(n_layers, radii, wavelength, n_env=1.0) -> dict:
    """The five efficiencies of L-layer spheres from treams' Mie coefficients, each (P, W)."""
    a, b = treams_layered_coefficients(n_layers, radii, wavelength, n_env)
    radii = np.asarray(radii, float)
    _, x_outer = _sizes(radii[:, -1], radii[:, -1], wavelength, n_env)
    return efficiencies_from_coefficients(a, b, x_outer)


def scattnlay_layered_efficiencies(n_layers, radii, wavelength, n_env=1.0) -> dict:
    """The five efficiencies of L-layer spheres from scattnlay, each (P, W).

    One call per particle and wavelength with relative indices and size parameters
    inside-out (zero-thickness layers dropped); its own ``Qext, Qsca, Qabs, Qbk`` and
    ``Q_fwd = 4 |S1(0)|^2 / x^2`` as in ``scattnlay_efficiencies``.
    """
    from scattnlay import scattnlay

    n_layers = np.asarray(n_layers, complex)
    radii = np.asarray(radii, float)
    k = 2.0 * np.pi * n_env / np.asarray(wavelength, float)  # (W,)
    groups = _layered_groups(radii)
    out = {key: np.empty((radii.shape[0], len(k))) for key in KEYS}
    theta = np.array([0.0])
    for mask, idx in groups.items():
        sel = np.flatnonzero(mask)
        for p in idx:
            x_all = radii[p, sel][None, :] * k[:, None]  # (W, L')
            m_all = n_layers[p][sel].T / n_env  # (W, L')
            for w in range(len(k)):
                _, q_ext, q_sca, q_abs, q_bk, *_, s1, _ = scattnlay(x_all[w], m_all[w], theta=theta)
                out["q_ext"][p, w] = q_ext
                out["q_sca"][p, w] = q_sca
                out["q_abs"][p, w] = q_abs
                out["q_back"][p, w] = q_bk
                out["q_fwd"][p, w] = 4.0 * abs(s1[0]) ** 2 / x_all[w, -1] ** 2
    return out
