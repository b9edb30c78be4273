"""The offline composer that states what was asked: the answer leads with the source sentence holding the asked
fact (an amount, a date, 「入力してはならない」), adds the next best sentences up to about 200 characters (a list
a sentence introduces comes with it), cites each, and returns the facts as data. A question with two asks is
answered ask by ask. When the topic is there but not the fact asked for, it says so and shows the closest
passages: 「資料には〇〇についての記載はありますが、金額は見当たりません。」.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from kotae.articles import paragraph_at
from kotae.types import Answer, Chunk, Citation, Fact, Sentence
from service.compose.extractive import REFUSAL, REFUSAL_HINT, render, same_statement
from service.compose.sentences import Candidate, citation, introduces_list, items_end, starts_mid_sentence
from service.reader.analysis import TYPE_LABELS, Analysis, compact
from service.reader.extract import Evidence, Extraction
from service.reader.facts import fact_spans


@dataclass(frozen=True)
class FactParams:
    """Size of an answer."""

    max_chars: int = 200  # before the items of a list the lead sentence introduces
    max_sentences: int = 3  # per ask
    keep_ratio: float = 0.7  # a further sentence must score at least this share of the lead
    closest: int = 3  # passages shown with a refusal


def compose_facts(asks: list[tuple[Analysis, Extraction]], params: FactParams | None = None) -> Answer:
    """The answer to one or more asks (see the module docstring)."""
    p = params or FactParams()
    sentences: list[Sentence] = []
    citations: list[Citation] = []
    facts: list[Fact] = []
    missing: list[tuple[Analysis, Extraction]] = []
    quoted: list[Evidence] = []  # the sentences the answer quotes so far
    for analysis, extraction in asks:
        chosen = _choose(analysis, extraction, p)
        if not chosen:
            if not any(fact_spans(e.candidate.quote, analysis.fact_type, analysis.fact_form)
                       and compact(analysis.head) in compact(e.candidate.display) for e in quoted):
                missing.append((analysis, extraction))
            # (else a sentence quoted for an earlier ask states it: 「…五％以上減少…上限額を一億円とし」)
            continue
        chosen = [e for e in chosen if not any(same_statement(e.candidate.display, q.candidate.display)
                                                for q in quoted)]  # an earlier ask quoted it already
        quoted.extend(chosen)
        for evidence in chosen:
            cand = evidence.candidate
            if evidence.lead_in is not None and evidence is chosen[0]:
                sentences.append(Sentence(evidence.lead_in.display, (_cite(citations, evidence.lead_in),)))
            n = _cite(citations, cand)
            if evidence is chosen[0] and analysis.asks_speaker and cand.chunk.speaker:
                sentences.append(Sentence(speaker_sentence(cand.chunk), (n,)))
            sentences.append(Sentence(cand.display, (n,)))
            facts.extend(_facts(evidence, analysis, n))
    if missing and not sentences:
        return _refusal(missing, p)
    for analysis, extraction in missing:  # the asks of a question the passages do not answer
        sentences.append(Sentence(_not_found(analysis, extraction)))
    return Answer(text=render(sentences), sentences=tuple(sentences), citations=tuple(citations), grounded=True,
                  facts=tuple(facts))


def _choose(analysis: Analysis, extraction: Extraction, p: FactParams) -> list[Evidence]:
    """The lead (the best sentence stating a fact of the asked type, or the best sentence when the type has no
    expression), then the sentences right after it in its passage and the next best ones, within the size."""
    ranked = extraction.answers
    if not ranked:
        return []
    if analysis.wants_fact:
        lead = next((e for e in ranked if e.facts and e.tied and not e.violates), None)
    elif analysis.asks_speaker:  # who said it: the best turn's speaker, from a sentence on the topic
        lead = next((e for e in ranked if e.candidate.chunk.speaker and e.tied and not e.violates), ranked[0])
    else:
        lead = ranked[0]
    if lead is None:
        return []
    chosen = [lead]
    chars = _length(lead.candidate)
    # what goes on from the lead (a table's next row does not: each row stands for itself; nor does an article's
    # next 項, another rule)
    following = [e for e in ranked if e.candidate.chunk.chunk_id == lead.candidate.chunk.chunk_id
                 and e.candidate.position == lead.candidate.position + 1 and e.focus > 0 and not e.violates
                 and lead.candidate.chunk.cells is None and _same_paragraph(lead.candidate, e.candidate)]
    if lead.candidate.list_from is None and introduces_list(lead.candidate.display):
        # its list begins the next chunk (a chunk edge fell after 「次に掲げる情報を入力してはならない。」): the
        # items come with it, as they would have in one chunk
        items = _items_opening_next_chunk(lead, ranked)
        if items is not None:
            return [lead, items]
    lead_in = lead.lead_in
    others = [e for e in ranked if e is not lead and e.candidate is not lead_in and not e.violates
              and e.score >= p.keep_ratio * lead.score
              and e.focus > 0 and e.focus >= p.keep_ratio * lead.focus
              and (e.candidate.chunk.cells is None or e.focus >= lead.focus)]  # a row: another row is another item
    for e in [*following, *others]:
        if len(chosen) >= p.max_sentences or e in chosen or _fragment(e):
            continue
        if chars + _length(e.candidate) > p.max_chars:
            continue
        if any(same_statement(e.candidate.display, c.candidate.display) for c in chosen):
            continue
        chosen.append(e)
        chars += _length(e.candidate)
    return chosen




def _same_paragraph(a: Candidate, b: Candidate) -> bool:
    """Whether two sentences of one chunk stand in the same 項 (always outside 例規 articles)."""
    chunk = a.chunk
    if chunk.article is None:
        return True
    return paragraph_at(chunk.text, a.start - chunk.start) == paragraph_at(chunk.text, b.start - chunk.start)


def _fragment(evidence: Evidence) -> bool:
    """A chunk's first piece that is the end of a sentence begun in a chunk not found (「は、次の各号の…」,
    「の予防上…」)."""
    return evidence.lead_in is None and evidence.candidate.position == 0 and \
        starts_mid_sentence(evidence.candidate.display)


def speaker_sentence(chunk: Chunk) -> str:
    """「水道局長（中嶋正宏）の発言です。」: who spoke the turn `chunk` is of, from its metadata (the citation names
    the same speaker)."""
    who = f"{chunk.speaker_title}（{chunk.speaker}）" if chunk.speaker_title else str(chunk.speaker)
    return f"{who}の発言です。"


def _items_opening_next_chunk(lead: Evidence, ranked: tuple[Evidence, ...]) -> Evidence | None:
    """The list items the chunk after `lead`'s begins with (that chunk found too), as one quote; None if none."""
    chunk = lead.candidate.chunk
    after = next((e for e in ranked if e.candidate.chunk.source == chunk.source
                  and e.candidate.chunk.ordinal == chunk.ordinal + 1), None)
    if after is None:
        return None
    following = after.candidate.chunk
    end = items_end(following.text, 0)
    if end <= 0:
        return None
    items = Candidate(after.candidate.hit, following.start, following.start + end, following.text[:end], 0, 0)
    return replace(after, candidate=items, lead_in=None, facts=())


def _length(cand: Candidate) -> int:
    """Characters a sentence adds before the list it introduces."""
    return len(cand.display if cand.list_from is None else cand.display.split("／", 1)[0])


def _cite(citations: list[Citation], cand: Candidate) -> int:
    """The citation number for `cand`: a new citation, or the last one when it continues that sentence's run."""
    last = citations[-1] if citations else None
    if last is not None and last.chunk_id == cand.chunk.chunk_id and last.end <= cand.start and \
            cand.chunk.text[last.end - cand.chunk.start:cand.start - cand.chunk.start].strip() == "":
        citations[-1] = citation(last.n, cand.chunk, last.start, cand.end)
        return last.n
    n = len(citations) + 1
    citations.append(citation(n, cand.chunk, cand.start, cand.end))
    return n


def _facts(evidence: Evidence, analysis: Analysis, n: int) -> list[Fact]:
    cand = evidence.candidate
    return [Fact(cand.quote[s:e], analysis.answer_type, n, cand.start + s, cand.start + e)
            for s, e in evidence.facts]


def _topic(analysis: Analysis, extraction: Extraction | None = None) -> str:
    """What the refusal says the documents discuss: the focus terms the passages found do hold (never a word they
    lack: 「懇親会」 when they say 懇談会), at most two; 「ご質問の件」 when they hold none whole."""
    if extraction is None:
        return "・".join(analysis.focus[:2]) if analysis.focus else "ご質問の件"
    texts = [compact(e.candidate.chunk.title + e.candidate.chunk.text) for e in extraction.evidence
             if e.focus_passage > 0]
    held = [t for t in analysis.focus if any(compact(t) in text for text in texts)]
    return "・".join(held[:2]) if held else "ご質問の件"


def _not_found(analysis: Analysis, extraction: Extraction) -> str:
    """「資料には宿泊税についての記載はありますが、金額は見当たりません。」 and its kin."""
    label = TYPE_LABELS.get(analysis.answer_type, "内容")
    if extraction.reason == "no_topic":
        return f"資料には{_topic(analysis)}についての記載が見当たりません。"
    if extraction.reason == "constraint_unmet":
        constraints = analysis.constraints
        limits = "・".join([*(y.label() for y in constraints.years), *constraints.places])
        return f"資料には{_topic(analysis, extraction)}についての記載はありますが、{limits}の{label}は見当たりません。"
    return f"資料には{_topic(analysis, extraction)}についての記載はありますが、{label}は見当たりません。"


def _refusal(missing: list[tuple[Analysis, Extraction]], p: FactParams) -> Answer:
    """Not answered: why, and the closest passages (the best on-topic sentences when the topic was found)."""
    extraction = missing[0][1]
    closest: list[Citation] = []
    seen: set[str] = set()
    pool = [e for e in extraction.evidence if e.focus > 0 or e.focus_passage > 0] or list(extraction.evidence)
    for e in pool:
        if e.candidate.chunk.chunk_id in seen or len(closest) >= p.closest:
            continue
        seen.add(e.candidate.chunk.chunk_id)
        closest.append(citation(len(closest) + 1, e.candidate.chunk, e.candidate.start, e.candidate.end))
    if extraction.reason == "no_topic" or not extraction.topic_found:
        text = REFUSAL + (REFUSAL_HINT if closest else "")
        reason = "no_topic"
    else:
        text = " ".join(_not_found(a, x) for a, x in missing) + REFUSAL_HINT
        reason = extraction.reason
    return Answer(text=text, sentences=(), citations=(), grounded=False, closest=tuple(closest), reason=reason)
