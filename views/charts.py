"""The team's weekly sales as a PNG bar chart (matplotlib, no display needed)."""

from __future__ import annotations

import io
from datetime import date

from models.money import to_decimal


def weekly_sales_png(
    weeks: list[tuple[date, int]], *, labels: list[str], currency: str, title: str, y_label: str
) -> bytes:
    # Imported here: matplotlib is heavy, and only the weekly team digest draws.
    import matplotlib

    matplotlib.use("Agg")  # draws into memory; no screen on a server
    from matplotlib import pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 4), dpi=100)
    try:
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
    finally:
        plt.close(figure)
