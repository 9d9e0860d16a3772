"""The rMAE histogram (paper Fig. 2) says what its clipped last bin holds."""

import numpy as np
import pytest

from kerker.report import _training_plots
from kerker.report import plot_rmae_histograms


@pytest.fixture
def captured(monkeypatch):
    figures = []

    def fake_save(fig, out):
        figures.append(fig)
        return out

    monkeypatch.setattr(_training_plots, "_save", fake_save)
    return figures


def _texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_outliers_beyond_the_axis_are_counted_and_ranged(captured, tmp_path):
    v = np.full(400, 0.01)
    v[:200] = np.linspace(0.001, 0.02, 200)
    v[-1] = 0.30  # one spectrum at 30 %, far beyond the 99.5th percentile
    plot_rmae_histograms({"Q_fwd": v}, tmp_path / "h.png")
    (fig,) = captured
    (text,) = _texts(fig)
    n_over = int(np.count_nonzero(100 * v > np.quantile(100 * v, 0.995)))
    assert text.startswith(f"{n_over} spectra of ")
    assert "-30 %\ncounted in the last bin" in text
    assert fig.axes[0].get_xlim()[1] < 30


def test_no_note_when_nothing_is_clipped(captured, tmp_path):
    plot_rmae_histograms({"Q_back": np.full(50, 0.01)}, tmp_path / "h.png")
    (fig,) = captured
    assert _texts(fig) == []


def test_writes_a_png(tmp_path):
    out = plot_rmae_histograms({"Q_fwd": np.linspace(0, 0.05, 100), "Q_back": np.linspace(0, 0.06, 100)},
                               tmp_path / "h.png", title="t", reference={"Q_fwd": 0.008})
    assert out.exists() and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
