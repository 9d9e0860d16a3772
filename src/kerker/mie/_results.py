"""The result of an efficiency call and the far-field observables it derives on demand.

:class:`Efficiencies` holds the five efficiencies the solver computes directly and keeps
the call's refractive indices and size parameters, so that the other far-field
observables come from the same particles without a second validation: cross sections
(nm^2), the asymmetry parameter ``g`` and the radiation-pressure efficiency ``Q_pr``
(Bohren & Huffman 1983, eqs. 4.62 and 4.68 ff.), the extinction, scattering and
absorption of each electric and magnetic multipole, and the angular amplitudes ``S1, S2``
with their intensities and degree of polarisation (BH eqs. 4.74-4.79). These derived
observables compute the Mie coefficients once per result (the torch path of the same
recursion, :mod:`kerker.mie.layers`, to the outer size parameter's Wiscombe + 3 orders)
and carry gradients like the efficiencies do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import torch

from kerker.mie._inputs import UNBLOCKED_BYTES_PER_ROW, to_output
from kerker.mie._memory import check_memory
from kerker.mie.layers import layer_coefficients_orders_first
from kerker.mie.special import n_max_wiscombe

__all__ = ["Amplitudes", "Efficiencies", "MultipoleTerms", "Source", "angular_amplitudes"]


@dataclass(frozen=True)
class Source:
    """What an efficiency call computed from, kept small: the layers' relative indices (each
    broadcastable to (P, W): a material name costs W numbers, not P x W), the radii (P, L)
    in nm and the wave numbers k (W,) in 1/nm of the medium; torch out or not."""

    m_layers: tuple
    radii: torch.Tensor
    k: torch.Tensor
    use_torch: bool

    @property
    def r_outer(self) -> torch.Tensor:
        return self.radii[:, -1]

    @property
    def x_outer(self) -> torch.Tensor:
        """Outer size parameter, (P, W)."""
        return self.radii[:, -1:] * self.k

    def stacked(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``m`` and ``x`` of shape (L, P, W)."""
        shape = (self.radii.shape[0], self.k.shape[0])
        return torch.stack([t.expand(shape) for t in self.m_layers]), self.radii.T[:, :, None] * self.k


@dataclass(frozen=True)
class MultipoleTerms:
    """Efficiencies of each multipole order, shape (P, W, orders); index 0 is the dipole.

    ``ext_*`` is ``2 (2n+1) Re c_n / x^2``, ``sca_*`` is ``2 (2n+1) |c_n|^2 / x^2`` and
    ``abs_*`` their difference, with ``c_n = a_n`` (electric: ED, EQ, ...) or ``b_n``
    (magnetic: MD, MQ, ...). Summed over all orders they give ``q_ext``, ``q_sca``, ``q_abs``.
    """

    ext_electric: object
    ext_magnetic: object
    sca_electric: object
    sca_magnetic: object
    abs_electric: object
    abs_magnetic: object


@dataclass(frozen=True)
class Amplitudes:
    """Angular scattering of P particles at W wavelengths and T angles, shape (P, W, T).

    Attributes
    ----------
    theta : array or tensor, shape (T,)
        Scattering angles in radians.
    s1, s2 : complex
        Amplitudes ``S1`` (field perpendicular to the scattering plane) and ``S2``
        (parallel), BH eq. 4.74.
    i_per, i_par : real
        ``|S1|^2`` and ``|S2|^2``, BH's ``i_perp`` and ``i_par``.
    i_unpolarized : real
        ``(|S1|^2 + |S2|^2) / 2``, BH's ``S11``.
    degree_of_polarization : real
        ``(|S1|^2 - |S2|^2) / (|S1|^2 + |S2|^2)`` (``-S12 / S11``, BH eq. 4.79) for
        unpolarised incident light: +1 fully polarised perpendicular to the scattering
        plane, 0 at theta = 0 and pi. 0 where both intensities vanish.
    q_unpolarized, q_per, q_par : real
        Differential scattering efficiency ``4 pi / (pi r^2) dC/dOmega``, normalised like
        ``q_fwd``/``q_back``, for unpolarised incident light ``2 (|S1|^2 + |S2|^2) / x^2``
        and for incident fields perpendicular ``4 |S1|^2 / x^2`` and parallel
        ``4 |S2|^2 / x^2`` to the scattering plane (BH eq. 3.12); all three equal
        ``q_fwd`` at theta = 0 and ``q_back`` at pi.
    """

    theta: object
    s1: object
    s2: object
    i_per: object
    i_par: object
    i_unpolarized: object
    degree_of_polarization: object
    q_unpolarized: object
    q_per: object
    q_par: object


@dataclass(frozen=True)
class Efficiencies:
    """Efficiencies of P particles at W wavelengths; each field has shape (P, W).

    Derived on demand (torch tensors with gradients if the call had torch inputs):
    ``c_ext``, ``c_sca``, ``c_abs`` (cross sections in nm^2), ``g`` (asymmetry
    parameter), ``q_pr`` (radiation-pressure efficiency), :meth:`coefficients`,
    :meth:`multipoles` and :meth:`amplitudes`.

    Attributes
    ----------
    q_ext, q_sca, q_abs : array or torch.Tensor
        Extinction, scattering and absorption efficiencies.
    q_fwd, q_back : array or torch.Tensor
        Differential forward (theta = 0) and backward (theta = pi) scattering efficiencies.
    source : Source or None
        The particles the call computed from (None for a hand-built result).
    """

    q_ext: object
    q_sca: object
    q_abs: object
    q_fwd: object
    q_back: object
    source: Source | None = field(default=None, repr=False, compare=False)

    def _src(self) -> Source:
        if self.source is None:
            raise ValueError("this Efficiencies was built by hand, without its particles: derived observables need the result of an efficiency call")
        return self.source

    def _out(self, t: torch.Tensor):
        return to_output(t, self._src().use_torch)

    def _cross_section(self, q) -> object:
        src = self._src()
        area = math.pi * src.r_outer[:, None] ** 2
        return self._out(torch.as_tensor(q) * area)

    @property
    def c_ext(self):
        """Extinction cross section in nm^2, shape (P, W)."""
        return self._cross_section(self.q_ext)

    @property
    def c_sca(self):
        """Scattering cross section in nm^2, shape (P, W)."""
        return self._cross_section(self.q_sca)

    @property
    def c_abs(self):
        """Absorption cross section in nm^2, shape (P, W)."""
        return self._cross_section(self.q_abs)

    @cached_property
    def _coefficients(self) -> tuple[torch.Tensor, torch.Tensor]:
        src = self._src()
        m, x = src.stacked()
        n_layers, shape = m.shape[0], x.shape[1:]
        x_out = x[-1]
        n_max = n_max_wiscombe(float(x_out.detach().max()))
        check_memory("the Mie coefficients of a result", x_out.numel(), (n_max + 1) * UNBLOCKED_BYTES_PER_ROW * n_layers // 2,
                     0, f"{shape[0]:,} particles x {shape[1]:,} wavelengths")
        a, b = layer_coefficients_orders_first(m.reshape(n_layers, -1), x.reshape(n_layers, -1), n_max)
        return a.T.reshape(*shape, n_max), b.T.reshape(*shape, n_max)

    def coefficients(self):
        """Mie coefficients ``a_n, b_n`` of every particle and wavelength, shape (P, W, N).

        ``N`` is Wiscombe + 3 of the largest outer size parameter (orders beyond a
        particle's own truncation order are converged and tiny).
        """
        a, b = self._coefficients
        return self._out(a), self._out(b)

    @cached_property
    def _g_q_sca(self) -> torch.Tensor:
        a, b = self._coefficients
        n = torch.arange(1, a.shape[-1] + 1, dtype=torch.float64)
        x2 = self._src().x_outer ** 2
        # BH eq. 4.62: g Q_sca = 4/x^2 sum [n(n+2)/(n+1) Re(a_n a*_{n+1} + b_n b*_{n+1}) + (2n+1)/(n(n+1)) Re(a_n b*_n)]
        cross = (n[:-1] * (n[:-1] + 2) / (n[:-1] + 1) * (a[..., :-1] * a[..., 1:].conj() + b[..., :-1] * b[..., 1:].conj()).real).sum(-1)
        same = ((2 * n + 1) / (n * (n + 1)) * (a * b.conj()).real).sum(-1)
        return 4.0 / x2 * (cross + same)

    @property
    def g(self):
        """Asymmetry parameter ``<cos theta>`` of the scattered light, shape (P, W) (0 where Q_sca = 0)."""
        q_sca = torch.as_tensor(self.q_sca)
        g_q = self._g_q_sca
        return self._out(torch.where(q_sca > 0, g_q / torch.where(q_sca > 0, q_sca, 1.0), 0.0))

    @property
    def q_pr(self):
        """Radiation-pressure efficiency ``Q_ext - g Q_sca``, shape (P, W)."""
        return self._out(torch.as_tensor(self.q_ext) - self._g_q_sca)

    def multipoles(self, orders: int = 2) -> MultipoleTerms:
        """Extinction, scattering and absorption of the first ``orders`` electric and magnetic multipoles.

        Parameters
        ----------
        orders : int, default 2
            Orders returned (1: dipoles; 2: dipoles and quadrupoles). Orders beyond the
            truncation order are zero.

        Returns
        -------
        MultipoleTerms
            Six arrays of shape (P, W, orders).
        """
        if isinstance(orders, bool) or not isinstance(orders, (int, np.integer)) or orders < 1:
            raise ValueError(f"orders must be an integer >= 1, got {orders!r}")
        a, b = self._coefficients
        pad = max(0, int(orders) - a.shape[-1])
        if pad:
            a, b = (torch.nn.functional.pad(c, (0, pad)) for c in (a, b))
        a, b = a[..., :orders], b[..., :orders]
        n = torch.arange(1, int(orders) + 1, dtype=torch.float64)
        factor = 2.0 * (2.0 * n + 1.0) / self._src().x_outer.unsqueeze(-1) ** 2
        ext_e, ext_m = factor * a.real, factor * b.real
        sca_e, sca_m = factor * (a.real**2 + a.imag**2), factor * (b.real**2 + b.imag**2)
        return MultipoleTerms(*(self._out(t) for t in (ext_e, ext_m, sca_e, sca_m, ext_e - sca_e, ext_m - sca_m)))

    def amplitudes(self, theta) -> Amplitudes:
        """``S1, S2``, their intensities and the degree of polarisation at angles ``theta`` (radians, (T,)).

        Raises
        ------
        ValueError
            Non-finite or empty ``theta``.
        """
        th = theta.to(torch.float64) if isinstance(theta, torch.Tensor) else torch.as_tensor(np.asarray(theta, dtype=float))
        th = th.reshape(-1)
        if th.numel() == 0 or not bool(torch.isfinite(th.detach()).all()):
            raise ValueError(f"theta must be a non-empty array of finite angles in radians, got {th.detach().tolist()[:5]}")
        a, b = self._coefficients
        s1, s2 = (torch.as_tensor(s) for s in angular_amplitudes(a, b, th))
        i_per, i_par = s1.real**2 + s1.imag**2, s2.real**2 + s2.imag**2
        total = i_per + i_par
        dop = torch.where(total > 0, (i_per - i_par) / torch.where(total > 0, total, 1.0), 0.0)
        inv_x2 = 1.0 / self._src().x_outer.unsqueeze(-1) ** 2
        use_torch = self._src().use_torch or isinstance(theta, torch.Tensor)
        fields = (th, s1, s2, i_per, i_par, total / 2, dop, 2.0 * total * inv_x2, 4.0 * i_per * inv_x2, 4.0 * i_par * inv_x2)
        return Amplitudes(*(to_output(t, use_torch) for t in fields))


def angular_amplitudes(a, b, theta):
    """Scattering amplitudes ``S1(theta), S2(theta)`` (Bohren & Huffman eq. 4.74).

    Parameters
    ----------
    a, b : complex array or tensor, shape (..., N)
        Mie coefficients for orders ``1 .. N``.
    theta : array_like or tensor, shape (T,)
        Scattering angles in radians.

    Returns
    -------
    s1, s2 : complex, shape (..., T)
    """
    use_torch = any(isinstance(v, torch.Tensor) for v in (a, b, theta))
    a_t = torch.as_tensor(a, dtype=torch.complex128)
    b_t = torch.as_tensor(b, dtype=torch.complex128)
    th = theta.to(torch.float64) if isinstance(theta, torch.Tensor) else torch.as_tensor(np.asarray(theta, dtype=float))
    th = th.reshape(-1)
    n_orders = a_t.shape[-1]
    mu = torch.cos(th)
    # Angular functions pi_n, tau_n by upward recurrence (BH eq. 4.47).
    pis = [torch.zeros_like(mu), torch.ones_like(mu)]
    taus = [mu]
    for n in range(2, n_orders + 1):
        pis.append(((2 * n - 1) * mu * pis[-1] - n * pis[-2]) / (n - 1))
    pi_n = torch.stack(pis[1:], dim=-1)  # (T, N)
    for n in range(2, n_orders + 1):
        taus.append(n * mu * pi_n[:, n - 1] - (n + 1) * pi_n[:, n - 2])
    tau_n = torch.stack(taus, dim=-1)
    n = torch.arange(1, n_orders + 1, dtype=torch.float64)
    w = (2 * n + 1) / (n * (n + 1))
    aw, bw = a_t * w, b_t * w
    pi_c, tau_c = pi_n.to(torch.complex128).T, tau_n.to(torch.complex128).T
    s1 = aw @ pi_c + bw @ tau_c
    s2 = aw @ tau_c + bw @ pi_c
    return to_output(s1, use_torch), to_output(s2, use_torch)


