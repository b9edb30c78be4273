"""例規 article numbers (条・項・号, 附則): how they are written, and one canonical label for each.

A label is what chunks, hits and citations carry and what a question's 「第5条」 is compared with: arabic
digits, 条 first, then 項 and 号 where a passage lies inside one (「第7条」, 「第3条第2項」, 「第2条第5号」,
「第12条の2」, 「附則」). Full-width and kanji numerals are read as the same number
(「第五条」 = 「第５条」 = 「第5条」).
"""

from __future__ import annotations

import re
import unicodedata

from kotae.jdates import kanji_to_int

SUPPLEMENT = "附則"

NUMBER = r"[0-9０-９〇一二三四五六七八九十百千]+"  # an article's, 項's or 号's number as 例規 write it
# Inside an article, a line 「2　…」 begins its 項 and a line 「(1)　…」 its 号.
PARAGRAPH_LINE = re.compile(r"^(?P<n>[0-9０-９]+)[\u3000 ]", re.MULTILINE)
ITEM_LINE = re.compile(rf"^[（(](?P<n>{NUMBER})[）)][\u3000 ]", re.MULTILINE)
# 第5条, 第12条の2, 第3条第2項, 第2条第1項第3号 (a question or a cross-reference writes them this way).
ARTICLE_NAME = re.compile(
    rf"第(?P<article>{NUMBER})条(?:の(?P<branch>{NUMBER}))?"
    rf"(?:第(?P<paragraph>{NUMBER})項)?(?:第(?P<item>{NUMBER})号)?"
)


def number(text: str) -> int:
    """「５」「5」「十二」 -> the number; raises ValueError when `text` is none."""
    text = unicodedata.normalize("NFKC", text)
    return int(text) if text.isdigit() else kanji_to_int(text)


def article_label(article: str, branch: str | None = None, paragraph: int | None = None,
                  item: int | None = None) -> str:
    """The canonical label: article_label("５", "2", 3) -> 「第5条の2第3項」."""
    label = f"第{number(article)}条" + (f"の{number(branch)}" if branch else "")
    if paragraph is not None:
        label += f"第{paragraph}項"
    if item is not None:
        label += f"第{item}号"
    return label


def articles_named(text: str) -> tuple[str, ...]:
    """The articles `text` names, as canonical labels of 条 (and 項 where named), in order, without repeats.

    「第5条」 -> ("第5条",), 「第３条第２項」 -> ("第3条第2項",); 「附則」 alone -> ("附則",). A 号 named in a question
    narrows nothing further: a passage of a 号 lies inside its 条's passage.
    """
    found: list[str] = []
    for m in ARTICLE_NAME.finditer(text):
        try:
            paragraph = number(m.group("paragraph")) if m.group("paragraph") else None
            label = article_label(m.group("article"), m.group("branch"), paragraph)
        except ValueError:
            continue
        if label not in found:
            found.append(label)
    if not found and SUPPLEMENT in text:
        found.append(SUPPLEMENT)
    return tuple(found)


_LAW_KIND = re.compile(rf"(?P<kind>条例|規則|規程|要綱|要領|基準|細則)(?:の)?第{NUMBER}条")


def law_kinds_named(text: str) -> tuple[str, ...]:
    """The kinds of 例規 `text` names right before an article: 「規則第6条」 -> ("規則",), 「条例の第5条」 -> ("条例",);
    () when an article is named alone (「第5条」)."""
    return tuple(dict.fromkeys(m.group("kind") for m in _LAW_KIND.finditer(text)))


def article_of(label: str) -> str:
    """The 条 of a label: 「第3条第2項」 -> 「第3条」, 「第12条の2第1号」 -> 「第12条の2」, 「附則」 -> 「附則」."""
    m = re.match(r"第[0-9]+条(?:の[0-9]+)?", label)
    return m.group(0) if m else label


_ARTICLE_LINE = re.compile(rf"^(?:[（(][^）)\n]*[）)]\s*)?第{NUMBER}条")


def paragraph_at(passage: str, offset: int) -> int | None:
    """The 項 of an article's passage text that `offset` lies in: the number of the last 「2　…」 line at or before
    it, 1 before any when the passage begins with its article line, None when that cannot be told."""
    number_found: int | None = None
    for m in PARAGRAPH_LINE.finditer(passage):
        if m.start() > offset:
            break
        number_found = number(m.group("n"))
    if number_found is not None:
        return number_found
    return 1 if _ARTICLE_LINE.match(passage.lstrip()) else None


def paragraph_of(label: str) -> int | None:
    """The 項 a label names: 「第3条第2項」 -> 2, 「第3条」 -> None."""
    m = re.search(r"第([0-9]+)項", label)
    return int(m.group(1)) if m else None


def matches(passage: str, asked: str) -> bool:
    """True when a passage labelled `passage` holds the article `asked` names (both canonical labels): the
    passage of 第3条 holds 第3条第2項, and the passage of 第3条第2項 holds 第3条."""
    if passage == asked:
        return True
    if article_of(passage) != article_of(asked):
        return False
    return passage == article_of(passage) or asked == article_of(asked)
