"""Which municipality each document is of: the one its title names (令和二年東京都議会会議録, 南国市ＤＸ推進方針),
else the one most documents of its folder name (a 施政方針 titled 「R03-01_市長冒頭発言コピペ」 beside
「小樽市r2_市長1日目冒頭」), else unknown. A question naming 東京都 is not answered from an Otaru speech.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import PurePosixPath

from service.reader.analysis import municipalities_in


def municipalities(titles: Mapping[str, str]) -> dict[str, str | None]:
    """source -> municipality (None: not known) for documents given as source -> title."""
    named = {source: next(iter(municipalities_in(title)), None) for source, title in titles.items()}
    by_folder: dict[str, Counter[str]] = {}
    for source, place in named.items():
        if place is not None:
            by_folder.setdefault(str(PurePosixPath(source).parent), Counter())[place] += 1
    out: dict[str, str | None] = {}
    for source, place in named.items():
        if place is None:
            counts = by_folder.get(str(PurePosixPath(source).parent))
            if counts:
                (top, n), *rest = counts.most_common(2)
                place = top if not rest or rest[0][1] < n else None
        out[source] = place
    return out
