"""What a document is, read from the document itself: its title, date, kind and municipality.

Each field comes from the first of these that gives it, and the record says which (`FieldSource`):
`_meta.json` (an override), the text (a cover, heading or title line; a dating line 「令和４年３月４日提出」), the
file's own metadata (a PDF's or Word file's title property), the file name (「R04-01」, 「2022_03」), the folder.

Rules, from the public documents in `../shared/data` (a gold table in `eval/metadata-gold-shared.jsonl`):
- a title line is among the first lines; a dateline above it (「令和４年２月24日 企画課作成」), a 出典 line, a greeting
  (「おはようございます。」), a working name (「R03-01_市長冒頭発言コピペ」) or a sentence is none;
- a 議案 names itself in the lines from 「議案第１８号」 to its 提出 line; a file holding the explanations of several
  議案 (提案理由) is no one of them: it is named after the file;
- the date is the document's own: a line that is a date, or one with 提出・策定・議決・公布・作成; a date in the body
  (a deadline, an event) is none. A speech dated only by its session (「平成28年第１回定例会」) gets the year.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from ingest.structure import MIN_TURNS_FOR_MINUTES, Turn
from kotae.jdates import ERAS, find_date, kanji_to_int, to_iso_date
from kotae.places import municipalities_in, municipality_mentions
from kotae.types import DocType, Extracted, FieldSource

HEAD_LINES = 16  # the lines a title or dating line is looked for in
HEAD_CHARS = 6000  # the text a municipality is counted in
DATELINE_CHARS = 5000  # the text a 提出・議決・公布 line is looked for in, below the first lines


@dataclass(frozen=True)
class Description:
    """A document's catalogue fields and where each came from."""

    title: str
    date: str | None
    doc_type: DocType
    municipality: str | None
    sources: dict[str, FieldSource] = field(default_factory=dict)


def describe(extracted: Extracted, turns: list[Turn], file_name: str) -> Description:
    """Title, date, kind and municipality of a document read from `extracted` (its loader's output) and its
    speaker `turns`; `file_name` is the file's name (the last resort for title and date)."""
    lines = head_lines(extracted.text)
    title, title_from = _title(extracted, lines, file_name)
    date, date_from = _date(extracted.text, lines, file_name)
    doc_type = classify(title, extracted.text, turns, file_name)
    municipality = find_municipality(title, extracted.text)
    return Description(title, date, doc_type, municipality, {
        "title": title_from, "date": date_from, "doc_type": "text",
        "municipality": "text" if municipality else "none",
    })


# --- lines ---------------------------------------------------------------------------------------------------

def head_lines(text: str) -> list[str]:
    """The first non-empty lines, with the blanks pypdf puts between characters (「令 和 ４ 年」) and a leading
    ○ or # taken off."""
    out: list[str] = []
    for raw in text.splitlines():
        line = raw.strip().lstrip("#○◯ ").strip()
        if line:
            out.append(_close_gaps(line))
        if len(out) >= HEAD_LINES:
            break
    return out


def _close_gaps(line: str) -> str:
    """Blanks between two Japanese characters or digits go; a blank between words of Latin script stays."""
    return re.sub(r"(?<=[^\x00-\x7f]|[0-9])[ \u3000]+(?=[^\x00-\x7f]|[0-9])", "", line)


_N = "[0-9０-９元〇一二三四五六七八九十]+"  # a number in a date
_DATE_WORDS = r"(提出|策定|議決|公布|作成|改定|制定|施行|発行|現在|告示)"
_BIRTH_LABEL = re.compile(r"(生年月日|誕生日|生まれ)[：:\s]*$")
_SUBMITTED = re.compile(r"^[ \u3000]*(令和|平成|昭和)[^\n]{3,20}日[ \u3000]*(提出|策定|議決|公布)[ \u3000]*$",
                        re.MULTILINE)
_WORKING_NAME = re.compile(r"コピペ|_|^[0-9A-Za-z\-]+$|冒頭$|^[A-Za-z]?[0-9]{2}-[0-9]{2}")
_SOURCE_LINE = re.compile(r"^(出典|出所|資料|URL|https?://)", re.IGNORECASE)
_GREETING = re.compile(r"^(おはようございます|こんにちは|こんばんは)")
_BILL = re.compile(r"^(議案|報告|諮問|認定|同意)第[0-9０-９一二三四五六七八九十百]+号")
_REPORT = re.compile(r"^報告第[0-9０-９一二三四五六七八九十百]+号")
_TURN_LINE = re.compile(r"^[^（(\s]{1,20}[（(][^）)]{1,20}[）)]")
_TABLE_OF_CONTENTS = re.compile(r"^目\s*次$|・{4,}|…{3,}")


def _is_dateline(line: str) -> bool:
    """A line that only dates the document: 「令和４年２月24日南国市企画課作成」, 「2020年2月19日」,
    「平成２８年４月」."""
    if len(line) > 40:
        return False
    if find_date(line) or _month_of(line):  # a birth date (生年月日：…) dates a person, not the document
        rest = re.sub(rf"(令和|平成|昭和|大正|明治)?{_N}年({_N}月)?({_N}日)?", "", line)
        return len(rest) <= 20 or re.search(_DATE_WORDS, line) is not None
    return False


def _month_of(line: str) -> str | None:
    """「平成２８年４月」 as 2016-04-01 (a month with no day)."""
    m = re.search(rf"(令和|平成|昭和|大正)\s*({_N})\s*年\s*({_N})\s*月(?!\s*{_N}\s*日)", line)
    if not m:
        return None
    return to_iso_date(m.group(0))


# --- title -----------------------------------------------------------------------------------------------------

_KIND_NOUN = re.compile(r"(方針|計画|指針|ビジョン|戦略|プラン|手引き?|要領|要綱|ガイドライン|マニュアル|条例|規則|"
                        r"規程|会議録|報告書|白書|FAQ|ＦＡＱ|基準|一覧|案内)$")


def _title(extracted: Extracted, lines: list[str], file_name: str) -> tuple[str, FieldSource]:
    if extracted.tables and not extracted.text[: extracted.tables[0].start].strip():
        # a workbook or a CSV file (or a form that is all table): its first line is a sheet's name or a header row
        meta = (extracted.title or "").strip()
        return (meta[:200], "pdf_metadata") if meta else (file_title(file_name), "file_name")
    bills = len({m.group(0) for ln in extracted.text.splitlines() if (m := _BILL.match(_close_gaps(ln.strip())))})
    for start, end in extracted.headings[:1]:  # a web page's or Word file's first heading, under a site's name
        heading = _close_gaps(extracted.text[start:end].strip().lstrip("#○◯ "))
        if start < 1500 and 2 <= len(heading) <= 80 and not _WORKING_NAME.search(heading) \
                and not _is_dateline(heading) and not _reads_as_sentence(heading):
            return heading, "text"
    heads_a_bill = any(_BILL.match(ln) for ln in lines[:3])
    named: list[str] = []
    for line in [] if heads_a_bill else lines[:12]:
        if _SOURCE_LINE.match(line) or _is_dateline(line):
            continue
        if _reads_as_sentence(line) or _BODY_START.match(line):
            break  # the body has begun
        if not re.match(r"[ぁ-ん]", line):  # not a line going on from the one before
            named.append(_drop_subtitle(line))
    for line in named:  # a line that names a kind of document: 「南国市ＤＸ推進方針 ～国の動向～」 under slide notes
        if 4 <= len(line) <= 60 and _KIND_NOUN.search(line) and not _is_dateline(line):
            return line, "text"
    for i, line in enumerate(lines):
        if len(line) < 2 or line.startswith(("※", "-", "－")):
            continue  # a note mark, a page number
        if _is_dateline(line) or _SOURCE_LINE.match(line) or _TABLE_OF_CONTENTS.search(line) or \
                (len(line) < 40 and find_date(line, birth_dates=True)):  # a birth-date line is no title either
            continue
        if _WORKING_NAME.search(line) or _GREETING.match(line) or _TURN_LINE.match(line):
            break  # what follows is the body: no title line
        if _BILL.match(line):
            if bills >= 2 and re.search("[：:]", line):
                break  # the explanations of several bills (提案理由): none of them names the file
            return _bill_title(lines[i:]), "text"
        if _reads_as_sentence(line):
            break
        return _drop_subtitle(line)[:200], "text"
    speech = _session_title(extracted.text)
    if speech:
        return speech, "text"
    meta = (extracted.title or "").strip()
    if meta and not _WORKING_NAME.search(meta) and not _reads_as_sentence(meta) and not _BILL.match(meta):
        return meta[:200], "pdf_metadata"
    return file_title(file_name), "file_name"


def _bill_title(lines: list[str]) -> str:
    """「議案第１８号 南国市手話言語条例」: the number, then the lines up to the 提出 line (a long title wraps)."""
    number = _BILL.match(lines[0])
    assert number is not None
    head = lines[0][number.end():].lstrip("：: 　")
    parts = [head] if head else []
    for line in lines[1:4]:
        if _is_dateline(line) or re.search(_DATE_WORDS, line) or _reads_as_sentence(line) or \
                (parts and _NAME_END.search(parts[-1])):
            break
        parts.append(line)
    name = "".join(parts)
    return f"{number.group(0)} {name}".strip()[:200]


_BODY_START = re.compile(r"^(第[0-9０-９一二三四五六七八九十]+条|[(（][0-9０-９一二三四五六七八九十]+[)）])")
_NAME_END = re.compile(r"(について|条例|規則|規程|予算|計画|方針|の件|こと)$")


def _drop_subtitle(line: str) -> str:
    """「南国市ＤＸ推進方針 ～国の動向～」 -> 「南国市ＤＸ推進方針」."""
    return re.sub(r"\s*[～〜][^～〜]{1,30}[～〜]?$", "", line).strip() or line


def _reads_as_sentence(line: str) -> bool:
    return line.endswith(("。", "！", "？")) or len(line) > 80


_SESSION = re.compile(
    r"(令和|平成)\s*([0-9０-９元一二三四五六七八九十]+)\s*年\s*第\s*([0-9０-９一二三四五六七八九十]+)\s*回\s*(定例会|臨時会)")
_SPEECH_KIND = (("市政執行", "市政執行方針"), ("施政方針", "施政方針"), ("市政運営", "施政方針"),
                ("市政の状況", "市政報告"), ("市政報告", "市政報告"), ("提案理由", "提案理由説明"))


def _session_title(text: str) -> str | None:
    """A mayor's speech named by its opening: 「平成28年第1回定例会 市政執行方針」 (Otaru's speeches carry no title
    line, only 「○市長（…） 平成28年第１回定例会の開会に当たり…」)."""
    head = _close_gaps(text[:600])
    m = _SESSION.search(head)
    if not m or "開会に当たり" not in head:
        return None
    kind = next((name for word, name in _SPEECH_KIND if word in _close_gaps(text[:1500])), "市長説明")
    session = f"{m.group(1)}{_ascii(m.group(2))}年第{_ascii(m.group(3))}回{m.group(4)}"
    return f"{session} {kind}"


def _ascii(number: str) -> str:
    return unicodedata.normalize("NFKC", number)


_FILE_PREFIX = re.compile(r"^[0-9]+_[0-9]{4}_[0-9]{2}__|^[0-9]{4}-[0-9]{2}-[0-9]{2}_|^[a-z]+__")


def file_title(file_name: str) -> str:
    """A title from a file name: its stem without a leading number and date (「425_2022_03__施政方針」 -> 施政方針)."""
    stem = PurePosixPath(file_name).stem
    return _FILE_PREFIX.sub("", stem).strip() or stem


# --- date ------------------------------------------------------------------------------------------------------

def _date(text: str, lines: list[str], file_name: str) -> tuple[str | None, FieldSource]:
    for before, line in zip(["", *lines], lines, strict=False):
        if _BIRTH_LABEL.search(before):
            continue  # a form's value under its 生年月日 label
        if _is_dateline(line) or (len(line) <= 40 and re.search(_DATE_WORDS, line)):
            found = find_date(line) or _month_of(line)
            if found:
                return found, "text"
    for m in _SUBMITTED.finditer(text[:DATELINE_CHARS]):  # a 議案's 提出 line after its explanation
        found = find_date(_close_gaps(m.group(0)))
        if found:
            return found, "text"
    session = _SESSION.search(_close_gaps(text[:600]))
    if session:
        year = ERAS[session.group(1)] + _number(session.group(2)) - 1
        return f"{year}-01-01", "text"
    named = file_date(file_name)
    return (named, "file_name") if named else (None, "none")


def _number(text: str) -> int:
    return 1 if text == "元" else kanji_to_int(_ascii(text)) if not _ascii(text).isdigit() else int(_ascii(text))


_FILE_ERA = {"R": 2018, "H": 1988, "S": 1925}


def file_date(file_name: str) -> str | None:
    """A date in a file name: 2020-02-19, R040224 (令和4年2月24日), (H28.4.1), 2022_03 (a month), R04-01 or H28
    (a year)."""
    stem = unicodedata.normalize("NFKC", PurePosixPath(file_name).stem)
    found = find_date(stem)
    if found:
        return found
    m = re.search(r"(?<![A-Za-z])([RHS])([0-9]{2})([01][0-9])([0-3][0-9])(?![0-9])", stem)
    if m:
        return to_iso_date(f"{_FILE_ERA[m.group(1)] + int(m.group(2))}-{m.group(3)}-{m.group(4)}")
    m = re.search(r"(?<![A-Za-z])([RHS])([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{1,2})", stem)
    if m:
        return to_iso_date(f"{_FILE_ERA[m.group(1)] + int(m.group(2))}-{int(m.group(3)):02d}-{int(m.group(4)):02d}")
    m = re.search(r"(?<![0-9])((?:19|20)[0-9]{2})_([01][0-9])(?![0-9])", stem)
    if m:
        return f"{m.group(1)}-{m.group(2)}-01"
    m = re.search(r"(?<![A-Za-z])([RHS])([0-9]{1,2})(?![0-9])", stem)
    if m:
        return f"{_FILE_ERA[m.group(1)] + int(m.group(2))}-01-01"
    return None


# --- kind ------------------------------------------------------------------------------------------------------

_FAQ = re.compile(r"FAQ|ＦＡＱ|よくある(ご)?質問|Q&A|Ｑ＆Ａ", re.IGNORECASE)
_SPEECH = re.compile(r"施政方針|所信表明|市政報告|町政報告|提案理由|市政執行方針|冒頭発言|冒頭|市長.*発言")
_ORDINANCE = re.compile(r"(条例|規則|規程|要綱|訓令)$")
_MANUAL = re.compile(r"手引|要領|マニュアル|ガイドライン|ハンドブック|基準|ガイド")
_PLAN = re.compile(r"計画|方針|指針|ビジョン|戦略|プラン")
_NOTICE = re.compile(r"お知らせ|通知|案内|告示|公告|募集")
_ARTICLE = re.compile(r"^第[0-9０-９一二三四五六七八九十]+条", re.MULTILINE)
_ENACTED = re.compile(r"(令和|平成|昭和)[0-9０-９元一二三四五六七八九十]+年[0-9０-９一二三四五六七八九十]+月"
                      r"[0-9０-９一二三四五六七八九十]+日\s*\n?\s*(条例|規則|規程|訓令|告示)第")


def classify(title: str, text: str, turns: list[Turn], file_name: str) -> DocType:
    """The kind of a document from its structure, title and opening lines; `_meta.json` can override it."""
    head = _close_gaps(text[:800])
    named = f"{title} {file_title(file_name)}"
    roles = {t.role for t in turns}
    if len(turns) >= MIN_TURNS_FOR_MINUTES and "member" in roles:
        return "minutes"
    if _FAQ.search(named):
        return "faq"
    if _REPORT.match(title):
        return "other"  # a 報告 to the assembly (専決処分の報告) is no bill and no speech
    if _SPEECH.search(named) or (turns and roles == {"executive"}) or _GREETING.match(head):
        return "speech"
    if _BILL.match(title) or re.search(r"^議案第", head) or re.search(r"\n\s*[^\n]{0,30}提出\s*\n", head):
        return "bill"
    if _ORDINANCE.search(title.strip()) and (_ARTICLE.search(text) or _ENACTED.search(head)):
        return "ordinance"
    if _MANUAL.search(named):
        return "manual"
    if _PLAN.search(named):
        return "plan"
    if _NOTICE.search(named):
        return "notice"
    if len(turns) >= MIN_TURNS_FOR_MINUTES:
        return "minutes"
    return "other"


# --- municipality ------------------------------------------------------------------------------------------------

MUNICIPALITY_WINDOWS = 8  # 4,000-character windows of the text the municipality is counted in
_OFFICIAL = "議会|長|役所|役場|条例|規則|規程|職員|立|総合計画|教育委員会"
_OWN_NAME = re.compile(rf"([一-龥ぁ-んァ-ヶ]{{2,5}}?[市町村区])(?:{_OFFICIAL})")


def find_municipality(title: str, text: str) -> str | None:
    """The municipality a document is of (南国市, 東京都, かつらぎ町): the one its title names, else the one its
    text names most, a mention with 議会・長・条例・職員… after it counting three times (a city before the
    prefecture it lies in when both are named as often)."""
    named = municipalities_in(_close_gaps(title))
    if named:
        return named[0]
    counts: Counter[str] = Counter()
    for start in range(0, min(len(text), MUNICIPALITY_WINDOWS * 4000), 4000):
        window = _close_gaps(text[start:start + 4000])
        counts.update(municipality_mentions(window))
    if not counts:  # names Sudachi does not know: 「〇〇市長」「〇〇町議会」 written out
        counts.update(m.group(1) for m in _OWN_NAME.finditer(_close_gaps(text[:HEAD_CHARS])))
        return max(counts, key=lambda name: counts[name]) if counts else None
    joined = _close_gaps(text[:MUNICIPALITY_WINDOWS * 4000])
    score = {name: n + 2 * len(re.findall(re.escape(name) + f"(?:{_OFFICIAL})", joined)) for name, n in counts.items()}
    return max(score, key=lambda name: (score[name], not name.endswith(("都", "道", "府", "県"))))
