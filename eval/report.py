"""Evaluation reports: a Markdown table comparing methods, per-query results, and a PNG chart."""

from __future__ import annotations

import json
import math
from pathlib import Path

from eval.runner import MethodResult

COLUMNS = ("R@1", "R@5", "R@10", "MRR@10", "nDCG@10", "strict R@5", "strict MRR@10", "p50 ms", "p95 ms")


def markdown_table(results: list[MethodResult]) -> str:
    """One row per method and query form."""
    lines = ["| method | query form | " + " | ".join(COLUMNS) + " |", "|---|---|" + "---|" * len(COLUMNS)]
    for r in results:
        cells = [_cell(c, r.metrics[c]) for c in COLUMNS]
        lines.append(f"| {r.method} | {r.form} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cell(column: str, value: float) -> str:
    if math.isnan(value):
        return "–"
    return f"{value:.1f}" if column.endswith("ms") else f"{value:.3f}"


def write_report(results: list[MethodResult], folder: Path, title: str) -> list[Path]:
    """Write `report.md`, `per_query.json` and `recall_mrr.png` into `folder`; returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    md = folder / "report.md"
    md.write_text(f"# {title}\n\n{markdown_table(results)}\n\n![Recall@5 and MRR@10](recall_mrr.png)\n",
                  encoding="utf-8")
    per_query = folder / "per_query.json"
    per_query.write_text(json.dumps({f"{r.method} | {r.form}": r.per_query for r in results}, ensure_ascii=False,
                                    indent=1), encoding="utf-8")
    chart = folder / "recall_mrr.png"
    _chart(results, chart, title)
    return [md, per_query, chart]


def _chart(results: list[MethodResult], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display
    import matplotlib.pyplot as plt

    labels = [f"{r.method}\n{r.form}" for r in results]
    recall = [r.metrics["R@5"] for r in results]
    mrr = [r.metrics["MRR@10"] for r in results]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(results)), 4.5))
    x = range(len(results))
    ax.bar([i - 0.2 for i in x], recall, width=0.4, label="Recall@5")
    ax.bar([i + 0.2 for i in x], mrr, width=0.4, label="MRR@10")
    ax.set_xticks(list(x), labels, rotation=60, ha="right", fontsize=7)
    ax.set_ylim(0, 1)
    ax.set_title(title, fontsize=9)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
