"""Server-side SVG charts (matplotlib), one code path for pages and, later, PDF reports.

Text is drawn as paths (svg.fonttype = "path") so the SVG needs no fonts from anywhere.
"""

import io
from datetime import date
from decimal import Decimal

import matplotlib
import matplotlib.dates as mdates
from matplotlib.figure import Figure

matplotlib.rcParams.update({"svg.fonttype": "path", "font.size": 9, "svg.hashsalt": "limpia"})

COLOURS = {"measure": "#1f6f8b", "target": "#c0392b", "baseline": "#7f8c8d", "forecast": "#e67e22"}


def indicator_chart(
    *,
    title: str,
    unit: str,
    baseline: tuple[date, Decimal],
    targets: list[tuple[date, Decimal]],
    measurements: list[tuple[date, Decimal]],
    forecast: tuple[date, Decimal] | None,
    labels: dict[str, str],
) -> str:
    """An indicator's baseline, targets, approved measurements and forecast, as SVG text."""
    # A Figure of its own, not pyplot's global state: the server renders charts in threads.
    fig = Figure(figsize=(7.5, 3.4), dpi=100)
    ax = fig.subplots()
    ax.axhline(float(baseline[1]), color=COLOURS["baseline"], linestyle=":", linewidth=1)
    ax.plot(
        [baseline[0]],
        [float(baseline[1])],
        "o",
        color=COLOURS["baseline"],
        label=labels["baseline"],
    )
    if measurements:
        xs = [baseline[0], *[d for d, _ in measurements]]
        ys = [float(baseline[1]), *[float(v) for _, v in measurements]]
        ax.plot(xs, ys, "-o", color=COLOURS["measure"], label=labels["measurements"])
        if forecast:
            ax.plot(
                [xs[-1], forecast[0]],
                [ys[-1], float(forecast[1])],
                "--",
                color=COLOURS["forecast"],
                label=labels["forecast"],
            )
    if targets:
        ax.plot(
            [d for d, _ in targets],
            [float(v) for _, v in targets],
            "D",
            color=COLOURS["target"],
            label=labels["targets"],
        )
    ax.set_ylabel(unit)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.grid(True, alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax.set_title(title[:90], fontsize=9, loc="left")
    fig.tight_layout()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]
