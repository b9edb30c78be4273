"""A 答弁案 as a Word document (python-docx): the draft with its citation marks, then every source it cites
(document, page, date, speaker and the quoted passage), then earlier answers on the topic. python-docx is
imported here and nowhere else.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from docx import Document as WordDocument
from docx.shared import Pt

from kotae.types import Citation
from service.draft import Draft, section_body

VERIFY_NOTE = ("この答弁案は Kotae が庁内資料から抜き出して作成した下書きです。"
               "引用元の原文を確認し、必要な修正を行ったうえで使用してください。")


def write_docx(draft: Draft, path: Path, questioner: str | None = None, stance: str | None = None) -> Path:
    """Write the draft to `path` (.docx) and return it; the folder must exist."""
    check_docx_path(path)
    doc = WordDocument()
    style = doc.styles["Normal"]
    style.font.name = "游明朝"
    style.font.size = Pt(10.5)
    _heading(doc, "答弁案", level=1)
    facts = [f"質問: {draft.question}", f"作成日: {dt.date.today().isoformat()}"]
    if questioner:
        facts.append(f"質問者: {questioner}")
    if stance:
        facts.append(f"方針: {stance}")
    for fact in facts:
        _paragraph(doc, fact)
    _paragraph(doc).add_run(VERIFY_NOTE).italic = True
    _heading(doc, "本文", level=2)
    _paragraph(doc, draft.opening)
    for section in draft.sections:
        _paragraph(doc, f"【{section.heading}】")
        _paragraph(doc, "\u3000" + section_body(section, draft.closing))
    _heading(doc, "出典", level=2)
    if not draft.citations:
        _paragraph(doc, "（引用なし）")
    for c in draft.citations:
        _source(doc, c)
    _heading(doc, "これまでの答弁", level=2)
    if not draft.past_answers:
        _paragraph(doc, "（見つかりませんでした）")
    for c in draft.past_answers:
        _source(doc, c)
    doc.save(str(path))
    return path


def check_docx_path(path: Path) -> None:
    """Raise `ValueError` naming the path when a .docx cannot be written there."""
    if path.suffix.lower() != ".docx":
        raise ValueError(f"{path}: the file name must end with .docx")
    if not path.parent.is_dir():
        raise ValueError(f"{path}: folder {path.parent} does not exist")
    if path.is_dir():
        raise ValueError(f"{path}: is a folder")


def describe(c: Citation) -> str:
    """「[n] 文書名、p.N、日付、役職（氏名）、source」."""
    speaker = f"{c.speaker_title or ''}（{c.speaker}）" if c.speaker else ""
    parts = [c.title, f"p.{c.page}" if c.page else "", c.date or "", speaker, c.source]
    return f"[{c.n}] " + "、".join(p for p in parts if p)


def _source(doc: Any, c: Citation) -> None:
    _paragraph(doc, describe(c))
    quote = _paragraph(doc, "「" + " ".join(c.quote.split()) + "」")
    quote.paragraph_format.left_indent = Pt(21)


# XML 1.0 has no place for most control characters (a form feed pasted from a PDF); Word files are XML.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    return _NOT_XML.sub(" ", text)


def _paragraph(doc: Any, text: str = "") -> Any:
    return doc.add_paragraph(_xml_safe(text))


def _heading(doc: Any, text: str, level: int) -> Any:
    return doc.add_heading(_xml_safe(text), level=level)
