"""Figures (matplotlib, Agg backend): axes labelled with units, parameters in the caption line."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (backend first)
import numpy as np  # noqa: E402


def _finish(fig, path, caption: str | None):
    if caption:
        fig.text(0.01, 0.005, caption, fontsize=7, va="bottom")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=150, metadata={"Software": None})   # no timestamp: reproducible files
    plt.close(fig)
    return path


def dispersion(path, curves, ylabel: str, out, *, title: str, caption: str | None = None, labels=None):
    """Plot columns of ``curves`` (npts, ncurves) along a :class:`numeric.brillouin.Path`; ``labels`` adds a legend."""
    fig, ax = plt.subplots(figsize=(5.4, 3.8))
    if labels is None:
        ax.plot(path.distance, curves, color="k", lw=1.2)
    else:
        for column, label in zip(np.asarray(curves).T, labels):
            ax.plot(path.distance, column, lw=1.4, label=label)
        ax.axhline(0.0, color="0.6", lw=0.5)
        ax.legend(frameon=False, fontsize=8)
    for t in path.ticks:
        ax.axvline(t, color="0.7", lw=0.6)
    ax.set_xticks(path.ticks, path.labels)
    ax.set_xlim(path.distance[0], path.distance[-1])
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return _finish(fig, out, caption)


def zone_map(kx, ky, values, out, *, title: str, label: str, caption: str | None = None, contours: bool = False,
             symmetric: bool = False, hexagon=None):
    """Colour map (or iso-lines) of a quantity over a region of k-space, axes in 1/Å."""
    fig, ax = plt.subplots(figsize=(4.6, 4))
    if symmetric:
        vmax = float(np.nanmax(np.abs(values))) or 1.0
        kw = dict(cmap="RdBu_r", vmin=-vmax, vmax=vmax)
    else:
        kw = dict(cmap="viridis")
    if contours:
        cs = ax.contour(kx, ky, values, levels=14, cmap="viridis")
        fig.colorbar(cs, ax=ax, label=label)
    else:
        im = ax.pcolormesh(kx, ky, values, shading="auto", **kw)
        fig.colorbar(im, ax=ax, label=label)
    if hexagon is not None:
        h = np.vstack([hexagon, hexagon[:1]])
        ax.plot(h[:, 0], h[:, 1], color="k", lw=0.8)
    ax.set_aspect("equal")
    ax.set_xlabel(r"$k_x$ (1/Å)")
    ax.set_ylabel(r"$k_y$ (1/Å)")
    ax.set_title(title)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return _finish(fig, out, caption)
