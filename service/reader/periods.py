"""Which years each document is of: its date's, the years its title names (令和二年東京都議会会議録, 小樽市r2_市長…)
and those its file name carries (446_2026_03__施政方針.pdf, …_Otaru_H28_Minutes.html). A question about 令和3年度
is not answered from the 令和元年 speech when the 令和3年 one says it.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from service.reader.analysis import years_in

_FILE_YEAR_MONTH = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})[-_.]?(?:0[1-9]|1[0-2])(?![0-9])")
_FILE_ERA = re.compile(r"(?:^|[^A-Za-z0-9])([RrHh])([0-9]{1,2})(?=[^0-9]|$)")
_ERA_START = {"r": 2019, "h": 1989}


def document_years(source: str, title: str, date: str | None) -> frozenset[int]:
    """The 西暦 years document `source` is of (empty when nothing says)."""
    years = {y.year for y in years_in(title)}
    if date and date[:4].isdigit():
        years.add(int(date[:4]))
    name = PurePosixPath(source).stem
    years.update(int(m.group(1)) for m in _FILE_YEAR_MONTH.finditer(name))
    years.update(_ERA_START[m.group(1).lower()] + int(m.group(2)) - 1 for m in _FILE_ERA.finditer(name))
    return frozenset(years)


def document_month(source: str, date: str | None) -> tuple[int, int] | None:
    """(year, month) the document was written in, from its date or its file name (446_2026_03__…), if known."""
    if date and re.fullmatch(r"[0-9]{4}-[0-9]{2}.*", date):
        return int(date[:4]), int(date[5:7])
    m = _FILE_YEAR_MONTH_PAIR.search(PurePosixPath(source).stem)
    return (int(m.group(1)), int(m.group(2))) if m else None


_FILE_YEAR_MONTH_PAIR = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})[-_.](0[1-9]|1[0-2])(?![0-9])")
# relative year word -> (fiscal year?, offset from the year the document was written in)
_RELATIVE = {"今年度": (True, 0), "本年度": (True, 0), "昨年度": (True, -1), "前年度": (True, -1),
             "来年度": (True, 1), "新年度": (True, 1), "次年度": (True, 1), "今年": (False, 0), "本年": (False, 0),
             "ことし": (False, 0), "昨年": (False, -1), "去年": (False, -1), "来年": (False, 1)}
_RELATIVE_WORD = re.compile("|".join(sorted(_RELATIVE, key=len, reverse=True)))


def relative_years(text: str, written: tuple[int, int] | None) -> frozenset[int]:
    """The 西暦 years `text` names relative to when its document was written (a report of June 2022: 昨年度 is
    2021; a speech of March 2026: 新年度 is 2026, 今年度 2025)."""
    if written is None:
        return frozenset()
    year, month = written
    fiscal_now = year if month >= 4 else year - 1
    out = set()
    for m in _RELATIVE_WORD.finditer(text):
        fiscal, offset = _RELATIVE[m.group()]
        out.add((fiscal_now if fiscal else year) + offset)
    return frozenset(out)
