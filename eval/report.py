"""Evaluation reports: a Markdown table comparing methods, per-query results, and a PNG chart."""

from __future__ import annotations

import json
import math
from pathlib import Path

from eval.answers import ANSWER_COLUMNS, AnswerEval
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


def answer_table(result: AnswerEval, answerable: int, unanswerable: int, composer: str = "extractive") -> str:
    """One row: the answer composer's metrics on answerable and unanswerable questions."""
    lines = [f"Answers ({composer} composer; {answerable} answerable, {unanswerable} unanswerable questions)", "",
             "| " + " | ".join(ANSWER_COLUMNS) + " |", "|" + "---|" * len(ANSWER_COLUMNS)]
    lines.append("| " + " | ".join(_cell(c, result.metrics[c]) for c in ANSWER_COLUMNS) + " |")
    return "\n".join(lines)


def write_report(results: list[MethodResult], folder: Path, title: str,
                 answers: AnswerEval | None = None, composer: str = "extractive") -> list[Path]:
    """Write `report.md`, `per_query.json` and `recall_mrr.png` into `folder`; returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    md = folder / "report.md"
    body = f"# {title}\n\n{markdown_table(results)}\n\n![Recall@5 and MRR@10](recall_mrr.png)\n"
    if answers is not None:
        body += "\n" + answer_table(answers, sum(1 for q in answers.per_question if q["answerable"]),
                                     sum(1 for q in answers.per_question if not q["answerable"]), composer) + "\n"
    md.write_text(body, encoding="utf-8")
    per_query = folder / "per_query.json"
    detail: dict[str, object] = {f"{r.method} | {r.form}": r.per_query for r in results}
    if answers is not None:
        detail["answers"] = answers.per_question
    per_query.write_text(json.dumps(detail, ensure_ascii=False, indent=1), encoding="utf-8")
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
