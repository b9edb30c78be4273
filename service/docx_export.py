"""A 答弁案 as a Word document (python-docx): the draft with its citation marks, then every source it cites
(document, page, date, speaker and the quoted passage), then earlier answers on the topic. python-docx is
imported here and nowhere else.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

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
    doc.add_heading("答弁案", level=1)
    facts = [f"質問: {draft.question}", f"作成日: {dt.date.today().isoformat()}"]
    if questioner:
        facts.append(f"質問者: {questioner}")
    if stance:
        facts.append(f"方針: {stance}")
    for fact in facts:
        doc.add_paragraph(fact)
    doc.add_paragraph().add_run(VERIFY_NOTE).italic = True
    doc.add_heading("本文", level=2)
    doc.add_paragraph(draft.opening)
    for section in draft.sections:
        doc.add_paragraph(f"【{section.heading}】")
        doc.add_paragraph("\u3000" + section_body(section, draft.closing))
    doc.add_heading("出典", level=2)
    if not draft.citations:
        doc.add_paragraph("（引用なし）")
    for c in draft.citations:
        _source(doc, c)
    doc.add_heading("これまでの答弁", level=2)
    if not draft.past_answers:
        doc.add_paragraph("（見つかりませんでした）")
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


def _source(doc: object, c: Citation) -> None:
    doc.add_paragraph(describe(c))  # type: ignore[attr-defined]
    quote = doc.add_paragraph("「" + " ".join(c.quote.split()) + "」")  # type: ignore[attr-defined]
    quote.paragraph_format.left_indent = Pt(21)
