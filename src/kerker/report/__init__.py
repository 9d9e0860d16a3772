"""Plots and reports: read computed results and draw them; no physics is computed here."""

from kerker._artifacts import provenance, write_json_atomic
from kerker.report._materials_plot import plot_refractive_index
from kerker.report._mie_plots import plot_radiation_pattern, plot_spectra
from kerker.report._verify_plots import plot_bridge, plot_contrast_maps, plot_normal_spectra

__all__ = [
    "plot_bridge",
    "plot_contrast_maps",
    "plot_normal_spectra",
    "plot_radiation_pattern",
    "plot_refractive_index",
    "plot_spectra",
    "provenance",
    "write_json_atomic",
]
