"""The Word export of 答弁案 (issue 14 item 8): real drafts of the real `Drafter` over the project's `corpus/`,
written with `write_docx` / `write_notice_docx` and read back with python-docx — page size, the 明朝 face on the
text and heading styles, the header block, the body with its 【要確認】 marks, the sources, one file for a whole
通告 — and the file name after the topic and date. Nothing of ours is mocked; nothing is rendered (no
LibreOffice). The store is built once per session and only read.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_COLOR_INDEX
from docx.oxml.ns import qn
from docx.shared import RGBColor
from kotae_env import clear_kotae_env
from pydantic import ValidationError

from kotae.errors import SettingsError
from kotae.jdates import wareki
from kotae.settings import DOCX_FONT, DocxSettings, load_settings
from kotae.types import Sentence
from service.answer import Answerer
from service.docx_export import (
    CHECK,
    UNKNOWN,
    VERIFY_NOTE,
    describe,
    docx_filename,
    write_docx,
    write_notice_docx,
)
from service.draft import NO_SOURCE, SECTIONS, Draft, Drafter, DraftSection, section_body
from service.reader.search import Searcher

QUESTION = "生成ＡＩの全庁導入について"
QUESTIONER = "桑原美穂"
DAY = dt.date(2026, 12, 5)
WAREKI = "令和8年12月5日"
UNRELATED = "市内の公園におけるドッグランの整備について"
# one 通告 of the sample minutes' 早瀬亮介 (自治体ＤＸと窓口のデジタル化), plus an item no source covers
NOTICE_QUESTIONER = "早瀬亮介"
NOTICE = ("書かない窓口の実績と今後の拡大について", "証明書のコンビニ交付の利用状況について", UNRELATED)
HEADING_STYLES = ("Title", "Heading 1", "Heading 2")


@pytest.fixture(autouse=True)
def _no_kotae_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings come from defaults."""
    clear_kotae_env(monkeypatch)


@pytest.fixture(scope="module")
def drafter(corpus_store: Path) -> Drafter:
    """One drafter (models loaded once) over the sample corpus for the module."""
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        return Drafter(Answerer(Searcher(load_settings(corpus_store))))


@pytest.fixture(scope="module")
def draft(drafter: Drafter) -> Draft:
    """The draft on 生成ＡＩの全庁導入: grounded, spoken as 市長."""
    result = drafter.draft(QUESTION, QUESTIONER, "推進")
    assert result.grounded and result.answerer and result.citations
    return result


@pytest.fixture(scope="module")
def ungrounded(drafter: Drafter) -> Draft:
    """A draft no source supports: every section left to fill in, no answerer."""
    result = drafter.draft(UNRELATED)
    assert not result.grounded and not result.answerer
    return result


@pytest.fixture(scope="module")
def notice(drafter: Drafter) -> list[Draft]:
    return [drafter.draft(q, NOTICE_QUESTIONER, "検討") for q in NOTICE]


@pytest.fixture(scope="module")
def written(draft: Draft, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The grounded draft written once, read back."""
    path = write_docx(draft, tmp_path_factory.mktemp("docx") / "答弁案.docx", QUESTIONER, "推進", day=DAY)
    return docx.Document(str(path))


def style_name(paragraph: Any) -> str:
    return str(paragraph.style.name) if paragraph.style is not None else ""


def texts(document: Any) -> list[str]:
    return [p.text for p in document.paragraphs]


def body_of(document: Any) -> list[str]:
    """The paragraphs between the 本文 heading and the 出典 heading (of the first item)."""
    lines = texts(document)
    start = lines.index("本文")
    return lines[start + 1:lines.index("出典", start)]


def uncited(draft: Draft) -> list[str]:
    """The lines of the draft without a source, as the docx shows them: the set phrases, the empty sections."""
    lines = [draft.opening]
    if not draft.grounded:
        lines.append(next(line for line in draft.text.splitlines() if "資料からは回答できません" in line))
    for section in draft.sections:
        lines += [s.text for s in section.sentences if not s.citations] if section.sentences else [NO_SOURCE]
        if section.heading == SECTIONS[-1]:
            lines.append(draft.closing)
    return lines


def cited(draft: Draft) -> list[Sentence]:
    return [s for section in draft.sections for s in section.sentences if s.citations]


def assert_marked(body: list[str], draft: Draft) -> None:
    """【要確認】 before every line without a source and before no cited sentence."""
    joined = "\n".join(body)
    for line in uncited(draft):
        assert CHECK + line in joined, line
    for s in cited(draft):
        assert CHECK + s.text not in joined, s.text
        assert s.text + "".join(f"[{n}]" for n in s.citations) in joined
    assert joined.count(CHECK) == len(uncited(draft))


# --- page and fonts ------------------------------------------------------------------------------------------------


def test_every_section_is_a4_portrait_with_answer_margins(written: Any) -> None:
    assert written.sections
    for section in written.sections:
        assert section.orientation == WD_ORIENT.PORTRAIT
        assert abs(section.page_width.mm - 210) < 0.1 and abs(section.page_height.mm - 297) < 0.1
        for margin in (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin):
            assert 20 <= round(margin.mm, 1) <= 30


def test_the_font_is_set_east_asian_and_latin_on_text_and_heading_styles(written: Any) -> None:
    used = {p.style.name for p in written.paragraphs}
    assert {"Normal", "Title", "Heading 1"} <= used  # Heading 2: the parts of a notice's items
    for name in ("Normal", *HEADING_STYLES):
        style = written.styles[name]
        r_fonts = style.element.rPr.rFonts
        assert r_fonts.get(qn("w:eastAsia")) == DOCX_FONT, name
        assert r_fonts.get(qn("w:ascii")) == r_fonts.get(qn("w:hAnsi")) == DOCX_FONT, name
        assert style.font.name == DOCX_FONT
        # a theme font would win over the face named, in Word and in LibreOffice
        assert not [a for a in r_fonts.attrib if a.endswith(("Theme", "theme"))], name
    normal = written.styles["Normal"].font.size.pt
    assert 10.5 <= normal <= 12
    for name in ("Heading 1", "Heading 2"):
        style = written.styles[name]
        assert style.font.color.rgb == RGBColor(0, 0, 0) and style.font.color.theme_color is None
        assert 10.5 <= style.font.size.pt <= 12
    assert written.styles["Title"].font.color.rgb == RGBColor(0, 0, 0)


def test_another_font_passes_through(draft: Draft, notice: list[Draft], tmp_path: Path) -> None:
    single = docx.Document(str(write_docx(draft, tmp_path / "a.docx", font="游明朝")))
    many = docx.Document(str(write_notice_docx(notice, tmp_path / "b.docx", font="IPA明朝")))
    for document, font in ((single, "游明朝"), (many, "IPA明朝")):
        for name in ("Normal", *HEADING_STYLES):
            assert document.styles[name].element.rPr.rFonts.get(qn("w:eastAsia")) == font


@pytest.mark.parametrize("font", ["", "  ", "ＭＳ\x07明朝"])
def test_a_bad_font_is_refused_before_writing(draft: Draft, tmp_path: Path, font: str) -> None:
    with pytest.raises(ValueError, match="font"):
        write_docx(draft, tmp_path / "a.docx", font=font)
    assert not (tmp_path / "a.docx").exists()


# --- header and body -----------------------------------------------------------------------------------------------


def test_the_header_names_topic_answerer_questioner_date_and_stance(written: Any, draft: Draft) -> None:
    lines = texts(written)
    assert lines[0] == "答弁案" and written.paragraphs[0].style.name == "Title"
    header = lines[:lines.index("本文")]
    for line in (f"件名\t{QUESTION}", f"答弁者\t{draft.answerer}", f"質問者\t{QUESTIONER}", f"日付\t{WAREKI}",
                 "方針\t推進", VERIFY_NOTE):
        assert line in header, line
    assert draft.answerer == "市長"
    assert written.core_properties.title == QUESTION


def test_unknown_answerer_and_questioner_and_todays_date(ungrounded: Draft, tmp_path: Path) -> None:
    header = texts(docx.Document(str(write_docx(ungrounded, tmp_path / "a.docx"))))
    assert f"答弁者\t{UNKNOWN}" in header and f"質問者\t{UNKNOWN}" in header
    assert f"方針\t{ungrounded.stance}" in header
    assert f"日付\t{wareki(dt.date.today().isoformat())}" in header


def test_each_section_holds_its_sentences_with_marks(written: Any, draft: Draft) -> None:
    body = body_of(written)
    headings = [line for line in body if line.startswith("【") and line.endswith("】") and line != CHECK]
    assert headings == [f"【{h}】" for h in SECTIONS]
    for section in draft.sections:
        after = body[body.index(f"【{section.heading}】") + 1]
        assert after.replace(CHECK, "") == "\u3000" + section_body(section, draft.closing)


def test_lines_without_a_source_are_marked_and_cited_ones_are_not(written: Any, draft: Draft) -> None:
    assert_marked(body_of(written), draft)
    opening = next(p for p in written.paragraphs if p.text == CHECK + draft.opening)
    mark = opening.runs[0]
    assert mark.text == CHECK and mark.bold and mark.font.highlight_color == WD_COLOR_INDEX.YELLOW


def test_an_ungrounded_draft_marks_every_line(ungrounded: Draft, tmp_path: Path) -> None:
    document = docx.Document(str(write_docx(ungrounded, tmp_path / "a.docx", day=DAY)))
    body = body_of(document)
    assert_marked(body, ungrounded)
    assert "\n".join(body).count(CHECK + NO_SOURCE) == len(SECTIONS)
    assert "（引用なし）" in texts(document) and "（見つかりませんでした）" in texts(document)


def test_a_section_left_empty_and_an_uncited_sentence_are_marked(draft: Draft, tmp_path: Path) -> None:
    first, second, *rest = draft.sections
    added = Sentence("担当課において詳細を確認しております。")
    edited = replace(draft, sections=(DraftSection(first.heading, ()),
                                      DraftSection(second.heading, (*second.sentences, added)), *rest))
    body = body_of(docx.Document(str(write_docx(edited, tmp_path / "a.docx"))))
    assert_marked(body, edited)
    assert body[body.index(f"【{first.heading}】") + 1] == "\u3000" + CHECK + NO_SOURCE
    assert CHECK + added.text in body[body.index(f"【{second.heading}】") + 1]


def test_every_source_is_listed_with_its_quote(written: Any, draft: Draft) -> None:
    paragraphs = written.paragraphs
    lines = texts(written)
    sources, past = lines.index("出典"), lines.index("これまでの答弁")
    assert sources < past
    earlier = [p.citation for p in draft.past_answers]
    for c, section in [(c, (sources, past)) for c in draft.citations] + [(c, (past, len(lines))) for c in earlier]:
        at = lines.index(describe(c), *section)
        assert lines[at].startswith(f"[{c.n}] {c.title}")
        assert c.source in lines[at] and (not c.page or f"p.{c.page}" in lines[at])
        if c.speaker:
            assert f"{c.speaker_title or ''}（{c.speaker}）" in lines[at]
        assert re.search(r"令和[56]年", lines[at])  # the corpus dates (2023, 2024) in 和暦
        assert lines[at + 1] == "「" + " ".join(c.quote.split()) + "」"
        assert paragraphs[at + 1].paragraph_format.left_indent.pt > 0


def test_text_xml_cannot_hold_is_replaced(draft: Draft, tmp_path: Path) -> None:
    odd = replace(draft, question="生成ＡＩの\x0c全庁導入について\x00")
    lines = texts(docx.Document(str(write_docx(odd, tmp_path / "a.docx"))))
    assert "件名\t生成ＡＩの 全庁導入について " in lines


def test_the_callers_positional_form_still_works(draft: Draft, tmp_path: Path) -> None:
    path = write_docx(draft, tmp_path / "a.docx", None, None)
    assert f"方針\t{draft.stance}" in texts(docx.Document(str(path)))


# --- one file for a whole 通告 -------------------------------------------------------------------------------------


def test_a_notice_has_one_heading_per_item_in_order_with_each_draft(notice: list[Draft], tmp_path: Path) -> None:
    titles = ["書かない窓口", "", "ドッグランの整備"]
    path = write_notice_docx(notice, tmp_path / "通告.docx", NOTICE_QUESTIONER, titles, day=DAY)
    document = docx.Document(str(path))
    lines = texts(document)
    items = [i for i, p in enumerate(document.paragraphs) if style_name(p) == "Heading 1"]
    assert [lines[i] for i in items] == ["１\u3000書かない窓口", f"２\u3000{NOTICE[1]}", "３\u3000ドッグランの整備"]
    header = lines[:items[0]]
    assert f"質問者\t{NOTICE_QUESTIONER}" in header and f"日付\t{WAREKI}" in header and VERIFY_NOTE in header
    answerers = [d.answerer for d in notice if d.answerer]
    assert answerers and all(a in next(x for x in header if x.startswith("答弁者")) for a in answerers)
    assert sum(line.startswith("質問者") for line in lines) == 1  # the header once
    for n, (start, end, item) in enumerate(zip(items, [*items[1:], len(lines)], notice, strict=True)):
        block = lines[start:end]
        if titles[n]:
            assert f"質問\t{item.question}" in block
        assert f"答弁者\t{item.answerer or UNKNOWN}" in block and f"方針\t{item.stance}" in block
        body = block[block.index("本文") + 1:block.index("出典")]
        assert_marked(body, item)
        for section in item.sections:
            assert body[body.index(f"【{section.heading}】") + 1].replace(CHECK, "") == \
                "\u3000" + section_body(section, item.closing)
        sources = block[block.index("出典"):block.index("これまでの答弁")]
        assert [line for line in sources if line.startswith("[")] == [describe(c) for c in item.citations]
        for c in item.citations:  # numbered per item
            assert sources[sources.index(describe(c)) + 1] == "「" + " ".join(c.quote.split()) + "」"
    assert notice[0].citations and notice[0].citations[0].n == 1
    assert sum(style_name(p) == "Heading 2" and p.text == "出典" for p in document.paragraphs) == len(notice)


def test_a_notice_without_titles_uses_the_questions(notice: list[Draft], tmp_path: Path) -> None:
    document = docx.Document(str(write_notice_docx(notice[:2], tmp_path / "a.docx")))
    headings = [p.text for p in document.paragraphs if style_name(p) == "Heading 1"]
    assert headings == [f"１\u3000{NOTICE[0]}", f"２\u3000{NOTICE[1]}"]
    assert f"質問者\t{UNKNOWN}" in texts(document)


def test_a_notice_refuses_bad_arguments(notice: list[Draft], tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one"):
        write_notice_docx([], tmp_path / "a.docx")
    with pytest.raises(ValueError, match="1 titles for 3 drafts"):
        write_notice_docx(notice, tmp_path / "a.docx", titles=["一"])
    with pytest.raises(ValueError, match=r"a\.doc"):
        write_notice_docx(notice, tmp_path / "a.doc")
    assert not list(tmp_path.iterdir())


# --- file name -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("topic", "name"), [
    ("子育て支援の充実について", "答弁案_子育て支援の充実_20261205.docx"),
    ("生成ＡＩの全庁導入について", "答弁案_生成ＡＩの全庁導入_20261205.docx"),
    ("防災対策に関して", "答弁案_防災対策_20261205.docx"),
    ("公共交通に関するご質問", "答弁案_公共交通_20261205.docx"),
    ("デジタルデバイド対策について、市長の見解を伺う", "答弁案_デジタルデバイド対策_20261205.docx"),
    ("空き家対策について伺います。", "答弁案_空き家対策_20261205.docx"),
    ('A/B:C*D?"E"<F>|G\\H\x07について', "答弁案_A_B_C_D_E_F_G_H_20261205.docx"),
    ("  市民 \u3000 協働の推進 ", "答弁案_市民_協働の推進_20261205.docx"),
    ("", "答弁案_20261205.docx"),
    ("  \u3000", "答弁案_20261205.docx"),
    ("について", "答弁案_について_20261205.docx"),
    ('???***', "答弁案_20261205.docx"),
    ("...について", "答弁案_20261205.docx"),
])
def test_docx_filename(topic: str, name: str) -> None:
    assert docx_filename(topic, DAY) == name


def test_docx_filename_caps_a_long_topic() -> None:
    name = docx_filename("市立小中学校における" * 10 + "について", DAY)
    topic = name.removeprefix("答弁案_").removesuffix("_20261205.docx")
    assert len(topic) == 30 and ("市立小中学校における" * 10).startswith(topic)


def test_the_file_name_of_a_draft_is_writable(draft: Draft, tmp_path: Path) -> None:
    path = write_docx(draft, tmp_path / docx_filename(draft.question, DAY))
    assert path.name == "答弁案_生成ＡＩの全庁導入_20261205.docx" and path.stat().st_size > 0


# --- the setting ---------------------------------------------------------------------------------------------------


def test_the_font_setting_defaults_and_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch,
                                                                     tmp_path: Path) -> None:
    assert load_settings(tmp_path / "store").docx.font == DOCX_FONT == "ＭＳ 明朝"
    monkeypatch.setenv("KOTAE_DOCX_FONT", " 游明朝 ")
    assert load_settings(tmp_path / "store").docx.font == "游明朝"


@pytest.mark.parametrize("font", ["", "   ", "ＭＳ\t明朝", "ＭＳ\x00明朝", "x" * 32])
def test_the_font_setting_refuses_what_is_no_font_name(font: str) -> None:
    with pytest.raises(ValidationError) as error:
        DocxSettings(font=font)
    assert "font" in str(error.value)


def test_a_bad_font_variable_names_itself(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KOTAE_DOCX_FONT", " ")
    with pytest.raises(SettingsError, match="KOTAE_DOCX_FONT"):
        load_settings(tmp_path / "store")
