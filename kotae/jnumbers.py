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


def numbers_in(text: str, *, kanji: bool = True) -> set[str]:
    """Every number in `text` as a canonical decimal string ("1080", "83.7"); with `kanji`, kanji numerals too,
    and each 和暦 year also as its 西暦 year."""
    text = unicodedata.normalize("NFKC", text)
    found: set[str] = set()
    for m in _ARABIC.finditer(text):
        value = m.group(1).replace(",", "")
        found.add(_canonical(value))
        if m.group(2):
            found.add(_canonical(str(float(value) * _LARGE[m.group(2)])))
    if kanji:
        for m in _KANJI.finditer(text):
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
