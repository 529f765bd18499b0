"""PNG plots of a run: accuracy vs tokens per question, a reliability diagram per system, coverage–accuracy curves.
matplotlib is imported here only (install `scent[eval]`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scent.eval.metrics import accuracy_by_coverage

PLOTS = ("accuracy_vs_tokens.png", "reliability.png", "coverage_accuracy.png")
COLOURS = {"closed-book": "#7f7f7f", "rag": "#1f77b4", "agent": "#d62728"}


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise RuntimeError("plots need matplotlib: pip install 'scent[eval]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def write_plots(out: Path, summary: dict[str, Any], rows: Sequence[dict[str, Any]]) -> list[Path]:
    plt = _pyplot()
    names = list(summary["systems"])
    per_system = {name: [r for r in rows if r["system"] == name] for name in names}
    per_system = {name: rs for name, rs in per_system.items() if rs}
    paths = [out / p for p in PLOTS]
    metric = summary["correct_metric"]

    fig, ax = plt.subplots(figsize=(5.5, 4))
    for name in per_system:
        s = summary["systems"][name]
        ax.scatter(max(s["tokens_per_question"], 1), 100 * s["accuracy"], s=80, color=COLOURS.get(name), label=name)
        ax.annotate(name, (max(s["tokens_per_question"], 1), 100 * s["accuracy"]), textcoords="offset points",
                    xytext=(6, 6))
    ax.set_xscale("log")
    ax.margins(x=0.25)
    ax.set_xlabel("tokens per question (prompt + completion, log scale)")
    ax.set_ylabel(f"accuracy (%, {metric})")
    ax.set_ylim(-2, 102)
    ax.set_title("Accuracy vs cost")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(paths[0], dpi=120)
    plt.close(fig)

    fig, axes = plt.subplots(1, max(len(per_system), 1), figsize=(4 * max(len(per_system), 1), 4), squeeze=False)
    for ax, (name, rs) in zip(axes[0], per_system.items(), strict=False):
        _reliability(ax, name, rs, summary["systems"][name].get("ece"))
    fig.suptitle("Reliability: bars = share correct per confidence bin (count above), dots = (mean confidence, "
                 "share correct), dashed = perfect calibration", fontsize=9)
    fig.tight_layout()
    fig.savefig(paths[1], dpi=120)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5.5, 4))
    for name, rs in per_system.items():
        points = accuracy_by_coverage([r["confidence"] for r in rs], [r["metrics"]["draft_correct"] for r in rs])
        ax.plot([100 * c for c, _ in points], [100 * a for _, a in points], color=COLOURS.get(name), label=name)
        answered = [r for r in rs if not r["abstained"]]
        if answered:  # the system's own operating point: what it chose to answer
            accuracy = sum(r["metrics"]["correct"] for r in answered) / len(answered)
            ax.scatter([100 * len(answered) / len(rs)], [100 * accuracy], color=COLOURS.get(name), marker="o",
                       edgecolor="black", zorder=3)
    ax.set_xlabel("coverage (% of questions answered, most confident first)")
    ax.set_ylabel(f"accuracy of those answered (%, {metric})")
    ax.set_xlim(0, 102)
    ax.set_ylim(-2, 102)
    ax.set_title("Coverage–accuracy (dots: where each system stops)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(paths[2], dpi=120)
    plt.close(fig)
    return paths


def _reliability(ax: Any, name: str, rows: Sequence[dict[str, Any]], ece: float | None, bins: int = 10) -> None:
    counts, correct, confidence = [0] * bins, [0.0] * bins, [0.0] * bins
    for r in rows:
        b = min(int(r["confidence"] * bins), bins - 1)
        counts[b] += 1
        correct[b] += r["metrics"]["draft_correct"]
        confidence[b] += r["confidence"]
    width = 1 / bins
    for b in range(bins):
        if counts[b]:
            ax.bar(b * width, correct[b] / counts[b], width=width, align="edge", color=COLOURS.get(name, "#1f77b4"),
                   alpha=0.75, edgecolor="black")
            ax.plot(confidence[b] / counts[b], correct[b] / counts[b], "o", color="black", markersize=4)
            ax.text((b + 0.5) * width, correct[b] / counts[b] + 0.02, str(counts[b]), ha="center",
                    fontsize=8)
    ax.plot([0, 1], [0, 1], linestyle="--", color="black", linewidth=1)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.08)
    ax.set_xlabel("confidence")
    ax.set_ylabel("share correct")
    ax.set_title(f"{name}: ECE {ece:.3f}" if ece is not None else name)

