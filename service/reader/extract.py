"""Answer extraction: every quotable sentence of the passages scored by its own evidence for the question —
the focus whole, the constraints met, an expression of the asked type tied to the focus — with the passage's
retrieval score as one feature among them. Decides whether the passages answer at all and, when they do not,
why (`no_topic`, `no_fact_of_type`, `constraint_unmet`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import pairwise

from kotae.articles import matches, paragraph_at, paragraph_of
from kotae.formats import ROW_JOINER
from kotae.jdates import to_iso_date
from kotae.jtext import SudachiTokenizer
from kotae.locations import law_of
from kotae.morphology import name_spans, short_units
from kotae.types import RULE_DOC_TYPES, Chunk, Hit
from service.compose.relevance import QueryTerms
from service.compose.sentences import Candidate, candidates, introduces_list, is_enactment
from service.reader.analysis import RELATIVE_YEARS, Analysis, Year, alternatives, compact, names_relative, years_in
from service.reader.facts import EXCEPTION, PROCEDURE, PROHIBITION, fact_spans, figures_in
from service.reader.periods import document_month, relative_years

# a year a sentence compares its figure with: 「令和７年度当初予算と比べて」「前年度比」
_COMPARED_YEAR = re.compile(
    r"(令和|平成|昭和)\s*[0-9０-９元一二三四五六七八九十]+\s*年度?[^、。]{0,12}?(と比べ|と比較|に比べ|比)")
PlaceOf = Callable[[str], str | None]  # a document's source -> its municipality, None when not known


@dataclass(frozen=True)
class ExtractParams:
    """Weights of a sentence's evidence (chosen on the dev sets; README *Answers*)."""

    focus: float = 2.0  # share of the focus terms the sentence holds whole
    focus_passage: float = 0.6  # ... its passage holds
    fact: float = 1.5  # an expression of the asked type in a sentence holding the focus
    fact_elsewhere: float = 0.6  # ... in a sentence whose passage holds the focus
    method_fact: float = 0.4  # a procedure's words (申請, 承認を得, してください) for a how-to question: a hint
    coverage: float = 1.0  # weighted share of the question's words
    prior: float = 0.8  # the passage's retrieval score relative to the best, for a question wanting a fact
    prior_open: float = 2.0  # ... for an open question (方針, 取組, 見解): turn-aware retrieval finds its answer best
    year: float = 0.5  # names the year asked about
    kind: float = 0.3  # is of the document kind the question names (条例, 施政方針, 答弁)
    relative: float = 0.5  # names the relative year asked about (来年度は…), or with the sentence before
    other_relative: float = 0.5  # ... names only other relative years (今年度は… for a 来年度 question): subtracted
    near: float = 0.5  # a fact right after a focus term (「大会経費V4は一兆三千五百億円」) or before its の
    near_chars: int = 10  # ... within this many characters
    order: float = 1.0  # the latest (最後に改正) or earliest (初めて) of the dates tied sentences state
    predicate: float = 1.0  # a date right before the question's verb (「令和８年１月１日から施行する」: いつから施行)
    figure: float = 1.0  # states a figure the question states (７編成 for 「7編成に増えたのはいつ」)
    day: float = 0.5  # is of a meeting held on the day the question names (3月27日の本会議)
    violated: float = 0.25  # another year or municipality than the one asked about: the score is multiplied
    member: float = 0.6  # a member's question is no answer
    head_focus: float = 0.25  # ... or, holding a common head, this share
    tied: float = 0.5  # the focus share a sentence (with the one before it) needs for its fact to answer
    context: float = 0.8  # of the focus the sentence before holds, a sentence gets
    context_chars: int = 120  # how much of the text before a sentence is read for it
    title: float = 0.8  # of the focus its document's title holds with it, a sentence gets (この規程は…施行する)
    faq_question: float = 0.9  # of the focus its question line holds, an FAQ answer's first sentence gets
    exception: float = 0.5  # a sentence that opens as an exception (ただし、前項の規定にかかわらず) does not lead
    rule: float = 0.8  # for may-I questions, a sentence stating the rule (a prohibition) before its exceptions
    rule_document: float = 0.3  # ... and one of a guideline or an ordinance, before a 答弁 about it
    topic: float = 0.5  # the focus share a passage needs for the topic to count as found
    dense_topic: float = 0.45  # or the dense cosine of its best passage (a paraphrase; the default embedder: absent
    # topics reach 0.29 at the median, 0.41 at the 90th percentile, answerable ones 0.47 at the median) ...
    dense_focus: float = 0.25  # ... when that passage holds this share of the focus


@dataclass(frozen=True)
class Evidence:
    """One candidate sentence and what it shows for the question."""

    candidate: Candidate
    score: float
    focus: float  # share of focus terms in the sentence
    focus_passage: float
    facts: tuple[tuple[int, int], ...]  # spans of `candidate.quote` stating a fact of the asked type
    violates: str  # "" or why it answers another question ("year", "place", "article")
    lead_in: Candidate | None = None  # the start of the sentence, when a chunk edge cut it (the previous chunk's)
    tied: bool = False  # it holds enough of the focus (ExtractParams.tied) for its facts to answer the question


@dataclass(frozen=True)
class Extraction:
    """The scored sentences (best first) and whether they answer: `reason` is "" when they do."""

    evidence: tuple[Evidence, ...]
    reason: str  # "", "no_topic", "no_fact_of_type", "constraint_unmet"
    topic_found: bool

    @property
    def answers(self) -> tuple[Evidence, ...]:
        """The sentences that may answer, best first (empty when the extraction refuses)."""
        return self.evidence if not self.reason else ()


def extract(analysis: Analysis, hits: list[Hit], terms: QueryTerms, tokenizer: SudachiTokenizer,
            place_of: PlaceOf, params: ExtractParams | None = None) -> Extraction:
    """Score every quotable sentence of `hits` for the question `analysis` describes, and decide."""
    p = params or ExtractParams()
    cands = candidates(hits, procedure=analysis.answer_type == "person")
    if not hits:
        return Extraction((), "no_topic", False)
    best_hit = max(h.score for h in hits) or 1.0
    seen: dict[str, frozenset[str]] = {}

    def words(text: str) -> frozenset[str]:  # a title, a chunk, a heading: tokenised once per question
        if text not in seen:
            seen[text] = frozenset(tokenizer.tokenize(text))
        return seen[text]

    pieces = {term: tuple(tokenizer.tokenize(term)) for term in analysis.focus}
    passage_focus = {h.chunk.chunk_id: _focus_share(
        analysis, h.chunk.title + "\n" + _speaker(h.chunk) + _with_previous(h, hits), pieces,
        set(words(h.chunk.text) | words(h.chunk.title)), terms) for h in hits}
    doc_focus = _document_focus(analysis, hits, pieces, words, terms)
    lead_ins = _lead_ins(cands)
    articled = frozenset(h.chunk.source for h in hits if h.chunk.article is not None)  # documents read by article
    by_place = {(h.chunk.source, h.chunk.ordinal): h.chunk for h in hits}
    # what the passages hold, compacted once (a speaker's name too: 迫 in 「迫市長」)
    texts = compact("".join(h.chunk.title + "\n" + _speaker(h.chunk) + h.chunk.text for h in hits))
    found_words = frozenset().union(*(words(h.chunk.text) for h in hits))
    absent = [t for t in analysis.focus if pieces[t] and all(piece in terms.unknown for piece in pieces[t])
              and not _holds(t, texts) and not _spread(short_units(t), texts)
              and not all(piece in found_words for piece in pieces[t])]
    # (a word no document has, ドッグラン: that topic is not here; 売上 is there as 売り上げ)
    topic_found = (not absent and (any(v >= p.topic for v in passage_focus.values()) or (
        not analysis.focus and bool(cands)))) or _dense_topic(hits, passage_focus, p)
    scored: list[Evidence] = []
    dated: set[int] = set()  # candidates whose date is of the question's verb (「…から施行する」)
    prior = p.prior if analysis.wants_fact else p.prior_open
    head, fact_type, fact_form = analysis.head, analysis.fact_type, analysis.fact_form  # read off the question once
    # a head as common as 予算 ties only a sentence holding some of the rest of the focus too
    specific_head = max((terms.weights.get(t, 0.0) for t in pieces.get(head, ())), default=0.0) >= _SPECIFIC_IDF
    for cand in cands:
        if is_enactment(cand.quote) and not (analysis.answer_type == "count" or (
                analysis.answer_type == "date" and _ASKS_ENACTMENT.search(analysis.text))):
            continue  # 「昭和43年9月10日／規程第9号」 says when and as what a 例規 was made: not when its 表彰 is
        lead_in = lead_ins.get(id(cand))
        text = cand.display if lead_in is None else lead_in.display + cand.display
        if cand.list_from is None and introduces_list(cand.display):
            text += _list_after(cand, by_place)  # what the list it introduces holds, in the next chunk
        tokens = set(tokenizer.tokenize(text)) | {e for e in analysis.expansions if e in text}
        focus = _focus_share(analysis, text, pieces, tokens, terms)
        # the sentence before often names what this one states (「…総額は」「約２５５億円」), unless this one opens
        # a topic of its own (「健康づくり施策の推進といたしましては、…」)
        before = "" if _OWN_TOPIC.match(cand.display) or _NEXT_ITEM.match(cand.display) else \
            _context_before(cand, p.context_chars)
        if cand.chunk.cells is not None:  # a table's row: its own cells, read under its header (not the rows above)
            text = cand.quote.replace(ROW_JOINER, " ")
            tokens = set(tokenizer.tokenize(text)) | {e for e in analysis.expansions if e in text}
            focus = _focus_share(analysis, text, pieces, tokens, terms)
            before = (cand.chunk.context or "").replace(ROW_JOINER, " ") + "\n"
        heading = _heading_before(before)
        if before.strip():
            focus = max(focus, p.context * _focus_share(analysis, before + text, pieces,
                                                        tokens | words(before), terms))
        if heading:  # the heading right above (「議案第９号：…火災予防条例の一部を改正する条例」) is its subject
            focus = max(focus, _focus_share(analysis, heading + text, pieces, tokens | words(heading), terms))
        # 「この規程は」: the title names what the text says; a turn's speaker (市長) is what it is said by
        titled = cand.chunk.title + "\n" + _speaker(cand.chunk) + before + text
        focus = max(focus, p.title * _focus_share(analysis, titled, pieces,
                                                  tokens | words(cand.chunk.title), terms))
        asked = _asked_before(cand)
        if asked:  # an FAQ's answer is about what its question line asks (「Q8. カードを紛失したときは…」)
            asked_text = asked + text
            asked_tokens = tokens | words(asked)
            focus = max(focus, p.faq_question * _focus_share(analysis, asked_text, pieces, asked_tokens,
                                                                 terms))
        focus_passage = passage_focus.get(cand.chunk.chunk_id, 0.0)
        # a fact answers when its sentence (with what it continues) holds the focus, or holds the head of the
        # question (the asked thing: 車賃, 政務活動費) in a passage or document about the rest of it
        named = cand.chunk.title + "\n" + _speaker(cand.chunk) + heading + text + (asked or "")
        tied = focus >= p.tied or (max(focus_passage, doc_focus.get(cand.chunk.source, 0.0)) >= p.topic
                                   and (focus >= p.head_focus or specific_head)
                                   and _holds_head(head, pieces, named, text, terms.weights))
        spans = fact_spans(cand.quote, fact_type, fact_form)
        if analysis.answer_type == "person":  # who: a name states it better than a title (楠瀬公美氏を任命), and
            # the title asked about is no answer to it (「市長は誰」)
            spans = [sp for sp in sorted({*spans, *name_spans(cand.quote)})
                     if not any(_holds(t, cand.quote[sp[0]:sp[1]]) for t in analysis.focus)]
        facts = _on_focus_clauses(cand.quote, _on_focus_lines(cand.quote, spans, analysis), analysis)
        violates = _violation(analysis, cand, before, place_of, articled)
        score = (p.focus * focus + p.focus_passage * focus_passage + p.coverage * terms.coverage(tokens)
                 + prior * max(0.0, cand.hit.score / best_hit))
        if facts:  # for reason and person questions an expression helps but is not required
            weight = p.method_fact if analysis.answer_type == "method" else p.fact
            score += weight if tied else min(weight, p.fact_elsewhere) if focus_passage > 0 else 0.0
            if tied and analysis.answer_type in _FIGURE_TYPES and _attached(cand.quote, facts, analysis,
                                                                             p.near_chars):
                score += p.near
            if tied and analysis.answer_type == "date" and _dates_the_predicate(cand.quote, facts, analysis):
                score += p.predicate
                dated.add(id(cand))
            if analysis.answer_type == "method" and PROCEDURE.search(cand.display):
                score += p.rule  # 「…を利用しようとする職員は、所属長の承認を得た上で…」 answers 「どうすればいい」
            if analysis.answer_type == "permission" and PROHIBITION.search(cand.display):
                score += p.rule  # 「入力してはならない」 answers 「入力してよいか」 before its exceptions do
            if analysis.answer_type in ("permission", "method") and cand.chunk.doc_type in RULE_DOC_TYPES:
                score += p.rule_document  # the rule itself (or the procedure it sets), before what was said of it
        if analysis.constraints.years and _names_year(text, cand, analysis.constraints.years):
            score += p.year
        if cand.chunk.doc_type in analysis.constraints.doc_types:
            score += p.kind
        if cand.chunk.article and any(matches(cand.chunk.article, a) for a in analysis.constraints.articles):
            score += p.kind  # 「第5条は」: the article itself
        score += _stated_alike(analysis, cand, before + text, p)
        if violates:
            score *= p.violated
        if EXCEPTION.match(cand.display) and focus < 1.0:
            score -= p.exception  # (an exception holding all the question names is the case asked: 仮名化した情報なら)
        if cand.chunk.speaker_role == "member":
            score *= p.member
        scored.append(Evidence(cand, score, focus, focus_passage, facts, violates, lead_in, tied))
    if analysis.constraints.order and analysis.answer_type == "date":
        scored = _in_order(scored, analysis.constraints.order, p.order)
    if dated:  # a sentence says when the asked act was done: the others' dates are of other events
        scored = [e if id(e.candidate) in dated or not (e.facts and e.tied) else replace(e, score=e.score - p.fact)
                  for e in scored]
    scored.sort(key=lambda e: e.score, reverse=True)
    return Extraction(tuple(scored), _reason(analysis, scored, topic_found), topic_found)


def _reason(analysis: Analysis, scored: list[Evidence], topic_found: bool) -> str:
    if not scored or not topic_found:
        return "no_topic"
    if not analysis.wants_fact:
        return ""
    with_fact = [e for e in scored if e.facts and e.tied]
    if not with_fact:
        return "no_fact_of_type"
    if all(e.violates for e in with_fact):
        return "constraint_unmet"
    return ""


def focus_share(analysis: Analysis, text: str, tokenizer: SudachiTokenizer, terms: QueryTerms) -> float:
    """The weighted share of the question's focus terms `text` holds (see `_focus_share`): 1.0 without a focus."""
    pieces = {term: tuple(tokenizer.tokenize(term)) for term in analysis.focus}
    return _focus_share(analysis, text, pieces, set(tokenizer.tokenize(text)), terms)


def _focus_share(analysis: Analysis, text: str, pieces: dict[str, tuple[str, ...]],
                 tokens: set[str] | None = None, terms: QueryTerms | None = None) -> float:
    """Weighted share of the focus terms `text` holds: a term held whole (or as the documents write it) counts
    fully, a compound only by all its pieces (Sudachi tokens, 「マイナンバー」「カード」 for 「マイナンバーカード」)
    half; the question's document words (`expansions`: 紛失 for なくした) count as half a term more. A term weighs
    the rarity of its pieces (受付時間 more than 窓口). 1.0 when the question has no focus.

    Tried and measured worse on all three dev sets: crediting a compound's pieces in proportion (near misses got
    answered), and weighing words no document has least (absent topics got answered)."""
    if not analysis.focus:
        return 1.0
    flat = compact(text)
    weights = terms.weights if terms is not None else {}
    held = total = 0.0
    for term in analysis.focus:
        weight = sum(weights.get(piece, 1.0) for piece in pieces[term]) or 1.0
        total += weight
        if compact(term) in flat or any(compact(s) in flat for s in alternatives(term)):
            held += weight
        elif tokens is not None and len(pieces[term]) == 1 and pieces[term][0] in tokens:
            held += weight  # the same word in another spelling (受け付け for 受付: Sudachi's normalized form)
        elif len(pieces[term]) > 1 and _spread(short_units(term), flat):
            held += weight  # the compound with a word put inside it (段ボール製簡易ベッド, 駐車場等設置条例)
        elif tokens is not None and len(pieces[term]) > 1 and all(
                t in tokens or any(compact(s) in flat for s in alternatives(t)) for t in pieces[term]):
            held += weight / 2
    if analysis.expansions:  # a document word for a staff verb (紛失 for なくした) weighs half a term
        weight = total / len(analysis.focus) / 2
        total += weight
        held += weight * any(compact(e) in flat for e in analysis.expansions)
    return held / total


_SPREAD_GAP = 4  # characters a document may put between a compound's pieces (製簡易, 等設置) ...
_SPREAD_START = "等製用型式的・"  # ... starting as a suffix or joint does: 補正 in 一般会計補正予算 makes another kind


def _spread(pieces: tuple[str, ...], flat: str) -> bool:
    """Whether `flat` holds the pieces in order, the gaps between them (if any) each a suffix or joint and up to
    `_SPREAD_GAP` characters with no clause break: 段ボール製簡易ベッド holds 段ボールベッド, 駐車場等設置条例
    holds 駐車場条例, but 一般会計補正予算 holds no 一般会計予算."""
    gap = f"(?:[{_SPREAD_START}][^、。，,]{{0,{_SPREAD_GAP - 1}}})?"
    pattern = gap.join(re.escape(compact(p)) for p in pieces)
    return re.search(pattern, flat) is not None


def _on_focus_lines(quote: str, spans: list[tuple[int, int]], analysis: Analysis) -> tuple[tuple[int, int], ...]:
    """The facts of a list or table (a quote of several lines) on the lines naming a focus term, when any does:
    「住民票の写し 300円 200円」 answers the 住民票 question, not the 戸籍謄本 row below it."""
    if "\n" not in quote or not spans:
        return tuple(spans)
    starts = [0] + [i + 1 for i, ch in enumerate(quote) if ch == "\n"]
    lines = [(a, (starts[k + 1] - 1) if k + 1 < len(starts) else len(quote)) for k, a in enumerate(starts)]
    return _on_named(quote, tuple(spans), lines, analysis) or tuple(spans)


# where a sentence goes on to another item: 「…定期接種を新たに始めるほか、…無料クーポン券による…」
_OTHER_ITEM = re.compile(r"(?<=ほか)、")


def _on_focus_clauses(quote: str, facts: tuple[tuple[int, int], ...],
                      analysis: Analysis) -> tuple[tuple[int, int], ...]:
    """The facts of a sentence that goes on to another item (「Aを始めるほか、Bを無料で実施」) in the clauses naming a
    focus term, when one does: the 無料 of B does not answer a question about A."""
    if not facts or not analysis.focus:
        return facts
    cuts = [0, *(m.end() for m in _OTHER_ITEM.finditer(quote)), len(quote)]
    if len(cuts) < 3:
        return facts
    return _on_named(quote, facts, list(pairwise(cuts)), analysis)


def _on_named(quote: str, facts: tuple[tuple[int, int], ...], segments: list[tuple[int, int]],
              analysis: Analysis) -> tuple[tuple[int, int], ...]:
    """The facts starting in a segment of `quote` (a line, a clause) that names a focus term; all of them when no
    segment names one."""
    named = [(a, b) for a, b in segments if any(_holds(t, quote[a:b]) for t in analysis.focus)]
    if not named:
        return facts
    return tuple(f for f in facts if any(a <= f[0] < b for a, b in named))


# a fact before the term it is of: 「…億円の補正予算」「昨年５月に「…」を表明」
_JOINT = re.compile(r"(の|を|に|で)[「『]?")
_TOPIC_MARK = re.compile(r"^(は|では|には|につきましては|については|としては|が)、")  # 「…交付金につきましては、３億…」
_FIGURE_TYPES = ("amount", "date", "count")  # facts that belong to the noun before them


def _attached(quote: str, facts: tuple[tuple[int, int], ...], analysis: Analysis, chars: int) -> bool:
    """Whether a fact of `quote` follows a focus term within `chars` characters of the same sentence, or comes
    right before one (「総額三千五百七十四億円の補正予算」): the figure is that term's, not another's in a long
    sentence (「…経費精査により生み出した百億円を緊急対応費として」)."""
    if not facts or not analysis.focus:
        return False
    flat, at = _flattened(quote)
    spots = [(m.start(), m.end()) for term in analysis.focus for word in (term, *alternatives(term))
             if compact(word) for m in re.finditer(re.escape(compact(word)), flat)]
    for start, end in facts:
        a, b = at[start], at[max(start, end - 1)] + 1
        for s, e in spots:
            if _follows(flat[e:a] if 0 <= a - e <= chars else "、") or _JOINT.fullmatch(flat[b:s]):
                return True
    return False


def _in_order(scored: list[Evidence], order: str, gain: float) -> list[Evidence]:
    """`scored` with `gain` added to the tied sentence stating the latest (or earliest) whole date: 「最後に改正
    されたのはいつ」 is the last 附則's 平成28年6月23日, not the first one's."""
    dates: dict[int, str] = {}
    for i, e in enumerate(scored):
        if e.tied and e.facts:
            found = [to_iso_date(e.candidate.quote[a:b]) for a, b in e.facts]
            whole = sorted(d for d in found if d)
            if whole:
                dates[i] = whole[-1] if order == "latest" else whole[0]
    if not dates:
        return scored
    pick = (max if order == "latest" else min)(dates, key=lambda i: dates[i])
    return [replace(e, score=e.score + gain) if i == pick else e for i, e in enumerate(scored)]


_TO_VERB = re.compile(r"(から|より|に|で|まで)?")  # 「…から施行」「…より開始」「…に設立」


def _dates_the_predicate(quote: str, facts: tuple[tuple[int, int], ...], analysis: Analysis) -> bool:
    """Whether a date of `quote` stands right before the question's verb (`Analysis.predicate`: 施行, 開始, 設立):
    the date of that act, not of another event the sentence names (「令和７年２月２６日に発生した…林野火災」)."""
    if not analysis.predicate or not facts:
        return False
    flat, at = _flattened(quote)
    verb = compact(analysis.predicate)
    for start, end in facts:
        b = at[max(start, end - 1)] + 1
        if re.match(_TO_VERB.pattern + re.escape(verb), flat[b:]):
            return True
    return False


def _follows(between: str) -> bool:
    """Whether a fact after a term by `between` is the term's: no clause break between (「V4は一兆…」), or only the
    topic's own comma and a word or so (「…交付金につきましては、３億…」, not 「…資金は、貸付上限額が二十万円」)."""
    if not re.search(r"[、。,]", between):
        return True
    rest = _TOPIC_MARK.sub("", between)
    return rest != between and len(rest) <= 3 and not re.search(r"[、。,]", rest)


def _flattened(text: str) -> tuple[str, list[int]]:
    """`compact(text)` and, for each index of `text`, the index in it of that character (or the next kept one)."""
    out: list[str] = []
    at: list[int] = []
    for ch in text:
        at.append(len(out))
        out.extend(compact(ch))
    return "".join(out), at


def _stated_alike(analysis: Analysis, cand: Candidate, text: str, p: ExtractParams) -> float:
    """What a sentence gains for saying what the question says besides its focus: the same relative year, the
    same figure, a meeting on the same day."""
    c = analysis.constraints
    gain = 0.0
    if c.relative:
        if any(names_relative(text, word) for word in c.relative):
            gain += p.relative
        elif any(names_relative(cand.display, w) for group in RELATIVE_YEARS for w in group):
            gain -= p.other_relative
    if c.figures:
        stated = figures_in(cand.display)
        if c.figures & stated:
            gain += p.figure
        elif {unit for _, unit in c.figures} & {unit for _, unit in stated}:
            gain -= p.figure  # 「三編成で運行を開始」 for 「7編成に増えたのはいつ」: the state before it
    if c.days and cand.chunk.date and any(cand.chunk.date[5:10] == f"{m:02d}-{d:02d}" for m, d in c.days):
        gain += p.day
    return gain


def _document_focus(analysis: Analysis, hits: list[Hit], pieces: dict[str, tuple[str, ...]],
                    words: Callable[[str], frozenset[str]], terms: QueryTerms) -> dict[str, float]:
    """source -> the focus share of its title and found passages together (「林野火災の注意報を入れた火災予防条例
    の改正」: the 附則 names none of it, its document all)."""
    texts: dict[str, list[str]] = {}
    for hit in hits:
        texts.setdefault(hit.chunk.source, [hit.chunk.title]).append(hit.chunk.text)
    return {source: _focus_share(analysis, "\n".join(parts), pieces, set().union(*(words(t) for t in parts)),
                                 terms) for source, parts in texts.items()}


def _speaker(chunk: Chunk) -> str:
    """「市長 迫俊哉\n」: who speaks the turn `chunk` is of, as context of what it says ("" for other documents)."""
    return f"{chunk.speaker_title or ''} {chunk.speaker}\n" if chunk.speaker else ""


# A word in at most about one passage in twenty-five (e^-3.2): 記録簿, not 事業 (which stands at 3.0 in the sample
# city's few passages, and at 1.3 in the real data's thousands).
_SPECIFIC_IDF = 3.2


def _holds_head(head: str, pieces: dict[str, tuple[str, ...]], named: str, sentence: str,
                weights: dict[str, float]) -> bool:
    """Whether the question's head term is held whole in `named` (the sentence with its title, speaker, heading,
    FAQ question), or by the compound's own head, its last word of two or more characters, in the sentence
    itself when that word is specific (「前項の記録簿」 for 生成AI利用記録簿; a title's 「…補正予算」 is no
    一般会計予算, and 「新たな支援事業」 no モデル事業)."""
    if _holds(head, named):
        return True
    last = pieces.get(head, ())[-1:] if head else ()
    return len(pieces.get(head, ())) > 1 and bool(last) and len(last[0]) >= 2 and \
        weights.get(last[0], 0.0) >= _SPECIFIC_IDF and _holds(last[0], sentence)


def _holds(term: str, text: str) -> bool:
    """Whether `text` holds `term` whole, or one of the documents' words for it."""
    flat = compact(text)
    return bool(term) and (compact(term) in flat or any(compact(s) in flat for s in alternatives(term)))


def _with_previous(hit: Hit, hits: list[Hit]) -> str:
    """The hit's text, after the previous chunk of its document when that was found too (a sentence cut by a
    chunk edge keeps its topic)."""
    for other in hits:
        if other.chunk.source == hit.chunk.source and other.chunk.ordinal == hit.chunk.ordinal - 1:
            return other.chunk.text[-200:] + hit.chunk.text
    return hit.chunk.text


# A sentence that names its own topic first (「…につきましては、」「…といたしましては、」): about that, not the one
# before it.
_OWN_TOPIC = re.compile(r"^\s*(?:また|次に|さらに|最後に|まず|加えて)?、?[^、。]{2,40}?"
                        r"(につきましては|については|といたしましては|としましては|に関しましては|に関しては)、")
# 「また、…」「このほか、…」: the next item of a list of measures, not more about the one before.
_NEXT_ITEM = re.compile(r"^\s*(また|このほか|そのほか|加えて|さらに|次に)、")
_QUESTION_LINE = re.compile(r"(^|\n)\s*(?:[QＱ問][0-9０-９]*[.．:：、\s]|[^\n]*[？?]\s*$)[^\n]*")


def _context_before(cand: Candidate, chars: int) -> str:
    """The text right before `cand` in its paragraph (after any question line or heading there): what the
    sentence before it said, which this one may go on about without naming it."""
    before = cand.chunk.text[max(0, cand.start - cand.chunk.start - chars):cand.start - cand.chunk.start]
    before = before.rsplit("\n\n", 1)[-1]
    lines = before.split("\n")
    for i in range(len(lines) - 1, -1, -1):
        if _QUESTION_LINE.search(lines[i]):
            return "\n".join(lines[i + 1:])
        if lines[i].strip() and not lines[i].rstrip().endswith(("。", "、")) and i < len(lines) - 1:
            return "\n".join(lines[i:])  # a heading (（私有車を使用した場合の車賃）) names what follows it
    return before


def _list_after(cand: Candidate, by_place: dict[tuple[str, int], Chunk], chars: int = 200) -> str:
    """The start of the next chunk when `cand` ends its chunk and the next one was found: the items of the list
    `cand` introduces, which a chunk edge put there ("" otherwise)."""
    if cand.chunk.text[cand.end - cand.chunk.start:].strip():
        return ""
    following = by_place.get((cand.chunk.source, cand.chunk.ordinal + 1))
    return "\n" + following.text[:chars] if following is not None else ""


def _heading_before(before: str) -> str:
    """The heading `_context_before` starts with (「（私有車を使用した場合の車賃）」), or "": what the sentences
    under it are about, unlike the prose sentence before, which may be about something else."""
    first = before.split("\n", 1)[0]
    return first + "\n" if "\n" in before and first.strip() and not first.rstrip().endswith(("。", "、")) else ""


def _asked_before(cand: Candidate) -> str:
    """The question line right before `cand` in its chunk (an FAQ's 「Q8. …ですか。」), or ""."""
    before = cand.chunk.text[max(0, cand.start - cand.chunk.start - 200):cand.start - cand.chunk.start]
    lines = [line for line in before.split("\n") if line.strip()]
    if not lines:
        return ""
    last = lines[-1].strip()
    return last if _QUESTION_LINE.search(last) or re.search(r"[かか。]?[？?]$|ですか。$", last) else ""


_ASKS_ENACTMENT = re.compile(r"制定|公布|施行|でき(た|る)|作られ|定められ|成立|交付され")


def _lead_ins(cands: list[Candidate]) -> dict[int, Candidate]:
    """For a first sentence of a chunk that continues the previous chunk's last, unfinished sentence (both
    found): that unfinished start, keyed by id of the continuing candidate."""
    last: dict[tuple[str, int], Candidate] = {}
    for cand in cands:
        key = (cand.chunk.source, cand.chunk.ordinal)
        if key not in last or cand.position > last[key].position:
            last[key] = cand
    out: dict[int, Candidate] = {}
    for cand in cands:
        if cand.position != 0 or cand.chunk.text[:cand.start - cand.chunk.start].strip() != "":
            continue
        before = last.get((cand.chunk.source, cand.chunk.ordinal - 1))
        if cand.chunk.article is not None and cand.chunk.article != (before and before.chunk.article):
            continue  # an article begins on its own line: it goes on from no sentence before it
        if before is not None and not before.display.rstrip().endswith(("。", "」", "）")):
            out[id(cand)] = before
    return out


def _dense_topic(hits: list[Hit], passage_focus: dict[str, float], p: ExtractParams) -> bool:
    """A passage close in meaning to the question, holding some of its focus, counts as its topic in whatever
    other words it says the rest (実質タダ for 実質無料化)."""
    return any(h.scores.get("dense", 0.0) >= p.dense_topic and passage_focus.get(h.chunk.chunk_id, 0.0) >= p.dense_focus
               for h in hits)


def _named_years(text: str, cand: Candidate) -> set[int]:
    """The years `text` (of `cand`'s document) names: 令和3年度, and 昨年度 in a report of June 2022."""
    return {y.year for y in years_in(text)} | relative_years(
        text, document_month(cand.chunk.source, cand.chunk.date))


def _names_year(text: str, cand: Candidate, years: tuple[Year, ...]) -> bool:
    return bool({y.year for y in years} & _named_years(text, cand))


def _violation(analysis: Analysis, cand: Candidate, before: str, place_of: PlaceOf,
               articled: frozenset[str] = frozenset()) -> str:
    """Why the sentence answers another question: it names only other years than the one asked about (or, when
    it names none, the heading or sentence before it does, else its document's title), its document is of
    another municipality, or it is of another article of a 例規 than the one named."""
    constraints = analysis.constraints
    if constraints.years:
        asked = {y.year for y in constraints.years}
        # only years it names outright: 「対前年度46千円の増」 in a 令和8年度 budget is no 令和6年度 figure, and
        # not the year it compares with (「令和７年度当初予算と比べて」)
        display = _COMPARED_YEAR.sub("", cand.display)
        named = {y.year for y in years_in(display)} or {y.year for y in years_in(before)} or {
            y.year for y in years_in(cand.chunk.title)}
        if named and not named & asked:
            return "year"
    elif constraints.relative and not any(names_relative(cand.display, w) for w in constraints.relative):
        # 「来年度は何カ所増やす」 in a report of February 2020 asks about 2020: 「平成三十年度末現在…」 is another year
        meant = relative_years(constraints.relative[0], document_month(cand.chunk.source, cand.chunk.date))
        stated = {y.year for y in years_in(_COMPARED_YEAR.sub("", cand.display))}
        if meant and stated and not stated & meant:
            return "year"
    if constraints.places:
        place = place_of(cand.chunk.source)
        if place is not None and place not in constraints.places:
            return "place"
    if constraints.articles and (cand.chunk.doc_type == "ordinance" or cand.chunk.source in articled) and not any(
            _in_article(cand, a) for a in constraints.articles):
        return "article"  # 「第5条は」 read in 第1条 or in the 例規's preamble
    if constraints.article_laws and cand.chunk.article is not None:
        law = law_of(cand.chunk.context, cand.chunk.article) or cand.chunk.title
        if not law.endswith(constraints.article_laws):
            return "article"  # 「規則第2条」 read in the 条例's 第2条
    return ""


def _in_article(cand: Candidate, asked: str) -> bool:
    """True when the sentence lies in the article (and 項) `asked` names."""
    label = cand.chunk.article
    if not label or not matches(label, asked):
        return False
    paragraph = paragraph_of(asked)
    if paragraph is None or paragraph_of(label) is not None:
        return True
    at = paragraph_at(cand.chunk.text, cand.start - cand.chunk.start)
    return at == paragraph  # (None: a chunk going on from a page break, whose 項 cannot be told)
