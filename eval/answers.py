"""Answer and draft evaluation, reported beside the retrieval figures:

- on answerable questions: how many get an answer (not a refusal); citation precision (citations whose span
  overlaps a gold span); the share of answer sentences with a valid citation (the mark points to a citation
  whose quote is exactly the document text at its offsets, checked against the source file when it is
  readable, else against the stored chunk); overlap of answers and drafts with `gold_answer_summary`
  (character-bigram F1, and for drafts, which are much longer than a summary, also the summary's bigram recall);
- on questions the documents cannot answer (`"answerable": false`): the refusal rate.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from eval.dataset import Question
from eval.metrics import percentile
from eval.runner import matches
from kotae.types import Answer, Citation
from service.answer import Answerer
from service.compose.extractive import bigrams
from service.draft import Drafter

ANSWER_COLUMNS = ("answered", "citation precision", "answer hits gold", "valid citations", "answer F1",
                  "draft F1", "draft recall", "refusal rate", "p50 ms", "p95 ms")


@dataclass
class AnswerEval:
    """Metrics of the answer composer (and drafts) on one dataset, with per-question detail."""

    metrics: dict[str, float]
    per_question: list[dict[str, object]] = field(default_factory=list)


class SourceTexts:
    """Document texts for checking quotes: the original file under `data_root` when it is plain text (the
    contract says offsets index it as read), else None."""

    def __init__(self, data_root: Path | None) -> None:
        self.data_root = data_root
        self._cache: dict[str, str | None] = {}

    def text(self, source: str) -> str | None:
        """The decoded text of `source`, or None when it is not a readable text file under the data root."""
        if source not in self._cache:
            self._cache[source] = self._read(source)
        return self._cache[source]

    def _read(self, source: str) -> str | None:
        if self.data_root is None or not source.endswith((".txt", ".md")):
            return None
        for path in (self.data_root / source, *self.data_root.glob(f"*/{source}")):
            if path.is_file():
                from ingest.loaders.text_file import decode_japanese

                return decode_japanese(path.read_bytes())
        return None


def valid_citation(c: Citation, answerer: Answerer, texts: SourceTexts) -> bool:
    """The quote is exactly the text at [start, end): in the source file when readable, and in its chunk."""
    text = texts.text(c.source)
    if text is not None and text[c.start:c.end] != c.quote:
        return False
    chunk = answerer.searcher.catalog.chunks([c.chunk_id]).get(c.chunk_id)
    return (chunk is not None and chunk.source == c.source and chunk.start <= c.start and c.end <= chunk.end
            and chunk.text[c.start - chunk.start:c.end - chunk.start] == c.quote)


def bigram_recall(candidate: str, reference: str) -> float:
    """Share of the reference's character bigrams the candidate holds (how much of the summary a draft says)."""
    x, y = bigrams(candidate), bigrams(reference)
    return len(x & y) / len(y) if y else 0.0


def bigram_f1(candidate: str, reference: str) -> float:
    """Character-bigram F1 of two texts (sets, blanks ignored); 0 when either is empty."""
    x, y = bigrams(candidate), bigrams(reference)
    common = len(x & y)
    if not common:
        return 0.0
    precision, recall = common / len(x), common / len(y)
    return 2 * precision * recall / (precision + recall)


def evaluate_answers(questions: Sequence[Question], answerer: Answerer, drafter: Drafter | None,
                     data_root: Path | None, composer: str = "extractive", model: str | None = None) -> AnswerEval:
    """Ask every question (and draft the answerable ones when `drafter` is given) with `composer` (and `model`
    for `llm`: a city measures its own model this way); compute the metrics."""
    texts = SourceTexts(data_root)
    answerable = [q for q in questions if q.answerable]
    unanswerable = [q for q in questions if not q.answerable]
    latencies: list[float] = []
    per_question: list[dict[str, object]] = []
    answered = cited = cited_gold = sentences = valid_sentences = hits_gold = 0
    answer_f1: list[float] = []
    draft_f1: list[float] = []
    draft_recall: list[float] = []
    refused = 0
    for q in questions:
        began = time.perf_counter()
        answer = answerer.ask(q.query, composer=composer, model=model)
        latencies.append((time.perf_counter() - began) * 1000)
        row: dict[str, object] = {"qid": q.qid, "answerable": q.answerable, "grounded": answer.grounded,
                                  "answer": answer.text}
        if not q.answerable:
            refused += not answer.grounded
        elif answer.grounded:
            answered += 1
            gold_flags = [_overlaps_gold(c, q) for c in answer.citations]
            cited += len(gold_flags)
            cited_gold += sum(gold_flags)
            hits_gold += any(gold_flags)
            valid = _valid_sentences(answer, answerer, texts)
            sentences += sum(1 for s in answer.sentences if s.citations)  # a 「…は見当たりません」 part cites nothing
            valid_sentences += valid
            if q.summary:
                answer_f1.append(bigram_f1(_plain(answer), q.summary))
            row.update(citations_on_gold=sum(gold_flags), citations=len(gold_flags), valid_sentences=valid)
        if q.answerable and drafter is not None and q.summary:
            draft = drafter.draft(q.query, composer=composer, model=model)
            body = "".join(s.text for sec in draft.sections for s in sec.sentences)
            draft_f1.append(bigram_f1(body, q.summary))
            draft_recall.append(bigram_recall(body, q.summary))
            row["draft_f1"] = round(draft_f1[-1], 3)
        per_question.append(row)
    metrics = {
        "answered": answered / len(answerable) if answerable else float("nan"),
        "citation precision": cited_gold / cited if cited else float("nan"),
        "answer hits gold": hits_gold / answered if answered else float("nan"),
        "valid citations": valid_sentences / sentences if sentences else float("nan"),
        "answer F1": statistics.mean(answer_f1) if answer_f1 else float("nan"),
        "draft F1": statistics.mean(draft_f1) if draft_f1 else float("nan"),
        "draft recall": statistics.mean(draft_recall) if draft_recall else float("nan"),
        "refusal rate": refused / len(unanswerable) if unanswerable else float("nan"),
        "p50 ms": statistics.median(latencies) if latencies else 0.0,
        "p95 ms": percentile(latencies, 95),
    }
    return AnswerEval(metrics, per_question)


def _overlaps_gold(c: Citation, q: Question) -> bool:
    return any(matches(c.source, g.path) and c.start < g.end and g.start < c.end for g in q.relevant)


def _valid_sentences(answer: Answer, answerer: Answerer, texts: SourceTexts) -> int:
    by_n = {c.n: c for c in answer.citations}
    return sum(1 for s in answer.sentences
               if s.citations and all(n in by_n and valid_citation(by_n[n], answerer, texts) for n in s.citations))


def _plain(answer: Answer) -> str:
    return "".join(s.text for s in answer.sentences)
