"""Evaluation datasets in the format of ../shared/data/eval: questions with gold character spans."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Span:
    """A gold span: `path` relative to the data folder, character offsets [start, end)."""

    path: str
    start: int
    end: int


@dataclass(frozen=True)
class Question:
    """One evaluation question with its relevant spans (and the tighter answer passage, when known)."""

    qid: str
    query: str
    subtopic: str
    relevant: tuple[Span, ...]
    answer_passage: Span | None
    summary: str = ""  # gold_answer_summary: a reference for judging drafted answers
    answerable: bool = True  # False in refusal sets: the documents cannot answer it


def load_questions(path: Path) -> list[Question]:
    """Read a JSONL dataset; raises ValueError naming the line and field when a record is malformed."""
    questions: list[Question] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError(f"expected a JSON object, not {type(record).__name__}")
            relevant = tuple(Span(r["path"], int(r["start"]), int(r["end"])) for r in record.get("relevant", []))
            if not relevant and record.get("answerable", True):
                raise ValueError("'relevant' is empty; mark unanswerable questions with \"answerable\": false")
            passage = record.get("answer_passage")
            questions.append(
                Question(
                    qid=str(record.get("qid", number)),
                    query=str(record["query"]),
                    subtopic=str(record.get("subtopic", "")),
                    relevant=relevant,
                    answer_passage=Span(passage["path"], int(passage["start"]), int(passage["end"]))
                    if passage
                    else None,
                    summary=str(record.get("gold_answer_summary", "")),
                    answerable=bool(record.get("answerable", True)),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}:{number}: malformed question ({exc!r})") from exc
    return questions
