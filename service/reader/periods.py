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
