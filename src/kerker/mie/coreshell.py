"""Mie coefficients of a core-shell sphere (a homogeneous sphere is the special case).

The core-shell sphere is the two-layer case of :mod:`kerker.mie.layers`, which holds the
recursion and its numerical choices; this module keeps the core-shell signatures.

Notation: ``m_core``, ``m_shell`` are refractive indices relative to the embedding
medium, ``x_core = k r_core``, ``x_shell = k r_shell`` with ``k = 2 pi n_env / wavelength``
and ``r_shell`` the *outer* radius. Time dependence ``exp(-i omega t)``: Im m > 0 is loss.
"""

from __future__ import annotations

import torch

from kerker.mie.layers import layer_coefficients_orders_first

__all__ = ["coefficients_orders_first", "coefficients_torch"]


def coefficients_orders_first(
    m_core: torch.Tensor,
    m_shell: torch.Tensor,
    x_core: torch.Tensor,
    x_shell: torch.Tensor,
    n_max: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Core-shell Mie coefficients with the order axis first, shape (n_max, B).

    The L = 2 case of :func:`kerker.mie.layers.layer_coefficients_orders_first` (the one
    implementation of the layer recursion); see :func:`coefficients_torch` for the parameters.
    """
    m = torch.stack([m_core, m_shell])
    x = torch.stack([x_core.to(torch.complex128), x_shell.to(torch.complex128)])
    return layer_coefficients_orders_first(m, x, n_max)


def coefficients_torch(
    m_core: torch.Tensor,
    m_shell: torch.Tensor,
    x_core: torch.Tensor,
    x_shell: torch.Tensor,
    n_max: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Core-shell Mie coefficients ``a_n, b_n`` for ``n = 1 .. n_max`` (torch, no validation).

    Parameters
    ----------
    m_core, m_shell : torch.Tensor, complex128, shape (B,)
        Relative refractive indices of core and shell.
    x_core, x_shell : torch.Tensor, float64 or complex128, shape (B,)
        Size parameters of the core radius and of the outer radius, ``0 < x_core <= x_shell``.
    n_max : int
        Number of orders.

    Returns
    -------
    a, b : torch.Tensor, complex128, shape (B, n_max)
        Electric (``a_n``) and magnetic (``b_n``) scattering coefficients, BH convention.

    Notes
    -----
    Inputs are validated by the public wrappers (:func:`kerker.mie.mie_coefficients`,
    :func:`kerker.efficiencies`); this kernel assumes finite, positive sizes.
    """
    a, b = coefficients_orders_first(m_core, m_shell, x_core, x_shell, n_max)
    return a.T, b.T
