"""Progress of a plan's top-level nodes as a horizontal bar chart (server-side SVG).

Same conventions as `limpia.reports.charts` and `limpia.reports.compliance_charts`: a Figure of
its own (never pyplot's global state), text drawn as paths so the SVG needs no fonts, no date in
the metadata so the same figures always give the same bytes. A node without data gets no bar
and says so in words: a missing bar must never read as 0 %.
"""

import io
from collections.abc import Callable, Sequence
from decimal import Decimal

import matplotlib
from matplotlib.figure import Figure

matplotlib.rcParams.update({"svg.fonttype": "path", "font.size": 9, "svg.hashsalt": "limpia"})

COLOURS = {"bar": "#1f6f8b", "done": "#1e8449", "grid": "#7f8c8d"}
ROW_INCHES = 0.3
WIDTH_INCHES = 7.2
LABEL_CHARACTERS = 38

Line = tuple[str, str, Decimal | None]  # (code, title, progress in [0, 1]; None without data)


def _percent(value: Decimal) -> str:
    return f"{float(value) * 100:.1f} %"


def _label(code: str, title: str) -> str:
    text = f"{code} {title}".strip() if title else code
    text = " ".join(text.split())
    if len(text) > LABEL_CHARACTERS:
        text = text[: LABEL_CHARACTERS - 1].rstrip() + "…"
    return text


def node_progress_chart(
    lines: Sequence[Line],
    *,
    labels: dict[str, str],
    value_label: Callable[[Decimal], str] = _percent,
) -> str:
    """Progress per node as SVG text.

    `labels` names "title", "axis" (the x axis, in %), "no_data" (written where a node has
    nothing to roll up) and "empty" (shown when there are no nodes at all).
    """
    lines = list(lines)
    if not lines:
        fig = Figure(figsize=(WIDTH_INCHES, 1.2), dpi=100)
        fig.text(0.5, 0.5, labels["empty"], ha="center", va="center", color="#6c757d")
    else:
        height = 1.1 + ROW_INCHES * len(lines)
        fig = Figure(figsize=(WIDTH_INCHES, height), dpi=100)
        ax = fig.subplots()
        positions = list(range(len(lines)))
        for y, (_code, _title, value) in zip(positions, lines, strict=True):
            if value is None:
                ax.text(1, y, labels["no_data"], va="center", fontsize=8, color="#6c757d")
                continue
            width = max(0.0, min(1.0, float(value))) * 100
            colour = COLOURS["done"] if value >= 1 else COLOURS["bar"]
            ax.barh(y, width, height=0.6, color=colour)
            ax.text(width + 1, y, value_label(value), va="center", fontsize=8)
        ax.set_yticks(positions, [_label(code, title) for code, title, _value in lines])
        ax.set_ylim(len(lines) - 0.5, -0.5)  # first node on top
        ax.set_xlim(0, 118)
        ax.set_xticks([0, 25, 50, 75, 100], ["0", "25", "50", "75", "100"])
        ax.grid(True, axis="x", alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)
        ax.set_title(labels["title"], fontsize=9, loc="left")
        ax.set_xlabel(labels["axis"])
        fig.tight_layout()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]
