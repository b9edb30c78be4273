"""Consistency with what was said before: each earlier executive statement on the topic (a draft's
`past_answers`, newest first), marked where the draft's 今後の方針 says otherwise — a figure, a target year, or a
commitment (実施してまいります against 検討してまいります) — so that the drafter sees it before the 課長 does.

The rules are cheap and read the text alone (texts are NFKC-normalised first, so ３，０００ is 3,000):

- figure: a number with a unit or counter (人, 件, 円 / 千円 / 万円 / 億円, %, か所, 校, 台, 回, 手続, 時間 …) in
  any notation (3,000人 / 三千人; 540万円 = 五百四十万円 = 5,400千円, all read as 円). What it measures is told
  by the unit and the noun written right before the number, or before the one particle in between
  (「正規職員約千八十人」: 正規職員, 約 set aside; 「開催回数を三十六回」: 開催回数; 「令和五年度は二十四回」:
  令和五年度). Two figures measure the same thing when their units are the same and both name nouns that are
  equal or one ends with the other (正規職員 / 職員); a figure without one (「延べ三百十人の方に」) is compared with
  nothing. 「一人ずつ」「一人当たり」
  are rates, no figure. A past figure differs when the draft holds figures of the same thing and none of them
  has the past value. A draft that names no such figure is silent about it, not different.
- target year: 令和N年度 / 令和N年 (平成 too), 20XX年度 / 20XX年 (also 二〇二〇年), and a bare N年度 before まで / 中 /
  末 (N in the era of the statement's date). A year before the one the past statement was made in (its fiscal
  year for 年度) is history (「令和五年三月に策定した」), not a target, and is left out. A year is said of the acts
  after it in its sentence (the verbal nouns of 「拡大して」「削減する」「導入を図る」「利用できる」): two years are
  compared only when they share an act (or neither names one) — 「令和九年度までに…削減する」 and 「令和七年一月から
  …利用できるようにいたします」 are about different things. The year differs when some such pair exists and no
  pair names the same year.
- commitment: how a sentence ends up committing — the last commitment phrase in it decides, when it ends the
  sentence (at most a few characters after it: 「検討」が必要と考えております; 「…困難な年齢の児童…」 commits
  to nothing). To do
  (実施いたします, …してまいります, 取り組んでまいります, …する予定でございます, …する考えであります,
  こととしております) or to study (検討, 研究, 注視, 見極め, 慎重に…, and refusals: 考えておりません,
  予定はございません, 困難): 「検討を進めてまいります」 studies, 「実施に向けて検討してまいります」 studies,
  「検討の結果、実施いたします」 does. It differs when the past statement does and the draft only studies (no
  sentence of it does, the stance's closing included), or the past statement only studies and the draft does
  (and no sentence of the draft's own — the stance's set closing is none — studies as well).
  Nothing is compared when either side has no commitment phrase.

A sentence of the draft that quotes the past statement itself (it cites the same chunk over an overlapping span,
or its text is inside the past quote or holds it) is never a difference with it: it is left out of the figures
and years compared, and what it commits to counts for the draft only when the past statement commits so too
(a draft that quotes 「…拡大する予定でございます」 does not only study, whatever its closing says). The draft's other
sentences are compared as usual.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from kotae.jdates import ERAS, era_year, kanji_to_int
from kotae.jnumbers import numbers_in
from kotae.types import Citation, Sentence
from service.compose.sentences import display_text
from service.drafting.clean import without_note
from service.drafting.stance import CLOSINGS

DifferenceKind = Literal["figure", "year", "commitment"]


@dataclass(frozen=True)
class Difference:
    """Where the draft's 方針 says otherwise than a past statement: `past` is what the past statement says
    (「3,000人」「令和7年度」「実施してまいります」) and `draft` what the draft says instead, both as written (after
    NFKC). `draft` is never empty: a draft silent on a figure or a year does not differ from it."""

    kind: DifferenceKind
    past: str
    draft: str


# how a difference is named to the drafter (the API sends the sentence, so the web page names none itself)
KIND_NAMES: dict[DifferenceKind, str] = {"figure": "数値", "year": "目標年度", "commitment": "方針（実施・検討）"}


def describe_difference(d: Difference) -> str:
    """「数値が異なります（これまで「3,000人」、本案「2,000人」）」: a difference as the drafter reads it."""
    return f"{KIND_NAMES[d.kind]}が異なります（これまで「{d.past}」、本案「{d.draft}」）"


@dataclass(frozen=True)
class PastStatement:
    """One earlier executive statement on the topic (its date and speaker are the citation's) and where the
    draft differs from it (empty when it does not)."""

    citation: Citation
    differences: tuple[Difference, ...]


# --- figures -----------------------------------------------------------------------------------------------------
_NUMERALS = "〇一二三四五六七八九十百千万億"
_FIGURE = re.compile(
    rf"(?:(?<![第数何0-9.,{_NUMERALS}])(?P<digits>[0-9]+(?:,[0-9]{{3}})*(?:\.[0-9]+)?(?:万|億)?)"
    rf"|(?<![第数何0-9.,{_NUMERALS}])(?P<kanji>[{_NUMERALS}]+(?:・[〇一二三四五六七八九]+)?))"
    r"(?P<unit>千円|万円|億円|円|人|名|件|%|パーセント|か所|カ所|ヶ所|箇所|校|園|台|回|手続|時間|課|世帯|団体|"
    r"施設|事業所|社|棟|床|割|倍)"
    r"(?!ひとり|一人|暮らし|当たり|ずつ)"
)
_UNIT_SCALE = {"千円": ("円", 1_000), "万円": ("円", 10_000), "億円": ("円", 100_000_000), "パーセント": ("%", 1),
               "カ所": ("か所", 1), "ヶ所": ("か所", 1), "箇所": ("か所", 1)}
# words between the measured noun and its number: 「職員約千八十人」「延べ三百十人」「年間一万二千時間」
_APPROX = re.compile(r"(?:約|およそ|おおむね|概ね|延べ|のべ|合計|総計|計|最大|最小|平均|年間|月間)+$")
_NOUN = re.compile(r"([一-龥々ァ-ヶーA-Za-z]{1,6})[をはがのにでも]?$")


@dataclass(frozen=True)
class _Figure:
    written: str
    unit: str
    value: float
    noun: str

    def same_thing(self, other: _Figure) -> bool:
        """Whether two figures measure the same thing: the same unit, and nouns that agree (both named: 「七万一千件」
        of tests and 「一日一万件」 of capacity are not known to be one thing)."""
        if self.unit != other.unit or not self.noun or not other.noun:
            return False
        return self.noun.endswith(other.noun) or other.noun.endswith(self.noun)


def _figures(text: str) -> list[_Figure]:
    out: list[_Figure] = []
    for m in _FIGURE.finditer(text):
        if m.group("digits"):
            read = numbers_in(m.group("digits"), kanji=False, counted_kanji_only=True)
        else:
            read = numbers_in(m.group("kanji"))
        if len(read) != 1:
            continue
        unit, scale = _UNIT_SCALE.get(m.group("unit"), (m.group("unit"), 1))
        before = _APPROX.sub("", text[max(0, m.start() - 12):m.start()])
        noun = _NOUN.search(before)
        out.append(_Figure(m.group(0), unit, float(next(iter(read))) * scale, noun.group(1) if noun else ""))
    return out


# --- target years ------------------------------------------------------------------------------------------------
_YEAR = re.compile(
    r"(?P<era>令和|平成)\s*(?P<n>[0-9]{1,2}|[一二三四五六七八九十]{1,3}|元)\s*年(?P<fy>度)?"
    r"|(?<![0-9〇一二三四五六七八九])(?P<w>(?:19|20)[0-9]{2}|[一二][〇九][〇一二三四五六七八九]{2})\s*年(?P<wfy>度)?"
    r"|(?<![0-9〇一二三四五六七八九十和成])(?P<b>[0-9]{1,2}|[一二三四五六七八九十]{1,3})年度(?=まで|中|末)"
)


@dataclass(frozen=True)
class _Year:
    written: str
    year: int
    fiscal: bool
    acts: frozenset[str] = frozenset()  # what is to be done by then: the verbal nouns after it (拡大, 削減, 導入)


# a verbal noun said as the act of a clause: 「拡大して」「削減する」「導入を図る」「利用できる」
_ACT = re.compile(r"([一-龥々ァ-ヶー]{2,})(?=(?:する|して|し[、，]|しま|いたし|でき|させ|を図|を進め|に取り組|を目指))")


def _same_act(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two years are said of the same act (or neither of any): 「削減」 and 「一万二千時間削減」 are one."""
    if not a and not b:
        return True
    return any(x.endswith(y) or y.endswith(x) for x in a for y in b)


def _acts(text: str) -> frozenset[str]:
    """The acts said after a year, to the end of its sentence."""
    return frozenset(m.group(1) for m in _ACT.finditer(text.split("。", 1)[0]))


def _years(text: str, date: str | None) -> list[_Year]:
    """The years `text` names (西暦), each marked fiscal (年度) or not."""
    out: list[_Year] = []
    for m in _YEAR.finditer(text):
        try:
            acts = _acts(text[m.end():])
            if m.group("era"):
                out.append(_Year(m.group(0), era_year(m.group("era"), m.group("n")), bool(m.group("fy")), acts))
            elif m.group("w"):
                out.append(_Year(m.group(0), kanji_to_int(m.group("w")), bool(m.group("wfy")), acts))
            else:
                era = "平成" if date and date < "2019-05-01" else "令和"
                out.append(_Year(m.group(0), ERAS[era] + kanji_to_int(m.group("b")) - 1, True, acts))
        except ValueError:
            continue
    return out


def _targets(years: list[_Year], date: str | None) -> list[_Year]:
    """The years not before the one a statement of `date` was made in (its fiscal year for a 年度)."""
    if not date or not re.match(r"\d{4}-\d{2}", date):
        return years
    calendar, month = int(date[:4]), int(date[5:7])
    fiscal = calendar if month >= 4 else calendar - 1
    return [y for y in years if y.year >= (fiscal if y.fiscal else calendar)]


# --- commitments -------------------------------------------------------------------------------------------------
_STUDY_WORD = (r"(?:検討|研究|注視|見極め|慎重|困難|(?:考えて|予定は|考えは|予定も|考えも)"
               r"(?:おりません|ございません|ありません))")
_COMMITMENT = re.compile(
    rf"(?P<study>{_STUDY_WORD}(?:[^。、]{{0,10}}?(?:まいります|いきます|いたします|します|する))?)"
    r"|(?P<do>[てで](?:まいり|いき)ます"
    r"|[一-龥々ァ-ヶー]{2,}(?:いた)?します(?!か)"
    r"|(?:予定|考え|方針|所存)(?:でございます|です|であります|としております|としています|しております)"
    r"|こととして(?:おります|います)|ことといたしました|ように(?:いた)?します"
    r"|(?:実施|推進|導入)(?:に向け|を予定))"
)
# the verb (and its object) before a phrase that starts with its ending: 「本格導入を図っ」てまいります
_LEAD = re.compile(r"(?:[一-龥々ァ-ヶーA-Za-z0-9]+[をに])?[一-龥々ァ-ヶー]+(?:[りきしちみい][一-龥々ァ-ヶー]+)?"
                   r"[ぁ-ゖ]{0,3}$")
_STUDIES = re.compile(_STUDY_WORD)
_COMMITMENT_TAIL = 12  # at most this much after the phrase: 「検討」が必要と考えております


def _commitment(text: str) -> tuple[str, str] | None:
    """("do" | "study", the phrase as written) for the last commitment phrase of `text`, or None — also when that
    phrase does not end the sentence (「留守番をすることが困難な年齢の…」「ＢＹＯＤ研究校では…」 commit to nothing)."""
    last = None
    for m in _COMMITMENT.finditer(text):
        last = m
    if last is None or len(text[last.end():].rstrip("。」）) 　")) > _COMMITMENT_TAIL:
        return None
    phrase = last.group(0)
    if last.group("do") and phrase[0] in "てでこ予考方所よ":
        lead = _LEAD.search(text[max(0, last.start() - 16):last.start()])
        phrase = (lead.group(0) if lead else "") + phrase
    return ("study" if _STUDIES.search(phrase) else "do"), phrase


# --- the comparison ----------------------------------------------------------------------------------------------
def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


_CLOSINGS = frozenset(_norm(c) for c in CLOSINGS.values())  # the stances' set closing lines, as compared


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", _norm(display_text(text)))


def _same_passage(past: Citation, text: str, cites: Sequence[Citation]) -> bool:
    """Whether a draft sentence quotes the past statement itself (same chunk, overlapping span; or the text)."""
    if any(c.chunk_id == past.chunk_id and c.start < past.end and past.start < c.end for c in cites):
        return True
    mine, theirs = _flat(without_note(text)), _flat(past.quote)
    return len(mine) >= 8 and len(theirs) >= 8 and (mine in theirs or theirs in mine)


def consistency(past: Sequence[Citation], policy: Sequence[str | Sentence],
                cited: Sequence[Citation] = ()) -> tuple[PastStatement, ...]:
    """Each past statement (newest first, as `past` is ordered) with where the draft's 今後の方針 differs from it.

    `policy` are the 方針's sentences — texts, or `Sentence`s whose citation numbers refer to `cited` (the draft's
    citations), which tells a sentence that quotes a past statement exactly — and the stance's closing line last.
    Date notes the drafter added (「（令和2年6月2日時点）」) are not read. The rules are in the module's docstring."""
    said: list[tuple[str, tuple[Citation, ...]]] = []
    by_n = {c.n: c for c in cited}
    for item in policy:
        if isinstance(item, Sentence):
            said.append((item.text, tuple(by_n[n] for n in item.citations if n in by_n)))
        else:
            said.append((item, ()))
    return tuple(PastStatement(p, _differences(p, said)) for p in past)


def _differences(past: Citation, said: list[tuple[str, tuple[Citation, ...]]]) -> tuple[Difference, ...]:
    quote = _norm(display_text(past.quote))
    same = [_norm(without_note(t)) for t, cites in said if _same_passage(past, t, cites)]
    other = [_norm(without_note(t)) for t, cites in said if not _same_passage(past, t, cites)]
    found: list[Difference] = []

    theirs = [f for t in other for f in _figures(t)]
    for fig in _figures(quote):
        alike = [f for f in theirs if f.same_thing(fig)]
        if alike and not any(f.value == fig.value for f in alike):
            found.append(Difference("figure", fig.written, alike[0].written))

    past_years = _targets(_years(quote, past.date), past.date)
    draft_years = [y for t in other for y in _years(t, past.date)]
    pairs = [(p, d) for p in past_years for d in draft_years if _same_act(p.acts, d.acts)]
    if pairs and not any(p.year == d.year for p, d in pairs):
        found.append(Difference("year", pairs[0][0].written, pairs[0][1].written))

    was = _commitment(quote)
    if was is not None:
        committed = [(t, c) for t in other if (c := _commitment(t)) is not None]
        committed += [(t, c) for t in same if (c := _commitment(t)) is not None and c[0] == was[0]]  # says so itself
        does = [c for _, c in committed if c[0] == "do"]
        studies = [c for _, c in committed if c[0] == "study"]
        # a sentence of its own that studies as the past statement did — the statement itself quoted, too (the
        # stance's set closing is none)
        said_studying = any(c[0] == "study" and t not in _CLOSINGS for t, c in committed)
        if was[0] == "do" and not does and studies:
            found.append(Difference("commitment", was[1], studies[-1][1]))
        elif was[0] == "study" and does and not said_studying:
            found.append(Difference("commitment", was[1], does[0][1]))

    unique: dict[Difference, None] = dict.fromkeys(found)
    return tuple(unique)
