"""Japanese numerals and dates: kanji numerals, 和暦 (令和/平成/昭和, 元年) and 西暦 forms to ISO dates."""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata

_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}

# First year (西暦) of each era; year N of the era is start + N - 1.
ERAS = {"令和": 2019, "平成": 1989, "昭和": 1926, "大正": 1912, "明治": 1868}

_NUM = r"[0-9０-９〇零一二三四五六七八九十百千]+|元"
_ERA_DATE = re.compile(rf"(令和|平成|昭和|大正|明治)\s*({_NUM})\s*年\s*({_NUM})\s*月\s*({_NUM})\s*日")
# A month not followed by a day: 「令和二年二月三十日」 is an invalid date, not February 2020.
_ERA_MONTH = re.compile(rf"(令和|平成|昭和|大正|明治)\s*({_NUM})\s*年\s*({_NUM})\s*月(?!\s*(?:{_NUM})\s*日)")
# Digits only (ASCII after `_HALF_WIDTH`), bounded so 「12020年」 or 「2020/2/193」 are not read as dates.
_WESTERN_DATE = re.compile(
    r"(?<![0-9])((?:19|20)[0-9]{2})\s*(?:年|[-/.])\s*([0-9]{1,2})\s*(?:月|[-/.])\s*([0-9]{1,2})(?![0-9])\s*日?"
)
# Full-width digits and separators to ASCII, one character for one, so match positions index the input.
_HALF_WIDTH = str.maketrans("０１２３４５６７８９－／．", "0123456789-/.")

# A date written as someone's birth date: after a label (生年月日：, 誕生日は, 出生日（西暦）, 生まれ, on the same line
# or, as on a form, the line before) or followed by 生 / 生まれ / (生) / 出生 (昭和45年3月2日生). 生 must end the
# word: 4月1日生活… is an ordinary date. A document's date is never one of these.
_BIRTH_LABEL_BEFORE = re.compile(
    r"(?:生年月日|誕生日|出生日|出生|生誕|生まれ)[ \u3000\t|｜]*(?:[（(][^）)\n]{1,8}[）)])?[ \u3000\t]*[:：は]?"
    r"[ \u3000\t]*\n?[ \u3000\t]*\Z"
)
_BIRTH_MARK_AFTER = re.compile(
    r"[ \u3000]?(?:[（(]\s*生\s*[）)]|生まれ|出生|生誕|生(?![\u3400-\u9fff\uf900-\ufaff々ぁ-ゖ]))"
)
_BIRTH_CONTEXT = 20  # characters looked at before a date for a birth-date label


def kanji_to_int(text: str) -> int:
    """Parse a number written in digits or kanji numerals (「二十三」「百二」「二〇二〇」「元」).

    Raises `ValueError` for anything else.
    """
    text = unicodedata.normalize("NFKC", text).strip()
    if not text:
        raise ValueError("empty numeral")
    if text.isdigit():
        return int(text)
    if text == "元":
        return 1
    if all(ch in _DIGITS for ch in text):  # positional form: 二〇二〇
        return int("".join(str(_DIGITS[ch]) for ch in text))
    total, current = 0, 0
    for ch in text:
        if ch in _DIGITS:
            current = _DIGITS[ch]
        elif ch in _UNITS:
            total += (current or 1) * _UNITS[ch]
            current = 0
        else:
            raise ValueError(f"not a numeral: {text!r}")
    return total + current


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except (ValueError, OverflowError):  # 「平成99999999999999999999年」 is no date either
        return None


def era_year(era: str, year_text: str) -> int:
    """西暦 year of 和暦 year `year_text` in `era` (「令和」「二」 -> 2020)."""
    return ERAS[era] + kanji_to_int(year_text) - 1


def find_date(text: str, *, birth_dates: bool = False) -> str | None:
    """The first full date in `text` (和暦 or 西暦) as an ISO string, or None. A date written as a birth date
    (生年月日：昭和45年3月2日, 1980年4月1日生) is skipped unless `birth_dates`: it dates a person, not the text.

    「令和二年二月十九日」-> "2020-02-19", 「令和元年5月1日」-> "2019-05-01", 「2020年2月19日」-> "2020-02-19".
    """
    for start, end, iso in _iter_dates(text):
        if birth_dates or not is_birth_date(text, start, end):
            return iso
    return None


def is_birth_date(text: str, start: int, end: int) -> bool:
    """Whether the date at `text[start:end]` is written as a birth date (a label before it, 生 after it)."""
    before = text[max(0, start - _BIRTH_CONTEXT):start]
    return _BIRTH_LABEL_BEFORE.search(before) is not None or _BIRTH_MARK_AFTER.match(text, end) is not None


def _iter_dates(text: str) -> list[tuple[int, int, str]]:
    """All (start, end, iso) dates in `text`, in order of position."""
    found: list[tuple[int, int, str]] = []
    for m in _ERA_DATE.finditer(text):
        try:
            iso = _iso(era_year(m.group(1), m.group(2)), kanji_to_int(m.group(3)), kanji_to_int(m.group(4)))
        except ValueError:
            iso = None
        if iso:
            found.append((m.start(), m.end(), iso))
    # Not NFKC: it changes the length (「…」 -> "..."), which made positions incomparable and, before, made one
    # such character anywhere in the text hide every 西暦 date.
    for m in _WESTERN_DATE.finditer(text.translate(_HALF_WIDTH)):
        iso = _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if iso:  # the pattern takes the blanks after a date without 日; they are not part of it
            found.append((m.start(), m.start() + len(m.group().rstrip()), iso))
    return sorted(found)


def to_iso_date(text: str, end_of_month: bool = False) -> str | None:
    """Parse a date given on its own (an override, a query filter): ISO, 西暦 or 和暦; None if unparseable.

    A month without a day (「令和二年二月」, 「2020年2月」, 2020-02) gives the first of the month, or its last day
    with `end_of_month` (the end of a period).
    """
    text = text.strip()
    found = find_date(text, birth_dates=True)  # a date given on its own is what it says, whatever follows it
    if found:
        return found
    month: tuple[int, int] | None = None
    m = _ERA_MONTH.search(text)
    if m:
        try:
            month = (era_year(m.group(1), m.group(2)), kanji_to_int(m.group(3)))
        except ValueError:
            return None
    m2 = re.fullmatch(r"((?:19|20)[0-9]{2})\s*(?:年|-|/)\s*([0-9]{1,2})\s*月?", text.translate(_HALF_WIDTH))
    if month is None and m2:
        month = (int(m2.group(1)), int(m2.group(2)))
    if month is None or not 1 <= month[1] <= 12:
        return None
    day = calendar.monthrange(*month)[1] if end_of_month else 1
    return _iso(month[0], month[1], day)


def int_to_kanji(number: int) -> str:
    """Kanji numeral for 1..9999 in the 十/百/千 form used in minutes (二十三, 百二)."""
    if not 0 < number < 10000:
        raise ValueError(f"out of range: {number}")
    digits = "〇一二三四五六七八九"
    out = ""
    for value, unit in ((1000, "千"), (100, "百"), (10, "十")):
        q, number = divmod(number, value)
        if q:
            out += ("" if q == 1 else digits[q]) + unit
    return out + (digits[number] if number else "")


_ERA_YEAR = re.compile(rf"(令和|平成|昭和)\s*({_NUM})\s*年")
_WESTERN_YEAR = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})\s*年")


def year_variants(text: str) -> list[str]:
    """Other spellings of the years a query mentions: 令和二年 -> 2020年; 2020年 -> 令和二年, 令和2年.

    Minutes write 和暦 in kanji, staff often type 西暦: a query matches either way.
    """
    variants: list[str] = []
    for m in _ERA_YEAR.finditer(text):
        try:
            variants.append(f"{era_year(m.group(1), m.group(2))}年")
        except ValueError:
            continue
    for m in _WESTERN_YEAR.finditer(text.translate(_HALF_WIDTH)):
        year = int(m.group(1))
        # A year in which the era changed has two names (2019: 平成三十一年 until April, 令和元年 from May;
        # the fiscal year 2019 is 平成三十一年度 in every budget), so each era the year falls in gives one.
        next_start: int | None = None
        for era, start in ERAS.items():  # newest era first
            if start <= year and (next_start is None or year <= next_start):
                n = year - start + 1
                variants += [f"{era}{'元' if n == 1 else int_to_kanji(n)}年", f"{era}{n}年"]
            next_start = start
    return variants


def wareki(iso_date: str) -> str:
    """「令和2年6月2日」 for 2020-06-02 (平成 before 2019-05-01; the year as written when it cannot be read)."""
    try:
        year, month, day = (int(part) for part in iso_date[:10].split("-"))
    except ValueError:
        return iso_date
    if (year, month, day) >= (2019, 5, 1):
        era, base = "令和", 2018
    elif (year, month, day) >= (1989, 1, 8):
        era, base = "平成", 1988
    else:
        return f"{year}年{month}月{day}日"
    number = year - base
    return f"{era}{'元' if number == 1 else number}年{month}月{day}日"
