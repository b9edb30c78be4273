"""A 答弁案 as a Word document (python-docx), laid out as a 答弁書: A4 portrait, a 明朝 face on the text and the
headings (East Asian and Latin), 件名 / 答弁者 / 質問者 / 日付 (和暦) / 方針 at the top, then the draft with its
citation marks — every line without a source (the set phrases, the sections left to fill in) marked 【要確認】 —,
every source it cites (document, page, date, speaker and the quoted passage), earlier answers on the topic (each
marked where the draft's 方針 differs from it) and the 再質問 members asked next after them.
`write_notice_docx` puts the drafts of a whole 通告 (several items) in one file. python-docx is imported here and
nowhere else.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from docx import Document as WordDocument
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from kotae.jdates import wareki
from kotae.locations import cited_as
from kotae.settings import DOCX_FONT, DocxSettings
from kotae.types import Citation, Sentence
from service.compose.extractive import REFUSAL
from service.draft import NO_SOURCE, SECTIONS, Draft
from service.drafting.consistency import describe_difference

VERIFY_NOTE = ("この答弁案は Kotae が庁内資料から抜き出して作成した下書きです。"
               "引用元の原文を確認し、必要な修正を行ったうえで使用してください。")
CHECK = "【要確認】"  # before a line no source supports: a set phrase, or a section left to fill in
CHECK_NOTE = f"{CHECK}の付いた文には出典がありません（定型文・記入欄）。内容を確認してください。"
UNKNOWN = "（未定）"

# A4 portrait, with the margins of a 答弁書 (the wider left one leaves room to bind it)
PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
MARGINS = {"top_margin": Mm(30), "bottom_margin": Mm(25), "left_margin": Mm(30), "right_margin": Mm(25)}
# the styles the document uses, and their size in points; all in `font`, the headings bold and black
SIZES = {"Normal": 11.0, "Title": 14.0, "Heading 1": 12.0, "Heading 2": 11.0}
_LABEL_TAB = Mm(20)  # where a header line's value starts, after its label

# the end of a question that is no part of its topic: 「…について」「…に関するご質問」「…の件」
_TOPIC_END = re.compile(r"(?:について|に関して|に関しまして|につきまして|に関する|に係る|の件)"
                        r"(?:の?ご?質問|のお尋ね|伺います|伺う|お伺いします|お尋ねします)?$")
_TOPIC_CUT = re.compile(r"(?:について|に関して|に関しまして|につきまして)[、，,]")  # 「…について、市長の見解を伺う」
_NOT_IN_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')  # what a Windows file name cannot hold
_FILE_TOPIC_CHARS = 30


def write_docx(draft: Draft, path: Path, questioner: str | None = None, stance: str | None = None, *,
               font: str = DOCX_FONT, day: dt.date | None = None) -> Path:
    """Write the draft to `path` (.docx) and return it; the folder must exist. `stance` defaults to the draft's,
    `day` (the 日付 at the top) to today; `font` is the face of the whole document (`settings.docx.font`)."""
    check_docx_path(path)
    doc = _document(_check_font(font), draft.question)
    _title(doc, "答弁案")
    _facts(doc, [("件名", draft.question), ("答弁者", draft.answerer or UNKNOWN), ("質問者", _name(questioner)),
                 ("日付", _day(day)), ("方針", stance or draft.stance)])
    _notes(doc)
    write_draft(doc, draft, level=1)
    doc.save(str(path))
    return path


def write_notice_docx(drafts: Sequence[Draft], path: Path, questioner: str | None = None,
                      titles: Sequence[str] | None = None, font: str = DOCX_FONT,
                      day: dt.date | None = None) -> Path:
    """Write the drafts of one 通告 (its items, in order) to one .docx at `path` and return it: the header once
    (質問者, 日付, the 答弁者s), then per item a heading 「１　title」 (`titles[i]`, or the draft's question), its
    答弁者 and 方針, the draft and its own sources (citation numbers are per item) and earlier answers."""
    check_docx_path(path)
    if not drafts:
        raise ValueError(f"{path}: a notice needs at least one draft")
    if titles is not None and len(titles) != len(drafts):
        raise ValueError(f"{path}: {len(titles)} titles for {len(drafts)} drafts")
    names = [(titles[i] if titles is not None else "").strip() or d.question for i, d in enumerate(drafts)]
    doc = _document(_check_font(font), "、".join(names))
    _title(doc, "答弁案")
    answerers = list(dict.fromkeys(d.answerer for d in drafts if d.answerer))
    _facts(doc, [("質問者", _name(questioner)), ("答弁者", "、".join(answerers) or UNKNOWN), ("日付", _day(day)),
                 ("項目", f"{len(drafts)}件")])
    _notes(doc)
    for i, (draft, name) in enumerate(zip(drafts, names, strict=True), start=1):
        _heading(doc, f"{_full_width(i)}\u3000{name}", level=1)
        facts = [("質問", draft.question)] if name != draft.question else []
        _facts(doc, [*facts, ("答弁者", draft.answerer or UNKNOWN), ("方針", draft.stance)])
        write_draft(doc, draft, level=2)
    doc.save(str(path))
    return path


def write_draft(doc: Any, draft: Draft, level: int) -> None:
    """A draft's body (the opening, each 【section】 with its marked sentences, the closing), its sources and the
    earlier answers, under headings of `level`."""
    _heading(doc, "本文", level)
    _lines(doc, [Sentence(draft.opening)])
    refusal = next((line for line in draft.text.splitlines() if REFUSAL in line), None)
    if not draft.grounded and refusal:
        _lines(doc, [Sentence(refusal)])
    for section in draft.sections:
        _paragraph(doc).add_run(_xml_safe(f"【{section.heading}】")).bold = True
        # as `section_body` renders it: a section without sources says so; 今後の方針 ends with the closing line
        sentences = list(section.sentences) or [Sentence(NO_SOURCE)]
        if section.heading == SECTIONS[-1]:
            sentences.append(Sentence(draft.closing))
        _lines(doc, sentences, indent="\u3000")
    _heading(doc, "出典", level)
    if not draft.citations:
        _paragraph(doc, "（引用なし）")
    for c in draft.citations:
        _source(doc, c)
    _heading(doc, "これまでの答弁", level)
    if not draft.past_answers:
        _paragraph(doc, "（見つかりませんでした）")
    for past in draft.past_answers:
        _source(doc, past.citation)
        for difference in past.differences:
            _marked(doc, f"{CHECK}本案と相違：{describe_difference(difference)}")
    _heading(doc, "想定される再質問", level)
    if not draft.followups:
        _paragraph(doc, "（過去の会議録に見つかりませんでした）")
    for c in draft.followups:
        _source(doc, c)


def docx_filename(topic: str, day: dt.date) -> str:
    """A file name after the topic and the date that Windows, macOS and Linux all accept:
    「子育て支援の充実について」, 2026-12-05 -> 「答弁案_子育て支援の充実_20261205.docx」 (「について」 and what
    follows its comma dropped, characters a file name cannot hold replaced, the topic cut at 30 characters;
    「答弁案_20261205.docx」 when no topic is left)."""
    text = re.split(r"[。\n]", topic.strip(), maxsplit=1)[0]  # the first sentence
    cut = _TOPIC_CUT.search(text)
    if cut is not None and cut.start() > 0:
        text = text[:cut.start()]
    text = text.strip(" \u3000、，,．？?！!")
    while (end := _TOPIC_END.search(text)) is not None and end.start() > 0:
        text = text[:end.start()].rstrip(" \u3000")
    text = re.sub(r"[\s_]+", "_", _NOT_IN_NAME.sub("_", text))
    text = text[:_FILE_TOPIC_CHARS].strip("_. ")
    stamp = day.strftime("%Y%m%d")
    return f"答弁案_{text}_{stamp}.docx" if text else f"答弁案_{stamp}.docx"


def check_docx_path(path: Path) -> None:
    """Raise `ValueError` naming the path when a .docx cannot be written there."""
    if path.suffix.lower() != ".docx":
        raise ValueError(f"{path}: the file name must end with .docx")
    if not path.parent.is_dir():
        raise ValueError(f"{path}: folder {path.parent} does not exist")
    if path.is_dir():
        raise ValueError(f"{path}: is a folder")


def describe(c: Citation) -> str:
    """「[n] 文書名 第N条（or p.N, シート セル）、日付（和暦）、役職（氏名）、source」."""
    speaker = f"{c.speaker_title or ''}（{c.speaker}）" if c.speaker else ""
    parts = [cited_as(c), wareki(c.date) if c.date else "", speaker, c.source]
    return f"[{c.n}] " + "、".join(p for p in parts if p)


def _marked(doc: Any, text: str) -> None:
    """A line the drafter must look at (a difference from an earlier answer), highlighted, under its source."""
    paragraph = _paragraph(doc)
    paragraph.paragraph_format.left_indent = Pt(22)
    run = paragraph.add_run(_xml_safe(text))
    run.font.highlight_color = WD_COLOR_INDEX.YELLOW


def _source(doc: Any, c: Citation) -> None:
    _paragraph(doc, describe(c))
    quote = _paragraph(doc, "「" + " ".join(c.quote.split()) + "」")
    quote.paragraph_format.left_indent = Pt(22)


# --- the document: page, styles, header ---------------------------------------------------------------------------


def _document(font: str, topic: str) -> Any:
    doc = WordDocument()
    for section in doc.sections:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
        for side, margin in MARGINS.items():
            setattr(section, side, margin)
    _set_fonts(doc, font)
    props = doc.core_properties
    props.title = _xml_safe(topic)[:255]
    props.subject = "答弁案"
    props.author = props.last_modified_by = "Kotae"
    props.language = "ja-JP"
    props.created = props.modified = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    props.revision = 1
    return doc


def _set_fonts(doc: Any, font: str) -> None:
    """`font` on the document defaults and on every style used (and the character styles linked to them), for
    Latin text (w:ascii, w:hAnsi) and Japanese (w:eastAsia, which python-docx's `font.name` leaves alone); the
    template's theme fonts, which would win over them, removed; Japanese as the East Asian language; headings black."""
    styles = doc.styles
    defaults = styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        r_pr = defaults.find(qn("w:rPrDefault") + "/" + qn("w:rPr"))
        if r_pr is not None:
            _faces(r_pr.get_or_add_rFonts(), font)
            lang = r_pr.find(qn("w:lang"))
            if lang is None:
                lang = OxmlElement("w:lang")
                r_pr.append(lang)
            lang.set(qn("w:eastAsia"), "ja-JP")
    linked = {}
    for name, size in SIZES.items():
        style = styles[name]
        style.font.name = font
        style.font.size = Pt(size)
        _faces(style.element.rPr.rFonts, font)
        if name != "Normal":
            style.font.bold = True
            style.font.color.rgb = RGBColor(0, 0, 0)
            link = style.element.find(qn("w:link"))
            if link is not None:
                linked[link.get(qn("w:val"))] = size
    pdr = styles["Title"].element.pPr
    if pdr is not None and (border := pdr.find(qn("w:pBdr"))) is not None:
        pdr.remove(border)  # the template's blue rule under the title
    styles["Title"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for style in styles:
        if style.style_id in linked:
            style.font.name = font
            style.font.size = Pt(linked[style.style_id])
            style.font.bold = True
            style.font.color.rgb = RGBColor(0, 0, 0)
            _faces(style.element.rPr.rFonts, font)


def _faces(r_fonts: Any, font: str) -> None:
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        r_fonts.attrib.pop(qn(theme), None)
    for face in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        r_fonts.set(qn(face), font)
    r_fonts.set(qn("w:hint"), "eastAsia")  # 「…」「・」 and the like in the Japanese face too


def _check_font(font: str) -> str:
    """The face as the setting would accept it (`ValueError`, a pydantic `ValidationError`, when it would not)."""
    return DocxSettings(font=font).font


def _title(doc: Any, text: str) -> None:
    doc.add_paragraph(_xml_safe(text), style="Title")


def _facts(doc: Any, facts: list[tuple[str, str]]) -> None:
    """Header lines: the label in bold, the value after a tab stop."""
    for label, value in facts:
        p = _paragraph(doc)
        p.paragraph_format.tab_stops.add_tab_stop(_LABEL_TAB)
        p.paragraph_format.space_after = Pt(0)
        p.add_run(_xml_safe(label)).bold = True
        p.add_run("\t" + _xml_safe(value))


def _notes(doc: Any) -> None:
    doc.add_paragraph()
    _paragraph(doc, VERIFY_NOTE)
    p = _paragraph(doc)
    _check_mark(p)
    p.add_run(_xml_safe(CHECK_NOTE[len(CHECK):]))


def _lines(doc: Any, sentences: list[Sentence], indent: str = "") -> None:
    """One paragraph of sentences: a cited one followed by its marks [n], one without a source after 【要確認】."""
    p = _paragraph(doc, indent)
    for s in sentences:
        if not s.citations:
            _check_mark(p)
        p.add_run(_xml_safe(s.text))
        if s.citations:
            p.add_run("".join(f"[{n}]" for n in s.citations))


def _check_mark(p: Any) -> None:
    run = p.add_run(CHECK)
    run.bold = True
    run.font.highlight_color = WD_COLOR_INDEX.YELLOW


def _name(questioner: str | None) -> str:
    return (questioner or "").strip() or UNKNOWN


def _day(day: dt.date | None) -> str:
    return wareki((day or dt.date.today()).isoformat())


def _full_width(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "０１２３４５６７８９"))


# XML 1.0 has no place for most control characters (a form feed pasted from a PDF); Word files are XML.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    return _NOT_XML.sub(" ", text)


def _paragraph(doc: Any, text: str = "") -> Any:
    return doc.add_paragraph(_xml_safe(text))


def _heading(doc: Any, text: str, level: int) -> Any:
    return doc.add_heading(_xml_safe(text), level=level)
