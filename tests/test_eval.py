"""Evaluation: the metrics on hand-made rankings, the runner's path matching, the dataset reader, and the real
`kotae eval` command on a small dataset whose gold spans are located in `corpus/` files, against a store built
from `corpus/`.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from eval.dataset import Question, Span, load_questions
from eval.metrics import Retrieved, first_relevant_rank, is_relevant, ndcg_at, recall_at, reciprocal_rank
from eval.runner import evaluate, matches
from ingest.pipeline import run_ingest
from kotae.settings import load_settings

REPO_ROOT = Path(__file__).resolve().parent.parent
CORPUS = REPO_ROOT / "corpus"

# --- metrics -------------------------------------------------------------------------------------------------------

GOLD = [Span("minutes/a.txt", 100, 200)]


@pytest.mark.parametrize(
    ("hit", "relevant"),
    [
        (Retrieved("minutes/a.txt", 150, 250), True),  # overlaps the end
        (Retrieved("minutes/a.txt", 50, 101), True),  # one character in
        (Retrieved("minutes/a.txt", 120, 130), True),  # inside
        (Retrieved("minutes/a.txt", 0, 500), True),  # covers it
        (Retrieved("minutes/a.txt", 0, 100), False),  # ends where the span starts: [start, end) do not meet
        (Retrieved("minutes/a.txt", 200, 300), False),  # starts where the span ends
        (Retrieved("minutes/b.txt", 120, 130), False),  # same offsets, another file
        (Retrieved("a.txt", 120, 130), False),  # paths compare exactly here; the runner matches suffixes
    ],
)
def test_is_relevant_by_overlap_and_path(hit: Retrieved, relevant: bool) -> None:
    assert is_relevant(hit, GOLD) is relevant


def test_is_relevant_against_several_spans() -> None:
    gold = [Span("a.txt", 0, 10), Span("b.txt", 50, 60)]
    assert is_relevant(Retrieved("b.txt", 55, 70), gold)
    assert not is_relevant(Retrieved("a.txt", 50, 60), gold)
    assert not is_relevant(Retrieved("a.txt", 0, 10), [])


def test_first_relevant_rank_recall_and_reciprocal_rank() -> None:
    miss = Retrieved("minutes/a.txt", 0, 50)
    hit = Retrieved("minutes/a.txt", 150, 160)
    assert first_relevant_rank([miss, miss, hit, hit], GOLD) == 3
    assert first_relevant_rank([miss], GOLD) is None
    assert first_relevant_rank([], GOLD) is None

    assert [recall_at(3, k) for k in (1, 2, 3, 5)] == [0.0, 0.0, 1.0, 1.0]
    assert recall_at(None, 10) == 0.0
    assert reciprocal_rank(1) == 1.0
    assert reciprocal_rank(4) == 0.25
    assert reciprocal_rank(10) == 0.1
    assert reciprocal_rank(11) == 0.0  # MRR@10
    assert reciprocal_rank(11, k=20) == pytest.approx(1 / 11)
    assert reciprocal_rank(None) == 0.0


def test_ndcg_perfect_ranking_is_one() -> None:
    gold = [Span("a.txt", 0, 100), Span("a.txt", 200, 300), Span("b.txt", 0, 100)]
    hits = [Retrieved("a.txt", 10, 20), Retrieved("b.txt", 50, 60), Retrieved("a.txt", 250, 260),
            Retrieved("c.txt", 0, 10)]
    assert ndcg_at(hits, gold) == pytest.approx(1.0)
    assert ndcg_at(hits[:1], gold[:1]) == pytest.approx(1.0)


def test_ndcg_never_above_one_when_several_hits_overlap_one_span() -> None:
    # Several chunks of one answer turn all overlap the single gold span: the span earns its gain once.
    hits = [Retrieved("a.txt", i * 10, i * 10 + 10) for i in range(10)]
    assert ndcg_at(hits, [Span("a.txt", 0, 100)]) == pytest.approx(1.0)
    # The first hit misses, the next nine overlap: only the first of them counts.
    late = [Retrieved("z.txt", 0, 10), *hits[:9]]
    assert ndcg_at(late, [Span("a.txt", 0, 100)]) == pytest.approx(1 / math.log2(3))
    # Two spans, three hits on the first: the second span is never found.
    two = [Span("a.txt", 0, 100), Span("b.txt", 0, 100)]
    assert ndcg_at(hits[:3], two) == pytest.approx(1 / (1 + 1 / math.log2(3)))
    for k in (1, 3, 5, 10):
        assert 0.0 <= ndcg_at(hits + late, two, k) <= 1.0


def test_ndcg_values() -> None:
    gold = [Span("a.txt", 0, 100), Span("a.txt", 200, 300)]
    miss = Retrieved("a.txt", 100, 200)
    first, second = Retrieved("a.txt", 0, 10), Retrieved("a.txt", 200, 210)
    ideal = 1 + 1 / math.log2(3)
    assert ndcg_at([first, miss, second], gold) == pytest.approx((1 + 1 / math.log2(4)) / ideal)
    assert ndcg_at([miss, first], gold) == pytest.approx((1 / math.log2(3)) / ideal)
    assert ndcg_at([miss, miss], gold) == 0.0
    assert ndcg_at([first, second], []) == 0.0
    # Only the first k hits count.
    assert ndcg_at([miss, first, second], gold, k=1) == 0.0
    assert ndcg_at([first, miss, second], gold, k=2) == pytest.approx(1.0 / ideal)


def test_ndcg_does_not_depend_on_the_order_of_the_gold_spans() -> None:
    # The first chunk straddles both spans, the second lies in the first span only: both can earn a gain.
    gold = [Span("a.txt", 0, 100), Span("a.txt", 100, 200)]
    hits = [Retrieved("a.txt", 50, 150), Retrieved("a.txt", 10, 20)]
    assert ndcg_at(hits, gold) == pytest.approx(1.0)
    assert ndcg_at(hits, gold[::-1]) == pytest.approx(1.0)


# --- the runner ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "gold", "same"),
    [
        ("minutes/a.txt", "minutes/a.txt", True),
        ("data/minutes/a.txt", "minutes/a.txt", True),  # store built from a parent folder
        ("a.txt", "minutes/a.txt", True),  # store built from the subfolder
        ("minutes/a.txt", "tokyo/minutes/a.txt", True),
        ("minutes/a.txt", "minutes/b.txt", False),
        ("other/a.txt", "minutes/a.txt", False),
        ("xminutes/a.txt", "minutes/a.txt", False),  # a suffix of the name, not of the path
        ("ba.txt", "a.txt", False),
        ("a.txt", "ba.txt", False),
    ],
)
def test_matches_by_path_suffix(path: str, gold: str, same: bool) -> None:
    assert matches(path, gold) is same


def _question(qid: str, path: str, start: int, end: int) -> Question:
    return Question(qid, f"質問{qid}", "", (Span(path, start, end),), None)


def test_evaluate_aggregates_ranks_and_matches_suffixes() -> None:
    questions = [_question("1", "minutes/a.txt", 0, 100), _question("2", "minutes/a.txt", 200, 300),
                 _question("3", "minutes/a.txt", 400, 500)]
    # The store was built from the data folder: sources carry one more leading folder than the gold paths.
    ranked = {
        "質問1": [Retrieved("data/minutes/a.txt", 10, 20)],  # rank 1
        "質問2": [Retrieved("data/minutes/a.txt", 0, 10), Retrieved("data/minutes/a.txt", 250, 260)],  # rank 2
        "質問3": [Retrieved("data/minutes/b.txt", 450, 460)],  # another file: missed
    }

    def search(text: str, k: int) -> list[Retrieved]:
        return ranked[text][:k]

    result = evaluate(questions, search, "canned", "query")

    assert [q["rank"] for q in result.per_query] == [1, 2, None]
    assert result.metrics["R@1"] == pytest.approx(1 / 3)
    assert result.metrics["R@5"] == pytest.approx(2 / 3)
    assert result.metrics["MRR@10"] == pytest.approx((1 + 0.5 + 0) / 3)
    assert result.metrics["nDCG@10"] == pytest.approx((1 + 1 / math.log2(3)) / 3)
    assert math.isnan(result.metrics["strict R@5"])  # no answer passages given: not measured, not 0
    assert result.per_query[1]["top"] == ["data/minutes/a.txt:0-10", "data/minutes/a.txt:250-260"]


# --- the dataset reader --------------------------------------------------------------------------------------------

GOOD_RECORD = {"qid": "q1", "query": "窓口の受付時間は", "subtopic": "窓口",
               "relevant": [{"path": "memos/m.txt", "start": 0, "end": 10}],
               "answer_passage": {"path": "memos/m.txt", "start": 2, "end": 8}}


def test_load_questions_reads_records_and_skips_blank_lines(tmp_path: Path) -> None:
    dataset = tmp_path / "set.jsonl"
    minimal = {"query": "休日窓口", "relevant": [{"path": "a.txt", "start": "3", "end": 9}]}
    dataset.write_text("\n".join([json.dumps(GOOD_RECORD, ensure_ascii=False), "", "  ",
                                  json.dumps(minimal, ensure_ascii=False)]) + "\n", encoding="utf-8")
    first, second = load_questions(dataset)
    assert first == Question("q1", "窓口の受付時間は", "窓口", (Span("memos/m.txt", 0, 10),),
                             Span("memos/m.txt", 2, 8))
    assert second == Question("4", "休日窓口", "", (Span("a.txt", 3, 9),), None)  # qid: the line number


@pytest.mark.parametrize(
    "bad_line",
    [
        '{"query": "窓口", "relevant": [',  # not JSON
        '{"query": "窓口"}',  # no relevant spans
        '{"relevant": [{"path": "a.txt", "start": 0, "end": 1}]}',  # no query
        '{"query": "窓口", "relevant": [{"path": "a.txt", "start": "zero", "end": 1}]}',
        '{"query": "窓口", "relevant": [{"path": "a.txt", "start": null, "end": 1}]}',
        '{"query": "窓口", "relevant": [{"start": 0, "end": 1}]}',
        '{"query": "窓口", "relevant": {"path": "a.txt", "start": 0, "end": 1}}',
        '{"query": "窓口", "relevant": [], "answer_passage": {"path": "a.txt", "start": 0}}',
        '["窓口", []]',
        '"窓口"',
    ],
)
def test_load_questions_names_the_malformed_line(tmp_path: Path, bad_line: str) -> None:
    dataset = tmp_path / "set.jsonl"
    dataset.write_text("\n".join([json.dumps(GOOD_RECORD, ensure_ascii=False), "", bad_line]) + "\n",
                       encoding="utf-8")
    with pytest.raises(ValueError) as raised:
        load_questions(dataset)
    assert f"{dataset}:3:" in str(raised.value)


# --- the real `kotae eval` -----------------------------------------------------------------------------------------

MINUTES = "minutes/令和6年第3回定例会会議録.txt"
GUIDELINE = "guidelines/生成AI利用ガイドライン.md"
MEMO = "memos/窓口対応メモ.txt"  # Shift_JIS: offsets index the CP932-decoded text, CRLF kept


def corpus_text(source: str) -> str:
    data = (CORPUS / source).read_bytes()
    return data.decode("cp932" if source == MEMO else "utf-8")


def line_span(source: str, anchor: str) -> dict[str, object]:
    """The gold span of the line of `source` holding `anchor` (without its line end)."""
    text = corpus_text(source)
    at = text.find(anchor)
    assert at >= 0 and text.find(anchor, at + 1) < 0, f"{anchor!r} must occur once in {source}"
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    end = len(text) if end < 0 else end
    end -= text[end - 1] == "\r"
    return {"path": source, "start": start, "end": end}


QUESTIONS = [
    ("e1", "生成ＡＩの試行は何人の職員を対象にしたか", "生成AIの試行利用", MINUTES, "十五課の職員二百十人"),
    ("e2", "市民から個人情報は大丈夫かと聞かれたらどう説明するか", "窓口での説明", MEMO, "個人情報の入力は禁止"),
    ("e3", "業務で使ってよい生成AIのサービスはどれか", "利用できるサービス", GUIDELINE, "愛称「みずほＡＩアシスト」"),
]
METHODS = ("default", "lexical+exec")
FORMS = ("query", "subtopic+query")
RATE_KEYS = ("R@1", "R@5", "R@10", "MRR@10", "nDCG@10", "strict R@5", "strict MRR@10")


@pytest.fixture(scope="module")
def eval_setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(dataset, store): `corpus/` ingested once and a three-question dataset over it."""
    base = tmp_path_factory.mktemp("eval")
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith("KOTAE_"):
                mp.delenv(key)
        summary = run_ingest([CORPUS], load_settings(base / "store"))
    assert summary.failed == [] and summary.documents == 6
    dataset = base / "data" / "eval" / "corpus-mini.jsonl"
    dataset.parent.mkdir(parents=True)
    records: list[dict[str, object]] = [
        {"qid": qid, "query": query, "subtopic": subtopic, "relevant": [line_span(source, anchor)]}
        for qid, query, subtopic, source, anchor in QUESTIONS
    ]
    records[0]["answer_passage"] = line_span(QUESTIONS[0][3], QUESTIONS[0][4])
    dataset.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return dataset, base / "store"


def test_gold_spans_quote_the_anchor(eval_setup: tuple[Path, Path]) -> None:
    dataset, _ = eval_setup
    for question, (_, _, _, source, anchor) in zip(load_questions(dataset), QUESTIONS, strict=True):
        (span,) = question.relevant
        line = corpus_text(source)[span.start:span.end]
        assert anchor in line and "\n" not in line and "\r" not in line


def kotae_eval(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real `kotae eval` to completion, without the caller's KOTAE_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOTAE_")}
    return subprocess.run([sys.executable, "-m", "cli.main", "eval", *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def _method_args() -> list[str]:
    return [arg for m in METHODS for arg in ("--method", m)] + [arg for f in FORMS for arg in ("--form", f)]


@pytest.mark.slow
def test_kotae_eval_json(eval_setup: tuple[Path, Path]) -> None:
    dataset, store = eval_setup
    result = kotae_eval(str(dataset), "--store", str(store), "--json", *_method_args())
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1  # one JSON object on stdout
    payload = json.loads(result.stdout)
    assert payload["questions"] == 3 and payload["embedder"] == "usem3"
    assert payload["dataset"] == str(dataset)
    got = [(r["method"], r["form"]) for r in payload["results"]]
    assert got == [(m, f) for m in METHODS for f in FORMS]
    for row in payload["results"]:
        for key in RATE_KEYS:
            assert 0.0 <= row[key] <= 1.0, (row["method"], row["form"], key, row[key])
        assert row["R@1"] <= row["R@5"] <= row["R@10"]
        assert row["R@1"] <= row["MRR@10"] <= row["R@10"]
        assert 0.0 <= row["p50 ms"] <= row["p95 ms"]
    default = next(r for r in payload["results"] if r["method"] == "default" and r["form"] == "subtopic+query")
    assert default["R@10"] > 0  # the corpus answers these questions: retrieval finds some of them


@pytest.mark.slow
def test_kotae_eval_report(eval_setup: tuple[Path, Path], tmp_path: Path) -> None:
    dataset, store = eval_setup
    report = tmp_path / "report"
    result = kotae_eval(str(dataset), "--store", str(store), "--report", str(report), *_method_args())
    assert result.returncode == 0, result.stderr
    markdown = (report / "report.md").read_text(encoding="utf-8")
    table = [line for line in markdown.splitlines() if line.startswith("|")]
    assert table[0].startswith("| method | query form |") and set(table[1]) <= set("|-")
    assert len(table) == 2 + len(METHODS) * len(FORMS)
    assert all(line.count("|") == table[0].count("|") for line in table)
    assert "recall_mrr.png" in markdown
    png = (report / "recall_mrr.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000
    per_query = json.loads((report / "per_query.json").read_text(encoding="utf-8"))
    assert set(per_query) == {f"{m} | {f}" for m in METHODS for f in FORMS}
    assert all(len(rows) == 3 for rows in per_query.values())
    # Without --json the table goes to stdout, progress to stderr.
    assert "| method | query form |" in result.stdout
    assert str(report / "report.md") in result.stderr


@pytest.mark.slow
def test_kotae_eval_unknown_method_is_a_usage_error(eval_setup: tuple[Path, Path]) -> None:
    dataset, store = eval_setup
    result = kotae_eval(str(dataset), "--store", str(store), "--json", "--method", "default+members")
    assert result.returncode == 2
    assert "default+members" in result.stderr and "Traceback" not in result.stderr
