"""Municipality names in Japanese text (東京都, 南国市, 小樽市, かつらぎ町, 世田谷区), from Sudachi's proper nouns:
what a question names (`service.reader.analysis`) and what a document is of (`ingest.describe`)."""

from __future__ import annotations

import re
import unicodedata

from kotae.morphology import mode_c as _mode_c

MUNICIPALITY_END = ("都", "道", "府", "県", "市", "区", "町", "村")
_PREFECTURES_TO_FU = frozenset(("東京都", "北海道", "京都府", "大阪府"))  # the only 都道府 there are
_TOKYO_WORDS = frozenset(("都", "都庁", "都議会", "都知事", "都立", "都民", "都税"))
_LEVEL_INSIDE = re.compile(r"^([^市町村区]{2,4}[市町村区])[^市町村区]{2,}$")
_PERSON_AFTER = frozenset(("氏", "総理", "首相", "総裁", "さん", "様", "君", "議員", "大臣", "代表", "委員"))


def municipalities_in(text: str) -> tuple[str, ...]:
    """Municipality names in `text` (東京都, 南国市, かつらぎ町), each once, in order of appearance."""
    return tuple(dict.fromkeys(municipality_mentions(text)))


def municipality_mentions(text: str) -> list[str]:
    """Every mention of a municipality in `text` (the first 4,000 characters), in order. A place name followed by
    a word that starts with the level (東京 + 都議会) counts as the municipality (東京都); a name the dictionary
    lacks keeps the kana before its last piece (みずほ + 野市)."""
    morphemes = list(_mode_c(_fold(text)))
    names: list[str] = []
    for i, m in enumerate(morphemes):
        surface, pos = m.surface(), m.part_of_speech()
        if surface in _TOKYO_WORDS and pos[0] == "名詞" and (not i or morphemes[i - 1].part_of_speech()[2] != "地名"):
            names.append("東京都")  # 「都の予算」「都が出す協力金」: the one 都 there is
            continue
        if pos[1] != "固有名詞":
            continue
        after = morphemes[i + 1].surface() if i + 1 < len(morphemes) else ""
        if after in _PERSON_AFTER:
            continue  # 「高市氏」「高市総理」: a person named like a place
        if surface.endswith(MUNICIPALITY_END) and len(surface) >= 2 and (
                not surface.endswith(("都", "道", "府")) or surface in _PREFECTURES_TO_FU):  # 国府班 is no 府
            before = morphemes[i - 1].surface() if i else ""
            if len(surface) <= 2 and re.fullmatch(r"[ぁ-んァ-ヶー]+", before):
                surface = before + surface
            names.append(surface)
        elif pos[2] == "地名" and i + 1 < len(morphemes) and morphemes[i + 1].surface()[:1] in MUNICIPALITY_END:
            names.append(surface + morphemes[i + 1].surface()[0])
        elif pos[2] == "地名" and (inside := _LEVEL_INSIDE.match(surface)):
            names.append(inside.group(1))  # an address read as one name: 南国市浜改田 -> 南国市
    return names


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()

