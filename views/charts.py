"""The team's weekly sales as a PNG bar chart (matplotlib, no display needed).

Drawn with matplotlib's object-oriented API (a Figure and its Agg canvas, never pyplot), which
keeps no global state: charts may be drawn on worker threads, off the event loop (bot.offload).
"""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date

from models.money import to_decimal


def chart_key(weeks: list[tuple[date, int]], *, labels: list[str], currency: str, title: str, y_label: str) -> str:
    """What the picture depends on, in a few bytes: the same key, the same PNG (so a chart drawn
    once can be sent again, and is drawn again only if its figures or its language changed)."""
    facts = [[w.isoformat(), minor] for w, minor in weeks], labels, currency, title, y_label
    return hashlib.sha256(json.dumps(facts, ensure_ascii=False).encode()).hexdigest()[:32]


def weekly_sales_png(
    weeks: list[tuple[date, int]], *, labels: list[str], currency: str, title: str, y_label: str
) -> bytes:
    # Imported here: matplotlib is heavy, and only the weekly team digest draws.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 4), dpi=100)
    FigureCanvasAgg(figure)  # draws into memory; no screen on a server
    axes = figure.subplots()
    values = [float(to_decimal(minor, currency)) for _week, minor in weeks]  # only for drawing
    axes.bar(range(len(values)), values, color="#c0504d")
    axes.set_xticks(range(len(values)), labels)
    axes.set_title(title)
    axes.set_ylabel(y_label)
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
