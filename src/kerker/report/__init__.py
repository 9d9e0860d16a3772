"""Plots and reports: read computed results and draw them; no physics is computed here.

Every figure is written through :func:`kerker._artifacts.write_figure_atomic`;
:func:`write_html_report` gathers figures, tables and text into one self-contained HTML page;
:func:`run_demo` (``kerker demo``) calls the design and lattice studies and reports them in one.
"""

from kerker.report._demo import DemoConfig, DemoRun, run_demo
from kerker.report._design_plots import (
    plot_design,
    plot_design_history,
    plot_inverse_examples,
    plot_inverse_histograms,
    plot_inverse_study,
)
from kerker.report._html import (
    FigureBlock,
    Paragraph,
    Preformatted,
    Section,
    TableBlock,
    write_html_report,
)
from kerker.report._kerker_plots import (
    plot_kerker_best,
    plot_kerker_lr_study,
    plot_kerker_optima,
    plot_kerker_study,
    plot_kerker_weight_sweep,
)
from kerker.report._lattice_plots import (
    plot_lattice_convergence,
    plot_lattice_figures,
    plot_lattice_gradient_error,
    plot_lattice_trajectories,
)
from kerker.report._materials_plot import plot_refractive_index
from kerker.report._mie_plots import plot_particle, plot_radiation_pattern, plot_spectra
from kerker.report._nearfield_plot import plot_near_field_xz
from kerker.report._training_plots import plot_loss_curves, plot_rmae_histograms, plot_spectra_comparison
from kerker.report._verify_plots import plot_bridge, plot_contrast_maps, plot_normal_spectra, plot_verification
from kerker.report._wgan_plots import (
    plot_latent_lines,
    plot_layer_fidelity,
    plot_pair_counts,
    plot_wgan_fidelity,
    plot_wgan_losses,
)

__all__ = [
    "plot_near_field_xz",
    "DemoConfig",
    "DemoRun",
    "FigureBlock",
    "Paragraph",
    "Preformatted",
    "Section",
    "TableBlock",
    "plot_bridge",
    "plot_contrast_maps",
    "plot_design",
    "plot_design_history",
    "plot_inverse_examples",
    "plot_inverse_histograms",
    "plot_inverse_study",
    "plot_kerker_best",
    "plot_kerker_lr_study",
    "plot_kerker_optima",
    "plot_kerker_study",
    "plot_kerker_weight_sweep",
    "plot_latent_lines",
    "plot_lattice_convergence",
    "plot_lattice_figures",
    "plot_lattice_gradient_error",
    "plot_lattice_trajectories",
    "plot_loss_curves",
    "plot_normal_spectra",
    "plot_layer_fidelity",
    "plot_pair_counts",
    "plot_particle",
    "plot_radiation_pattern",
    "plot_refractive_index",
    "plot_rmae_histograms",
    "plot_spectra",
    "plot_spectra_comparison",
    "plot_verification",
    "plot_wgan_fidelity",
    "plot_wgan_losses",
    "run_demo",
    "write_html_report",
]
