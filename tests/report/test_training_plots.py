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
    # 997 spectra at 1 % and three far out (0.3 % of them, all above the 99.5th percentile = 1 %)
    v = np.concatenate([np.full(997, 0.01), [0.20, 0.25, 0.30]])
    plot_rmae_histograms({"Q_fwd": v}, tmp_path / "h.png")
    (fig,) = captured
    (text,) = _texts(fig)
    assert text == "3 spectra of 1-30 %\ncounted in the last bin"
    bars = fig.axes[0].patches
    assert max(b.get_x() + b.get_width() for b in bars) == pytest.approx(1.0)  # the axis ends at 1 %
    assert bars[-1].get_height() == 1000  # the 997 at 1 % and the three clipped ones


def test_no_note_when_nothing_is_clipped(captured, tmp_path):
    plot_rmae_histograms({"Q_back": np.full(50, 0.01)}, tmp_path / "h.png")
    (fig,) = captured
    assert _texts(fig) == []


def test_writes_a_png(tmp_path):
    out = plot_rmae_histograms({"Q_fwd": np.linspace(0, 0.05, 100), "Q_back": np.linspace(0, 0.06, 100)},
                               tmp_path / "h.png", title="t", reference={"Q_fwd": 0.008})
    assert out.exists() and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
