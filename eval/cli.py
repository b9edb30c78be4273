"""`kotae eval`: run the methods over a dataset on one store and print (and optionally write) the results."""

from __future__ import annotations

import json
import math
import sys
from contextlib import closing
from pathlib import Path

from eval.answers import evaluate_answers
from eval.dataset import Question, load_questions
from eval.report import answer_table, markdown_table, write_report
from eval.runner import DEFAULT_METHODS, FORMS, MethodResult, SearchFn, check_method, evaluate, searcher_fn
from kotae.errors import KotaeError
from kotae.settings import Settings
from service.answer import Answerer
from service.draft import Drafter
from service.reader.search import Searcher


def run_eval(dataset: Path, settings: Settings, methods: list[str], forms: list[str], data: Path | None,
             report: Path | None, as_json: bool, answers: bool = False, unanswerable: Path | None = None,
             composer: str = "extractive", model: str | None = None) -> int:
    """Evaluate each method in each query form (and, with `answers`, the answer composer and drafts);
    returns the exit status."""
    methods = methods or list(DEFAULT_METHODS)
    for method in methods:  # before any model loads
        check_method(method)
    questions = load_dataset(dataset)
    refusal_set = [q for q in load_dataset(unanswerable) if not q.answerable] if unanswerable else []
    if unanswerable and not refusal_set:
        raise KotaeError(f"dataset {unanswerable}: no question is marked \"answerable\": false")
    forms = forms or list(FORMS)
    data_root = data or dataset.resolve().parent.parent
    with closing(Searcher(settings)) as searcher:  # let go of the store when done
        baseline = None
        results: list[MethodResult] = []
        for method in methods:
            search: SearchFn
            if method.startswith("llamaindex"):
                if baseline is None:
                    from eval.baseline_llamaindex import LlamaIndexBaseline

                    folders = sorted({str(Path(s.path).parent) for q in questions for s in q.relevant})
                    print(f"building the LlamaIndex baseline over {', '.join(folders)} ...", file=sys.stderr)
                    baseline = LlamaIndexBaseline(data_root, folders, searcher.embedder)
                search = baseline.bm25() if method == "llamaindex-bm25" else baseline.dense()
            else:
                search = searcher_fn(searcher, method)
            for form in forms:
                results.append(evaluate(questions, search, method, form))
                if not as_json:
                    print(markdown_table(results[-1:]).splitlines()[-1], file=sys.stderr, flush=True)
        answer_eval = None
        if answers:
            answerer = Answerer(searcher)
            if composer == "llm":
                answerer.generators.get(model)  # a missing or denied model fails now, not after the retrieval runs
            answer_eval = evaluate_answers([*questions, *refusal_set], answerer, Drafter(answerer), data_root,
                                           composer, model)
        if report is not None:
            title = f"{dataset.name}: {len(questions)} questions, embedder {searcher.embedder.name}"
            for path in write_report(results, report, title, answer_eval, composer):
                print(f"wrote {path}", file=sys.stderr)
        if as_json:
            payload = {"dataset": str(dataset), "questions": len(questions), "embedder": searcher.embedder.name,
                       "results": [{"method": r.method, "form": r.form,
                                    **{m: (None if math.isnan(v) else v) for m, v in r.metrics.items()}}
                                   for r in results]}
            if answer_eval is not None:
                payload["answers"] = {m: (None if math.isnan(v) else v) for m, v in answer_eval.metrics.items()}
                payload["unanswerable_questions"] = len(refusal_set)
            print(json.dumps(payload, ensure_ascii=False))
        else:
            print(markdown_table(results))
            if answer_eval is not None:
                print("\n" + answer_table(answer_eval, len(questions), len(refusal_set), composer))
    return 0


def load_dataset(path: Path) -> list[Question]:
    try:
        return load_questions(path)
    except (OSError, ValueError) as exc:
        raise KotaeError(f"dataset {path}: {exc}") from exc
