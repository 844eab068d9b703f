"""Compliance of an agreement's goals and actions as a horizontal bar chart (server-side SVG).

Same conventions as `limpia.reports.charts`: a Figure of its own (never pyplot's global state,
the server renders in threads), text drawn as paths so the SVG needs no fonts, no date in the
metadata so the same figures always give the same bytes.

A goal or action that is not assessable (nothing applies anywhere) gets no bar and says so in
words: a missing bar must never read as 0 %.
"""

import io
from collections.abc import Callable, Sequence
from fractions import Fraction

import matplotlib
from matplotlib.figure import Figure

matplotlib.rcParams.update({"svg.fonttype": "path", "font.size": 9, "svg.hashsalt": "limpia"})

# The certification thresholds by colour, always with the value written next to the bar.
COLOURS = {"full": "#1e8449", "partial": "#e67e22", "low": "#c0392b", "threshold": "#7f8c8d"}
ROW_INCHES = 0.26
WIDTH_INCHES = 7.5

Line = tuple[str, Fraction | None]  # (code, compliance; None when not assessable)


def _percent(value: Fraction) -> str:
    return f"{float(value) * 100:.1f} %"


def _colour(value: Fraction, threshold: Fraction | None) -> str:
    if value >= 1:
        return COLOURS["full"]
    if threshold is not None and value <= threshold:
        return COLOURS["low"]
    return COLOURS["partial"]


def _panel(ax, lines, *, title, threshold, labels, value_label) -> None:
    codes = [code for code, _value in lines]
    positions = list(range(len(lines)))
    for y, (_code, value) in zip(positions, lines, strict=True):
        if value is None:
            ax.text(1, y, labels["not_assessable"], va="center", fontsize=8, color="#6c757d")
            continue
        width = float(value) * 100
        ax.barh(y, width, height=0.6, color=_colour(value, threshold))
        ax.text(width + 1, y, value_label(value), va="center", fontsize=8)
    ax.set_yticks(positions, codes)
    ax.set_ylim(len(lines) - 0.5, -0.5)  # first code on top
    ax.set_xlim(0, 118)
    ax.set_xticks([0, 25, 50, 75, 100], ["0", "25", "50", "75", "100"])
    if threshold is not None:
        ax.axvline(float(threshold) * 100, color=COLOURS["threshold"], linestyle=":", linewidth=1)
    ax.grid(True, axis="x", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(title, fontsize=9, loc="left")


def compliance_chart(
    *,
    goals: Sequence[Line],
    actions: Sequence[Line],
    labels: dict[str, str],
    threshold: Fraction | None = Fraction(3, 4),
    value_label: Callable[[Fraction], str] = _percent,
) -> str:
    """Compliance per goal and per action as SVG text.

    `labels` names "goals", "actions", "axis" (the x axis, in %), "not_assessable" and "empty"
    (shown when there is nothing to chart). `threshold` (the agreement's correction threshold)
    is drawn as a dotted line: bars at or below it are red, above it orange, at 100 % green.
    `value_label` writes a value next to its bar (localised by the caller).
    """
    panels = [(labels["goals"], list(goals)), (labels["actions"], list(actions))]
    panels = [(title, lines) for title, lines in panels if lines]
    if not panels:
        fig = Figure(figsize=(WIDTH_INCHES, 1.2), dpi=100)
        fig.text(0.5, 0.5, labels["empty"], ha="center", va="center", color="#6c757d")
    else:
        rows = [len(lines) for _title, lines in panels]
        height = 0.9 + 0.55 * len(panels) + ROW_INCHES * sum(rows)
        fig = Figure(figsize=(WIDTH_INCHES, height), dpi=100)
        axes = fig.subplots(len(panels), 1, squeeze=False, height_ratios=rows)[:, 0]
        for ax, (title, lines) in zip(axes, panels, strict=True):
            _panel(
                ax,
                lines,
                title=title,
                threshold=threshold,
                labels=labels,
                value_label=value_label,
            )
        axes[-1].set_xlabel(labels["axis"])
        fig.tight_layout()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]
