"""Numbers written in Japanese text, whatever the notation: 1,080 / １０８０ / 千八十 / 五百四十万 / 八三・七 /
令和七年 (also read as 2025). Used to check that a generated sentence states no figure its sources lack.
"""

from __future__ import annotations

import re
import unicodedata

from kotae.jdates import ERAS, kanji_to_int

_ARABIC = re.compile(r"(?<![0-9.])([0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?)(万|億)?")
_KANJI = re.compile(r"[〇一二三四五六七八九十百千万億]+(?:・[〇一二三四五六七八九]+)?")
_ERA_YEAR = re.compile(r"(令和|平成|昭和|大正|明治)\s*([0-9]+|[〇一二三四五六七八九十]+|元)\s*年")
_LARGE = {"万": 10_000, "億": 100_000_000}


# After a kanji numeral, these make it a quantity (「九万件」「五分」); without one, 「万全」「一方」「十分」 are words.
_COUNTER = re.compile(r"[件人分円年月日回時間秒割倍個所箇校課歳戸台本名者%％点部冊棟床]|か所|カ所|ヶ所|パーセント")


def numbers_in(text: str, *, kanji: bool = True, counted_kanji_only: bool = False) -> set[str]:
    """Every number in `text` as a canonical decimal string ("1080", "83.7"); with `kanji`, kanji numerals too,
    and each 和暦 year also as its 西暦 year. With `counted_kanji_only` (what a sentence claims, not what a source
    holds), a kanji numeral counts only when a counter follows it (「九万件」 yes, 「万全」 no), and 「540万」 is
    only 5400000."""
    text = unicodedata.normalize("NFKC", text)
    found: set[str] = set()
    for m in _ARABIC.finditer(text):
        value = m.group(1).replace(",", "")
        if m.group(2):  # 「540万」 is 5400000; a source also holds the bare 540 (a claim does not: it says 540万)
            found.add(_canonical(str(float(value) * _LARGE[m.group(2)])))
            if counted_kanji_only:
                continue
        found.add(_canonical(value))
    if kanji:
        for m in _KANJI.finditer(text):
            if m.group(0)[0] in _LARGE:  # 「540万」's 万 was read with its digits; 「万全」 is a word
                continue
            if counted_kanji_only and not _COUNTER.match(text, m.end()):
                continue
            parsed = _kanji_value(m.group(0))
            if parsed is not None:
                found.add(parsed)
        for m in _ERA_YEAR.finditer(text):
            try:
                found.add(str(ERAS[m.group(1)] + kanji_to_int(m.group(2)) - 1))
            except ValueError:
                continue
    return found


def _kanji_value(run: str) -> str | None:
    """「千八十」→ "1080", 「五百四十万」→ "5400000", 「八三・七」→ "83.7"; None when it is no numeral."""
    if "・" in run:
        whole, _, frac = run.partition("・")
        try:
            return _canonical(f"{kanji_to_int(whole)}.{kanji_to_int(frac)}")
        except ValueError:
            return None
    total = 0
    rest = run
    for unit in ("億", "万"):
        head, sep, tail = rest.partition(unit)
        if sep:
            try:
                total += (kanji_to_int(head) if head else 1) * _LARGE[unit]
            except ValueError:
                return None
            rest = tail
    try:
        total += kanji_to_int(rest) if rest else 0
    except ValueError:
        return None
    return str(total)


def _canonical(value: str) -> str:
    if "." in value:
        value = value.rstrip("0").rstrip(".")
    return value.lstrip("0") or "0"
