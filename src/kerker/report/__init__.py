"""Plots and reports: read computed results and draw them; no physics is computed here."""

from kerker._artifacts import provenance, write_json_atomic
from kerker.report._materials_plot import plot_refractive_index
from kerker.report._mie_plots import plot_radiation_pattern, plot_spectra
from kerker.report._training_plots import plot_loss_curves, plot_rmae_histograms, plot_spectra_comparison
from kerker.report._verify_plots import plot_bridge, plot_contrast_maps, plot_normal_spectra
from kerker.report._wgan_plots import plot_latent_lines, plot_pair_counts, plot_wgan_fidelity, plot_wgan_losses

__all__ = [
    "plot_bridge",
    "plot_contrast_maps",
    "plot_latent_lines",
    "plot_loss_curves",
    "plot_normal_spectra",
    "plot_pair_counts",
    "plot_radiation_pattern",
    "plot_refractive_index",
    "plot_rmae_histograms",
    "plot_spectra",
    "plot_spectra_comparison",
    "plot_wgan_fidelity",
    "plot_wgan_losses",
    "provenance",
    "write_json_atomic",
]
