"""Regression guard: retrieval quality must not fall below floors set from measured figures minus a margin.

Floors (measured on this machine; the margin is about the noise of the set):
- corpus/ set (12 questions, eval/corpus-dev.jsonl): default R@5 0.917, MRR@10 0.725 -> floors 0.83 / 0.65
- Tokyo 2020 dev set (107 questions), executive filter, query as given: R@5 0.925, MRR@10 0.856 -> 0.88 / 0.80;
  subtopic + query: R@5 1.000, MRR@10 0.958 -> 0.95 / 0.90; no filter, query as given: R@5 0.925 -> 0.88
"""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.dataset import load_questions
from eval.runner import evaluate, searcher_fn
from ingest.pipeline import run_ingest
from kotae.settings import load_settings
from service.reader.search import Searcher

REPO = Path(__file__).resolve().parents[1]


def test_corpus_eval_set_stays_above_its_floor(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "store")
    run_ingest([REPO / "corpus"], settings)
    questions = load_questions(REPO / "eval" / "corpus-dev.jsonl")
    result = evaluate(questions, searcher_fn(Searcher(settings), "default"), "default", "query")
    assert result.metrics["R@5"] >= 0.83, result.per_query
    assert result.metrics["MRR@10"] >= 0.65, result.per_query


@pytest.mark.slow
def test_dev_set_stays_above_its_floors(shared_data: Path, tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "store")
    run_ingest([shared_data / "minutes"], settings)
    searcher = Searcher(settings)
    questions = load_questions(shared_data / "eval" / "tokyo2020-dev.jsonl")
    floors = [
        ("default+exec", "query", 0.88, 0.80),
        ("default+exec", "subtopic+query", 0.95, 0.90),
        ("default", "query", 0.88, 0.0),
    ]
    for method, form, recall_floor, mrr_floor in floors:
        result = evaluate(questions, searcher_fn(searcher, method), method, form)
        assert result.metrics["R@5"] >= recall_floor, (method, form, result.metrics)
        assert result.metrics["MRR@10"] >= mrr_floor, (method, form, result.metrics)
