"""The monitoring timeline: one panel per check, over a champion's looks."""

from __future__ import annotations

from typing import Any

from fairgate.core.plots import pyplot


def timeline_figure(record: dict[str, Any]) -> Any:
    """Per check: each look's own estimate, the cumulative estimate and its anytime-valid interval, the best
    restart's deciding bound, the rule's floor or ceiling, and the look that first showed a breach."""
    plt = pyplot()
    looks = record["looks"]
    names = list(looks[-1]["cumulative"])
    fig, axes = plt.subplots(len(names), 1, figsize=(7, 2.1 * len(names)), sharex=True, squeeze=False)
    numbers = [look["look"] for look in looks]
    breach = (record.get("first_breach") or {}).get("look")
    for ax, name in zip(axes[:, 0], names, strict=True):
        trail = [look["cumulative"][name] for look in looks]
        limit = trail[-1]["limit"]
        low = [t["low"] if t["low"] is not None else 0.0 for t in trail]
        high = [t["high"] if t["high"] is not None else 1.0 for t in trail]
        ax.fill_between(numbers, low, high, alpha=0.25, step="mid", label="anytime-valid interval")
        ax.plot(numbers, [t["estimate"] for t in trail], marker=".", label="all looks")
        ax.plot(numbers, [look.get("own", {}).get(name) for look in looks], linestyle="none", marker="x",
                color="grey", label="this look alone")
        ax.plot(numbers, [(t.get("window") or {}).get("bound") for t in trail], linestyle=":", color="black",
                label="deciding bound (best restart)")
        ax.axhline(limit, color="red", linestyle="--", linewidth=1,
                   label="floor" if name == "accuracy" else "ceiling")
        if breach:
            ax.axvline(breach, color="red", linewidth=1)
        ax.set_ylabel(name.replace("_difference", "").replace("_", " "), fontsize=8)
        ax.set_ylim((max(0.0, limit - 0.2), 1.0) if name == "accuracy" else (0.0, max(0.3, limit * 2.5)))
    axes[0, 0].legend(fontsize=7, ncol=3, loc="lower left")
    axes[-1, 0].set_xlabel("look")
    fig.suptitle(f"Monitoring {record['model']} version {record['version']}"
                 + (f": breach shown at look {breach}" if breach else ""), fontsize=10)
    fig.tight_layout()
    return fig
