"""A PNG chart of a domain's bounces over time, posted in the incident thread on open and resolve.

Pure: counts in, PNG bytes out (matplotlib's Agg backend, no display needed). matplotlib is the
optional extra `bouncecheck[charts]` (170 MB of the install): without it `available()` is False, the
notifier posts a line saying where the chart would be, and nothing imports it.
"""

from __future__ import annotations

import importlib.util
import io
from collections.abc import Sequence
from datetime import datetime

INSTALL_HINT = "pip install 'bouncecheck[charts]'"


def available() -> bool:
    return importlib.util.find_spec("matplotlib") is not None


def bounce_chart(points: Sequence[tuple[datetime, int]], *, domain: str, threshold: int, title: str = "") -> bytes:
    """Bounces in the sliding window over time, against the alert threshold; `points` are (time, count)."""
    import matplotlib  # late: a second of import time, paid only when a chart is drawn

    matplotlib.use("Agg")
    from matplotlib import dates
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 3), dpi=100)
    axes = figure.add_subplot()
    if points:
        times = dates.date2num([t for t, _ in points])  # type: ignore[no-untyped-call]
        counts = [c for _, c in points]
        axes.plot(times, counts, drawstyle="steps-post", color="#D62828", linewidth=1.5, label="in window")
        axes.fill_between(times, counts, step="post", color="#D62828", alpha=0.15)
    axes.xaxis_date()
    axes.axhline(threshold, color="#555555", linestyle="--", linewidth=1, label=f"threshold {threshold}")
    axes.set_title(title or f"Bounces for {domain}", fontsize=10)
    axes.set_ylabel("bounces in window")
    axes.set_xlabel("UTC", fontsize=8)
    axes.legend(loc="upper left", fontsize=8)
    axes.grid(axis="y", alpha=0.3)
    figure.autofmt_xdate()
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
