"""One seaborn theme for every figure, and helpers that give each figure a title, labelled axes and a source line."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import seaborn as sns

DEFAULT_SOURCE = "crackdown curated data (data/); see data/README.md"
FIGURE_DPI = 100  # keeps each HTML page small (figures are embedded as PNG)


def set_theme() -> None:
    """The project's plotting theme (call once per notebook, before plotting).

    Text is drawn as written: ``$`` in a firm name, an amount ("US$2.8bn") or a title taken from the data never
    starts matplotlib's mathtext (which would garble the label or fail the figure on unbalanced ``$``).
    """
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")
    matplotlib.rcParams.update({"figure.dpi": FIGURE_DPI, "savefig.dpi": FIGURE_DPI, "figure.autolayout": False,
                                "text.parse_math": False})


def label(ax: plt.Axes, title: str, xlabel: str, ylabel: str) -> plt.Axes:
    """Title and axis labels (with units) on one axes."""
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


def add_source(fig: plt.Figure, source: str = DEFAULT_SOURCE) -> plt.Figure:
    """A source line under the figure, and a layout that leaves room for it."""
    fig.text(0.01, 0.005, f"Source: {source}", ha="left", va="bottom", fontsize=8, color="#555555")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def finish(fig: plt.Figure, ax: plt.Axes, title: str, xlabel: str, ylabel: str, source: str = DEFAULT_SOURCE) -> plt.Figure:
    """Label ``ax`` and add the source line to ``fig``: every figure of the report goes through here."""
    label(ax, title, xlabel, ylabel)
    return add_source(fig, source)


def source_line(fig: plt.Figure) -> str | None:
    """The source line of a figure made by :func:`add_source`, or None (used by tests)."""
    texts = [t.get_text() for t in fig.texts if t.get_text().startswith("Source: ")]
    return texts[0] if texts else None
