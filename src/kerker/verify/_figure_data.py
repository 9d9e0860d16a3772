"""The arrays the verification figures show, selected from :func:`run_verification`'s output."""

from __future__ import annotations

import numpy as np

from kerker.lattice import TAU_STAR
from kerker.verify._maps import xy_channels

__all__ = ["figure_data"]

# lattices labelled in the bridge scatter: label -> tau
_HIGHLIGHT = (("τ*", TAU_STAR), ("1.5i", 1.5j), ("i and ρ", 1j))


def figure_data(payload: dict, objects: dict) -> dict:
    """Select what ``kerker.report.plot_verification`` draws from one verification run.

    Parameters
    ----------
    payload, objects : dict
        The two results of :func:`kerker.verify.run_verification`.

    Returns
    -------
    dict
        ``maps`` (if the maps ran): ``wavelength`` (W,) in nm, ``theta_deg`` (A,),
        ``contrasts[lattice][family]`` = ``|R_x - R_y|`` (W, A) for the s and p families,
        ``normal_spectra[lattice]`` = ``R_x``, ``R_y`` (W,) of the s family at the smallest
        angle of incidence. ``bridge`` (if the bridge ran): ``rod``, ``dipole`` (L,),
        ``t_split``, ``dipole_measured`` (W, L), ``wavelengths`` (W,), ``headline`` (index of
        the headline wavelength), ``stats`` (Pearson and Spearman there, the slopes of ``D``
        per wavelength), ``highlight`` (label -> lattice index for tau*, 1.5i and i),
        ``n_lattices``.
    """
    data = {}
    if "maps" in objects:
        maps = objects["maps"]
        first = next(iter(maps.values()))
        normal = int(np.argmin(first.theta))
        spectra = {}
        for name, m in maps.items():
            ch = xy_channels(m, "s")
            spectra[name] = {"R_x": ch["R_x"][:, normal], "R_y": ch["R_y"][:, normal]}
        data["maps"] = {
            "wavelength": first.wavelength,
            "theta_deg": np.degrees(first.theta),
            "contrasts": {name: {"s": m.contrast("s", "R"), "p": m.contrast("p", "R")} for name, m in maps.items()},
            "normal_spectra": spectra,
        }
    if "bridge" in objects:
        br = objects["bridge"]
        b = payload["bridge"]
        head = list(br.wavelengths).index(b["headline_wavelength_nm"])
        corr = b["correlation_t_split_vs_rod"][head]
        highlight = {}
        for label, target in _HIGHLIGHT:
            for k, t in enumerate(br.taus):
                if abs(t - target) < 1e-9:
                    highlight[label] = k
        data["bridge"] = {
            "rod": br.rod,
            "dipole": br.dipole,
            "t_split": br.measured["t_split"],
            "dipole_measured": br.measured["dipole_measured"],
            "wavelengths": br.wavelengths,
            "headline": head,
            "stats": {
                "pearson": corr["pearson"],
                "spearman": corr["spearman"],
                "slopes": [c["slope"] for c in b["correlation_dipole_measured_vs_dipole"]],
            },
            "highlight": highlight,
            "n_lattices": len(br.taus),
        }
    return data
