"""Draft evaluation (`kotae eval DATASET --drafts`): what a 担当課 drafter checks first in a 答弁案.

For every question of a dataset with a `gold_answer_summary`, drafts are written in each stance and measured:

- content recall: the share of the summary's content words (Sudachi mode A normalized forms of nouns, verbs,
  adjectives; numerals and function words left out) that the draft body holds — a ROUGE-1 recall — beside the
  summary's character-bigram recall;
- sentences opening with a source's discourse marker or announcing a topic (「まず、」「次に、」「…について
  でございますが、」「…のお尋ねでございます」);
- sentences in another speaker's first person (「私は」 of a 知事 in a 局長's draft);
- sections left empty (the drafter has to write them);
- stance pairs: 推進 and 慎重 drafts whose 今後の方針 cites the same sentences (the stance changed only the last
  line), and 慎重 drafts whose 今後の方針 promises expansion before the cautious closing.

The markers are listed here, apart from the drafter's own trimming rules, so the check does not simply agree
with what it checks: it is a wider net, written from the issue and from reading drafts.
"""

from __future__ import annotations

import json
import math
import re
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from eval.answers import bigram_recall
from eval.dataset import Question
from eval.metrics import percentile
from service.draft import Draft, Drafter
from service.drafting.stance import STANCE_NAMES

STANCES = STANCE_NAMES
DRAFT_COLUMNS = ("drafts", "content recall", "bigram recall", "opener sentences", "drafts with an opener",
                 "other speaker's 私", "empty sections", "same 方針 推進/慎重", "慎重 promising expansion",
                 "sentences", "p50 ms", "p95 ms")
# a sentence opening as a speech does, not as a draft's content
_OPENER = re.compile(
    r"^\s*(?:(?:まず|初めに|はじめに|最初に|次に|続いて|最後に|さらに|また|加えて|なお|一方|ところで)、"
    r"|[^。]{0,80}?(?:についてでございますが|についてでありますが|についてですが|についてのお尋ねでございます"
    r"|のお尋ねでございます|についてのお尋ねがございました|とのご質問がございました|とのお尋ねがございました"
    r"|についてお答えいたします|についてお答え申し上げます))")
# the speaker's own first person
_FIRST_PERSON = re.compile(r"私(?:は|が|も|自身|みずから|自ら|としては|としても|から|の|ども)")
# expansion or intent, which a 慎重 closing contradicts
_EXPANSION = re.compile(
    r"(拡充|拡大|強化|加速|推進|充実)(?:を図って|して|に取り組んで|を進めて)?(?:まいります|いきます)")
_NO_SOURCE_MARK = "担当課で記載してください"


@dataclass
class DraftEval:
    """The draft figures on one dataset, with per-question detail."""

    metrics: dict[str, float]
    per_question: list[dict[str, object]] = field(default_factory=list)


def content_words(text: str) -> set[str]:
    """Sudachi mode A normalized forms of the content words of `text` (名詞 but not 数詞, 動詞, 形容詞, 形状詞;
    not 非自立可能 ones such as する, こと, ある)."""
    from kotae.morphology import morphemes_a

    words: set[str] = set()
    for m in morphemes_a(text):
        pos = m.part_of_speech()
        if pos[0] not in ("名詞", "動詞", "形容詞", "形状詞") or pos[1] == "数詞" or pos[2] == "非自立可能" \
                or pos[1] == "非自立可能":
            continue
        form = str(m.normalized_form())
        if form.strip() and not re.fullmatch(r"[\W\d_]+", form):
            words.add(form)
    return words


def content_recall(draft_body: str, summary: str) -> float:
    """ROUGE-1 recall over content words: the share of the summary's content words the draft holds."""
    wanted = content_words(summary)
    return len(wanted & content_words(draft_body)) / len(wanted) if wanted else 0.0


def opens_as_speech(sentence: str) -> bool:
    """Whether a draft sentence opens with a discourse marker or only announces its topic."""
    return _OPENER.match(sentence) is not None


def answerer_of(draft: Draft) -> str:
    """The role the draft answers as: its `answerer` when it names one, else the role most of its cited sentences
    are of (drafts written before the field existed)."""
    named = getattr(draft, "answerer", "") or ""
    if named:
        return named
    roles = [c.speaker_title for c in draft.citations if c.speaker_title]
    return max(set(roles), key=roles.count) if roles else ""


def other_first_person(draft: Draft) -> int:
    """Sentences in the first person of a speaker other than the one the draft answers as."""
    role = answerer_of(draft)
    by_n = {c.n: c for c in draft.citations}
    count = 0
    for section in draft.sections:
        for sentence in section.sentences:
            speakers = {by_n[n].speaker_title for n in sentence.citations if n in by_n}
            if _FIRST_PERSON.search(sentence.text) and speakers and role not in speakers:
                count += 1
    return count


def policy_citations(draft: Draft) -> frozenset[tuple[str, int, int]]:
    """What the 今後の方針 section cites: (source, start, end) of each quoted passage."""
    by_n = {c.n: c for c in draft.citations}
    section = next((s for s in draft.sections if s.heading == "今後の方針"), None)
    if section is None:
        return frozenset()
    return frozenset((by_n[n].source, by_n[n].start, by_n[n].end) for s in section.sentences for n in s.citations
                     if n in by_n)


def promises_expansion(draft: Draft) -> bool:
    """Whether a draft's 今後の方針 sentences (not its closing) promise expansion."""
    section = next((s for s in draft.sections if s.heading == "今後の方針"), None)
    return section is not None and any(s.citations and _EXPANSION.search(s.text) for s in section.sentences)


def draft_body(draft: Draft) -> str:
    """The cited sentences of a draft (no opening, closing or placeholders)."""
    return "".join(s.text for sec in draft.sections for s in sec.sentences if s.citations)


def evaluate_drafts(questions: Sequence[Question], drafter: Drafter) -> DraftEval:
    """Draft every question with a summary in each stance and compute the figures (content recall on the
    default stance, 検討)."""
    latencies: list[float] = []
    rows: list[dict[str, object]] = []
    recall: list[float] = []
    bigram: list[float] = []
    openers = with_opener = first_person = empty = same_policy = expanding = sentences = 0
    asked = [q for q in questions if q.answerable and q.summary]
    for q in asked:
        drafts: dict[str, Draft] = {}
        for stance in STANCES:
            began = time.perf_counter()
            drafts[stance] = drafter.draft(q.query, stance=stance)
            latencies.append((time.perf_counter() - began) * 1000)
        main = drafts["検討"]
        body = draft_body(main)
        recall.append(content_recall(body, q.summary))
        bigram.append(bigram_recall(body, q.summary))
        cited = [s.text for sec in main.sections for s in sec.sentences if s.citations]
        speech = [s for s in cited if opens_as_speech(s)]
        openers += len(speech)
        with_opener += bool(speech)
        sentences += len(cited)
        first_person += other_first_person(main)
        empty += sum(1 for sec in main.sections if not any(s.citations for s in sec.sentences))
        push, careful = policy_citations(drafts["推進"]), policy_citations(drafts["慎重"])
        same = push == careful
        same_policy += same
        expanding += promises_expansion(drafts["慎重"])
        rows.append({"qid": q.qid, "question": q.query, "summary": q.summary, "content_recall": round(recall[-1], 3),
                     "openers": speech, "same_policy": same, "draft": main.text,
                     "draft_推進": drafts["推進"].text, "draft_慎重": drafts["慎重"].text})
    n = len(asked)
    metrics = {
        "drafts": float(n),
        "content recall": statistics.mean(recall) if recall else float("nan"),
        "bigram recall": statistics.mean(bigram) if bigram else float("nan"),
        "opener sentences": float(openers),
        "drafts with an opener": with_opener / n if n else float("nan"),
        "other speaker's 私": float(first_person),
        "empty sections": float(empty),
        "same 方針 推進/慎重": same_policy / n if n else float("nan"),
        "慎重 promising expansion": expanding / n if n else float("nan"),
        "sentences": float(sentences),
        "p50 ms": statistics.median(latencies) if latencies else 0.0,
        "p95 ms": percentile(latencies, 95),
    }
    return DraftEval(metrics, rows)


def draft_table(result: DraftEval) -> str:
    """The figures as one Markdown table row under its header."""
    cells = [f"{result.metrics[c]:.3f}" if not float(result.metrics[c]).is_integer() else f"{result.metrics[c]:.0f}"
             for c in DRAFT_COLUMNS]
    return "\n".join(["| " + " | ".join(DRAFT_COLUMNS) + " |", "|" + " --- |" * len(DRAFT_COLUMNS),
                      "| " + " | ".join(cells) + " |"])


def run_drafts(dataset: Path, drafter: Drafter, as_json: bool, details: Path | None) -> int:
    """`kotae eval DATASET --drafts`: print the figures (and write every question's drafts to `details`)."""
    from eval.cli import load_dataset

    result = evaluate_drafts(load_dataset(dataset), drafter)
    if details is not None:
        with details.open("w", encoding="utf-8") as out:
            for row in result.per_question:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    if as_json:
        print(json.dumps({"dataset": str(dataset), **{k: (None if math.isnan(v) else v)
                                                      for k, v in result.metrics.items()}}, ensure_ascii=False))
    else:
        print(draft_table(result))
    return 0
