"""Figures (matplotlib, Agg backend): axes labelled with units, parameters in the caption line."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (backend first)
import numpy as np  # noqa: E402

from .files import atomic  # noqa: E402


def _finish(fig, path, caption: str | None):
    if caption:
        fig.text(0.01, 0.005, caption, fontsize=7, va="bottom")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic(path) as tmp:
        fig.savefig(tmp, dpi=150, format="png", metadata={"Software": None})   # no timestamp: reproducible files
    plt.close(fig)
    return path


def dispersion(path, curves, ylabel: str, out, *, title: str, caption: str | None = None, labels=None):
    """Plot columns of ``curves`` (npts, ncurves) along a :class:`numeric.model.brillouin.Path`; ``labels`` adds a legend."""
    fig, ax = plt.subplots(figsize=(5.4, 3.8))
    if labels is None:
        ax.plot(path.distance, curves, color="k", lw=1.2)
    else:
        for column, label in zip(np.asarray(curves).T, labels):
            ax.plot(path.distance, column, lw=1.4, label=label)
        ax.axhline(0.0, color="0.6", lw=0.5)
        ax.legend(frameon=False, fontsize=8)
    return _finish_path(fig, ax, path, ylabel, title, out, caption)


def path_axes(ax, path, ylabel: str, title: str | None = None):
    """Dress a matplotlib ``ax`` whose x axis is ``path.distance`` (1/Å): a vertical line and label at each
    high-symmetry point of the :class:`numeric.model.brillouin.Path`, the y label (with its unit) and a title.
    Used by the saved figures and by the notebooks' inline plots. Returns ``ax``."""
    for t in path.ticks:
        ax.axvline(t, color="0.7", lw=0.6)
    ax.set_xticks(path.ticks, path.labels)
    ax.set_xlim(path.distance[0], path.distance[-1])
    ax.set_xlabel("wave vector along the path")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def plot_along_path(ax, path, curves: dict, ylabel: str, *, errors: dict | None = None, title: str | None = None):
    """Curves ({label: (npts,) values}) along a path on ``ax``, each with a shaded ±error band if ``errors`` has it,
    a zero line, a legend and :func:`path_axes`. Returns ``ax``."""
    for label, values in curves.items():
        line, = ax.plot(path.distance, values, lw=1.4, label=label)
        if errors is not None and label in errors:
            ax.fill_between(path.distance, values - errors[label], values + errors[label], color=line.get_color(),
                            alpha=0.25, lw=0)
    ax.axhline(0.0, color="0.6", lw=0.5)
    ax.legend(frameon=False, fontsize=8)
    return path_axes(ax, path, ylabel, title)


def _finish_path(fig, ax, path, ylabel, title, out, caption):
    """Axes of a plot along a path (:func:`path_axes`), then save."""
    path_axes(ax, path, ylabel, title)
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


def _zone_points(lattice, q, values, margin: float = 1.15):
    """Zone points with their periodic images, kept within ``margin`` × |K| of Γ (enough to cover the hexagon)."""
    b = lattice.reciprocal
    shifts = np.array([i * b[0] + j * b[1] for i in (-1, 0, 1) for j in (-1, 0, 1)])
    pts = (np.asarray(q, float)[None, :, :] + shifts[:, None, :]).reshape(-1, 2)
    vals = np.tile(np.asarray(values, float), len(shifts))
    keep = np.linalg.norm(pts, axis=1) <= margin * np.linalg.norm(lattice.point("K"))
    return pts[keep], vals[keep]


def zone_hexagon(lattice):
    """The six corners of the first Brillouin zone (K, K′, …), 1/Å."""
    c = lattice.point("K")
    return np.array([[np.cos(a) * c[0] - np.sin(a) * c[1], np.sin(a) * c[0] + np.cos(a) * c[1]]
                     for a in np.arange(6) * np.pi / 3])


def zone_maps(lattice, q, fields: dict, out, *, title: str, label: str, caption: str | None = None, axis: str = "q"):
    """Side-by-side maps over the first Brillouin zone of several quantities known at the points ``q``
    ({subtitle: values}): linear interpolation on the Delaunay triangulation of the points and their periodic images,
    clipped to the hexagon; diverging colours centred on zero, one colour bar each; axes in 1/Å, named ``axis``
    (q for phonon momenta, k for electronic ones)."""
    from matplotlib.patches import Polygon
    from matplotlib.tri import Triangulation

    fig, axes = plt.subplots(1, len(fields), figsize=(4.4 * len(fields), 4.0), squeeze=False)
    hexagon = zone_hexagon(lattice)
    for ax, (name, values) in zip(axes[0], fields.items()):
        pts, vals = _zone_points(lattice, q, values)
        vmax = float(np.abs(vals).max()) or 1.0
        im = ax.tripcolor(Triangulation(pts[:, 0], pts[:, 1]), vals, shading="gouraud", cmap="RdBu_r",
                          vmin=-vmax, vmax=vmax)
        clip = Polygon(hexagon, closed=True, facecolor="none", edgecolor="k", lw=0.8)
        ax.add_patch(clip)
        im.set_clip_path(clip)
        fig.colorbar(im, ax=ax, label=label)
        r = 1.05 * np.linalg.norm(hexagon[0])
        ax.set_xlim(-r, r)
        ax.set_ylim(-r, r)
        ax.set_aspect("equal")
        ax.set_xlabel(rf"${axis}_x$ (1/Å)")
        ax.set_ylabel(rf"${axis}_y$ (1/Å)")
        ax.set_title(name, fontsize=10)
    fig.suptitle(title, fontsize=11 if len(fields) > 1 else 9)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return _finish(fig, out, caption)


def path_curves(path, curves: dict, errors: dict | None, ylabel: str, out, *, title: str, caption: str | None = None):
    """Curves along a :class:`numeric.model.brillouin.Path` ({label: values}), each with a shaded ±error band if given."""
    fig, ax = plt.subplots(figsize=(5.6, 3.9))
    plot_along_path(ax, path, curves, ylabel, errors=errors)
    return _finish_path(fig, ax, path, ylabel, title, out, caption)


MIN_CONTOUR_GRID = 5
"""Points per axis below which iso-lines through the cells mislead more than they show."""


def parameter_plane(x, y, values, out, *, xlabel: str, ylabel: str, label: str, title: str,
                    caption: str | None = None, contour_levels=None):
    """Colour map of ``values`` (ny, nx) over two swept parameters, one cell per grid point; logarithmic axes where a
    coordinate is geometric; diverging colours centred on zero when the values change sign; optional iso-lines."""
    x, y, values = np.asarray(x, float), np.asarray(y, float), np.asarray(values, float)
    fig, ax = plt.subplots(figsize=(5.2, 4.2))
    finite = values[np.isfinite(values)]
    if finite.size and finite.min() < 0 < finite.max():
        vmax = float(np.abs(finite).max())
        kw = dict(cmap="RdBu_r", vmin=-vmax, vmax=vmax)
    else:
        kw = dict(cmap="viridis")
    im = ax.pcolormesh(x, y, values, shading="nearest", **kw)
    fig.colorbar(im, ax=ax, label=label)
    if contour_levels is not None and min(len(x), len(y)) >= MIN_CONTOUR_GRID and finite.size:
        cs = ax.contour(x, y, values, levels=contour_levels, colors="k", linewidths=0.6)
        ax.clabel(cs, fontsize=7)
    for c, set_scale in ((x, ax.set_xscale), (y, ax.set_yscale)):
        if len(c) > 2 and np.all(c > 0) and np.allclose(np.diff(np.log(c)), np.log(c[1] / c[0])):
            set_scale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return _finish(fig, out, caption)
