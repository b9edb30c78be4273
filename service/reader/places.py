"""Which municipality each document is of: the one its title names (令和二年東京都議会会議録, 南国市ＤＸ推進方針),
else the one most documents of its folder name (a 施政方針 titled 「R03-01_市長冒頭発言コピペ」 beside
「小樽市r2_市長1日目冒頭」), else unknown. A question naming 東京都 is not answered from an Otaru speech.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from pathlib import PurePosixPath

from kotae.places import municipalities_in
from service.reader.analysis import Analysis

_LEVELS = ("都", "道", "府", "県", "市", "区", "町", "村")


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


def with_known_places(analysis: Analysis, known: frozenset[str]) -> Analysis:
    """`analysis` with a focus term that names a municipality the store holds without its level (小樽 for 小樽市,
    南国 for 南国市) moved to its constraints, and a level named alone (町の駐車場) read as the one municipality of
    that level the store holds, if it holds one; its parts too."""
    stems = {place[:-1]: place for place in known if len(place) >= 3 and place.endswith(_LEVELS)}
    named = tuple(stems[t] for t in analysis.focus if t in stems)
    for level in analysis.constraints.levels:
        of_level = [place for place in known if place.endswith(level)]
        if len(of_level) == 1 and not analysis.constraints.places:
            named += (of_level[0],)
    parts = tuple(with_known_places(part, known) for part in analysis.parts)
    if not named:
        return replace(analysis, parts=parts) if parts != analysis.parts else analysis
    c = analysis.constraints
    return replace(analysis, focus=tuple(t for t in analysis.focus if t not in stems),
                   constraints=replace(c, places=tuple(dict.fromkeys((*c.places, *named)))),
                   parts=parts)
