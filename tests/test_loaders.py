"""Loaders on real public documents (../shared/data) and on small files built in tmp_path."""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter
from pathlib import Path

import docx
import pytest
from pdf_fixtures import make_pdf
from pypdf import PdfReader, PdfWriter
from reportlab.pdfgen import canvas

from ingest.loaders import load_file
from ingest.loaders.docx_file import load_docx
from ingest.loaders.html_file import load_html
from ingest.loaders.ocr import OCR_ENV, ocr_available
from ingest.loaders.pdf_file import drop_page_furniture, load_pdf, repair_spaced_lines, repair_spaced_text
from kotae.errors import LoadError
from kotae.types import Extracted

NANKOKU = "pdf/nankoku"
SCANNED = "425_2022_03__報告第９号（追加議案・提案理由）.pdf"
CJK = r"[\u3040-\u30ff\u4e00-\u9fff]"
# Three or more kana/kanji each followed by one space: the signature of pypdf's spaced-out text.
SPACED_RUN = re.compile(f"(?:{CJK} ){{3,}}{CJK}")


def _nonblank(text: str) -> Counter[str]:
    return Counter(re.sub(r"\s+", "", text))


def _assert_pages_consistent(ex: Extracted) -> None:
    """Pages are numbered 1..n, tile the text with "\\n\\n" between them, and nothing else."""
    assert [p.number for p in ex.pages] == list(range(1, len(ex.pages) + 1))
    assert ex.pages[0].start == 0
    assert ex.pages[-1].end == len(ex.text)
    for before, after in zip(ex.pages, ex.pages[1:], strict=False):
        assert ex.text[before.end : after.start] == "\n\n"


def _blank_pdf(path: Path, pages: int = 1) -> Path:
    """A PDF whose pages draw a shape but carry no text layer (what a scanner without OCR writes)."""
    c = canvas.Canvas(str(path))
    for _ in range(pages):
        c.rect(100, 100, 200, 200, fill=1)
        c.showPage()
    c.save()
    return path


# ---------------------------------------------------------------------------------------------- repair


def test_repair_joins_spaced_japanese() -> None:
    assert repair_spaced_text("南 国 市 の 施 政 方 針") == "南国市の施政方針"
    assert repair_spaced_text("お は よ う\nご ざ い ま す 。") == "おはよう\nございます。"


def test_repair_joins_spaced_digits_and_full_width_punctuation() -> None:
    spaced = "事 業 1 0 4 , 68 4 千 円 を 追 加 計 上 し 、 ( 1 ) 手 話 は 、 「 ３ ０ ０ 円 」"
    assert repair_spaced_text(spaced) == "事業104,684千円を追加計上し、(1)手話は、「３００円」"


def test_repair_keeps_real_latin_word_spaces_and_double_spaces() -> None:
    text = "Microsoft Word の 文 書 を Ｐ Ｄ Ｆ に し た"
    assert repair_spaced_text(text) == "Microsoft Wordの文書をＰＤＦにした"
    assert repair_spaced_text("第 ３ 条  手 話 の 普 及") == "第３条  手話の普及"


def test_repair_leaves_unspaced_text_alone() -> None:
    # Word's PDFs put real spaces around half-width numbers; nothing here is spaced out.
    word = "令和４年２月 24 日南国市企画課作成\n基幹系 20 業務を標準仕様システムへ移行"
    assert repair_spaced_text(word) == word
    english = "This is plain English text, with spaces between words."
    assert repair_spaced_text(english) == english
    assert repair_spaced_text("") == ""


def test_repair_spaced_lines_on_a_normal_page() -> None:
    page = (
        "第１条 この条例は、地方自治法の規定に基づき、\n"
        "と い う 。）の 調 査 研 究 そ の 他 の 活 動 に 資 す る た め 必 要 な 経 費 の 一 部 と し て 、\n"
        "第４条 前 条 の 規 定 に よ る 通 知 を 受 け た 議員は、当 該 通 知 を 受けた日から\n"
        "１ ０ 日 以 内 に 、 政 務 活 動 費 交 付 請 求 書 を 提 出 す る\n"
        "南国市長 平山 耕三\n"  # real gaps: fewer spaces than characters side by side
        "附 則\n"  # one gap only
        "５ ３ ２ １\n"  # a row of figures is no spaced-out word
        "Microsoft Word の 文 書 で す"
    )
    assert repair_spaced_lines(page).split("\n") == [
        "第１条 この条例は、地方自治法の規定に基づき、",
        "という。）の調査研究その他の活動に資するため必要な経費の一部として、",
        "第４条 前条の規定による通知を受けた議員は、当該通知を受けた日から",  # the article number keeps its gap
        "１０日以内に、政務活動費交付請求書を提出する",
        "南国市長 平山 耕三",
        "附 則",
        "５ ３ ２ １",
        "Microsoft Wordの文書です",
    ]
    assert repair_spaced_lines("") == ""


def test_repair_force_cleans_ocr_digits() -> None:
    ocr = "地方自治法 (昭和2 2 年法律第6 7号) 第1 8 0 条第1 項"
    assert repair_spaced_text(ocr) == ocr  # mostly unspaced: left alone without force
    assert repair_spaced_text(ocr, force=True) == "地方自治法(昭和22年法律第67号)第180条第1項"


# ------------------------------------------------------------------------------------------ real PDFs


@pytest.mark.slow
def test_nankoku_policy_speech_is_not_spaced_out(shared_data: Path) -> None:
    path = shared_data / NANKOKU / "425_2022_03__施政方針.pdf"
    ex = load_pdf(path)
    assert len(ex.pages) == 17
    assert SPACED_RUN.search(ex.text) is None
    assert "南 国 市" not in ex.text and "市 の" not in ex.text
    assert "おはようございます。" in ex.text
    assert "厚く御礼申し上げます" in ex.text
    assert ex.needs_ocr == () and ex.ocr_pages == ()
    _assert_pages_consistent(ex)
    # Each page's span holds exactly that page's characters as pypdf reads them (spaces aside), less its
    # footer 「- 7 -」.
    reader = PdfReader(path)
    for page, pdf_page in zip(ex.pages, reader.pages, strict=True):
        footer = _nonblank(f"-{page.number}-")
        assert _nonblank(ex.text[page.start : page.end]) == _nonblank(pdf_page.extract_text()) - footer
        assert not re.search(r"^- *\d+ *-$", ex.text[page.start : page.end], re.MULTILINE)


def test_nankoku_bill_keeps_real_gaps_and_title(shared_data: Path) -> None:
    ex = load_pdf(shared_data / NANKOKU / "425_2022_03__議案第18号：手話言語条例.pdf")
    assert ex.title == "議案第１８号 南国市手話言語条例"
    assert "令和４年３月４日提出" in ex.text
    # The article number and its text are apart, as on the page; inside the sentence nothing is.
    assert "第１条 この条例は、手話が言語であるという認識に基づき" in ex.text
    assert SPACED_RUN.search(ex.text) is None
    _assert_pages_consistent(ex)


def test_nankoku_pdf_metadata_title_is_used_when_meaningful(shared_data: Path) -> None:
    ex = load_pdf(shared_data / NANKOKU / "425_2022_03__議案第24号：国民健康保険税条例の一部を改正する条例.pdf")
    assert ex.title == "国民健康保険税条例の一部を改正する条例"
    # This one's /Title is "Microsoft Word - <mojibake>.docx": the first line is used instead.
    dx = load_pdf(shared_data / NANKOKU / "425_2022_03__南国市ＤＸ推進方針_R040224.pdf")
    assert dx.title is not None and "Microsoft" not in dx.title
    assert "南国市ＤＸ推進方針" in dx.text


def test_scanned_pdf_needs_ocr_when_ocr_is_off(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(OCR_ENV, "off")
    ex = load_pdf(shared_data / NANKOKU / SCANNED)
    assert ex.needs_ocr == (1, 2)
    assert ex.ocr_pages == ()
    assert ex.text.strip() == ""
    assert len(ex.pages) == 2
    _assert_pages_consistent(ex)


@pytest.mark.slow
@pytest.mark.skipif(not ocr_available(), reason="tesseract with jpn data and pdftoppm are not installed")
def test_scanned_pdf_is_read_by_ocr(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(OCR_ENV, raising=False)
    ex = load_pdf(shared_data / NANKOKU / SCANNED)
    assert ex.ocr_pages == (1, 2)
    assert ex.needs_ocr == ()
    _assert_pages_consistent(ex)
    first = ex.text[ex.pages[0].start : ex.pages[0].end]
    assert "損害賠償" in first and "専決処分" in first
    assert "地方自治法" in ex.text
    # Tesseract's spaces between characters are repaired like pypdf's.
    assert SPACED_RUN.search(ex.text) is None
    assert ex.title is not None and ex.title.startswith("報告第9号")


def test_ocr_is_unavailable_without_tesseract() -> None:
    assert ocr_available("kotae-no-such-tesseract") is False


# ------------------------------------------------------------------------------ page numbers and headers


def test_dashed_page_numbers_are_dropped_wherever_they_stand() -> None:
    pages = ["本文の一行目。\n- 1 -", "－２－\n二頁目の本文。\n", "三頁目の本文。\nー ３ ー\n続き。"]
    assert drop_page_furniture(pages) == ["本文の一行目。", "二頁目の本文。", "三頁目の本文。\n続き。"]


def test_bare_page_numbers_in_step_with_the_pages_are_dropped() -> None:
    # The manual's numbering starts after a cover and two contents pages: 1 on page 4, 2 on page 5, ...
    contents = "目 次\n１ 趣旨\n1\n２ 対象\n2\n３ 報告\n16"  # the contents' page numbers are text
    pages = ["政務活動費の手引き", contents, "３ 報告\n17", "1\n\n１ 趣旨\n本文。", "2\n\n本文。", "本文。\n3"]
    out = drop_page_furniture(pages)
    assert out[:3] == pages[:3]
    assert out[3:] == ["１ 趣旨\n本文。", "本文。", "本文。"]


def test_a_figure_ending_a_page_is_not_a_page_number() -> None:
    pages = ["表\n合計\n5", "本文。\n12", "別表\n30"]  # no numbering in step with the pages
    assert drop_page_furniture(pages) == pages
    sparse = ["表\n5", "二頁。", "三頁。", "四頁。", "五頁。", "別表\n10"]  # in step, but on 2 pages of 6
    assert drop_page_furniture(sparse) == sparse


def test_running_header_is_dropped_after_its_first_page() -> None:
    header = "令和４年２月 24 日南国市企画課作成"
    pages = [f"{header}\n南国市ＤＸ推進方針\n本文。", f"{header}\n2\n二頁目。", f"{header}\n三頁目。\n3"]
    assert drop_page_furniture(pages) == [f"{header}\n南国市ＤＸ推進方針\n本文。", "二頁目。", "三頁目。"]
    # A line at the edge of a few pages only (「附 則」 of two bills in one file) is text.
    bills = ["第１条 本文。\n附 則", "第１条 本文。\n附 則\n施行する。", "第１条 別の本文。", "第２条 本文。", "末尾。"]
    assert drop_page_furniture(bills) == bills


def test_page_furniture_in_a_built_pdf(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "f.pdf", ["市政報告\n本文です。\n- 1 -", "続きの本文です。\n- 2 -"])
    ex = load_pdf(path)
    _assert_pages_consistent(ex)
    assert [ex.text[p.start : p.end] for p in ex.pages] == ["市政報告\n本文です。", "続きの本文です。"]


@pytest.mark.slow
def test_nankoku_page_numbers_and_header_are_not_text(shared_data: Path) -> None:
    page_number = re.compile(r"^[-－‐―ー ]*[0-9０-９]+[-－‐―ー ]*$", re.MULTILINE)
    report = load_pdf(shared_data / NANKOKU / "426_2022_06__市政報告.pdf")
    assert "-7-" not in report.text and not page_number.search(report.text)
    _assert_pages_consistent(report)
    # 「…支払を受けるべ\n-4-」 / 「き第３６条…」: the page ends with the sentence, not with its footer.
    bill = load_pdf(shared_data / NANKOKU / "426_2022_06__議案第４号：市税条例等の一部を改正する条例.pdf")
    assert bill.text[bill.pages[3].start : bill.pages[3].end].endswith("以後に支払を受けるべ")
    # The manual numbers its pages from the fourth (1, 2, ...); its contents keep their page numbers.
    manual = load_pdf(shared_data / NANKOKU / "seimukatudouhi__政務活動費の手引き（H28.4.1）.pdf")
    for page in manual.pages[3:]:
        lines = manual.text[page.start : page.end].split("\n")
        assert lines[0].strip() != str(page.number - 3), page.number
    contents = manual.text[manual.pages[1].start : manual.pages[1].end]
    assert len(page_number.findall(contents)) >= 10
    dx = load_pdf(shared_data / NANKOKU / "425_2022_03__南国市ＤＸ推進方針_R040224.pdf")
    assert dx.text.count("南国市企画課作成") == 1  # the running dateline stays on the first page only


@pytest.mark.slow
def test_nankoku_manual_has_no_spaced_prose_left(shared_data: Path) -> None:
    manual = load_pdf(shared_data / NANKOKU / "seimukatudouhi__政務活動費の手引き（H28.4.1）.pdf")
    # Only a table's header row is left spaced (「物 品 名 耐用年数」: as many characters side by side as spaced).
    assert [m.group() for m in SPACED_RUN.finditer(manual.text)] == ["物 品 名 耐"]
    assert "（以下「議員」\nという。）の調査研究その他の活動に資するため必要な経費の一部として、" in manual.text
    assert "第４条 政務活動費は、議員が行う調査研究、研修、広報、広聴、住民相談、" in manual.text
    assert "１０日以内に、政務活動費交付請求書（様式第３号）を市長に提出するも" in manual.text


# --------------------------------------------------------------------------------------- built PDFs


def test_builtmake_pdf(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "a.pdf", ["南国市の施政方針\nDX推進 2024年", "第２頁の本文です。"], "施政方針")
    ex = load_file(path)
    assert ex.title == "施政方針"
    _assert_pages_consistent(ex)
    assert ex.text[ex.pages[0].start : ex.pages[0].end] == "南国市の施政方針\nDX推進 2024年"
    assert ex.text[ex.pages[1].start : ex.pages[1].end] == "第２頁の本文です。"


def test_tool_written_pdf_title_falls_back_to_first_line(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "b.pdf", ["- 1 -\n南国市の施政方針"], "Microsoft Word - 施政方針.docx")
    assert load_pdf(path).title == "南国市の施政方針"


def test_pdf_without_text_layer_is_not_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(OCR_ENV, "off")
    ex = load_pdf(_blank_pdf(tmp_path / "scan.pdf", pages=2))
    assert ex.needs_ocr == (1, 2)
    assert ex.text == "\n\n"


def test_empty_pdf(tmp_path: Path) -> None:
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    with pytest.raises(LoadError, match="empty file"):
        load_pdf(path)


def test_random_bytes_pdf(tmp_path: Path) -> None:
    path = tmp_path / "random.pdf"
    path.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(LoadError, match="corrupt PDF"):
        load_pdf(path)


def test_pdf_header_then_garbage(tmp_path: Path) -> None:
    path = tmp_path / "garbage.pdf"
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    with pytest.raises(LoadError, match="PDF"):
        load_pdf(path)


def test_truncated_pdf(shared_data: Path, tmp_path: Path) -> None:
    data = (shared_data / NANKOKU / "425_2022_03__施政方針.pdf").read_bytes()
    path = tmp_path / "half.pdf"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(LoadError, match="truncated PDF"):
        load_pdf(path)


def test_truncated_built_pdf(tmp_path: Path) -> None:
    source = make_pdf(tmp_path / "whole.pdf", ["南国市の施政方針"] * 3)
    data = source.read_bytes()
    path = tmp_path / "cut.pdf"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(LoadError, match=r"truncated PDF|corrupt PDF"):
        load_pdf(path)


def _encrypted(source: Path, target: Path, user_password: str) -> Path:
    writer = PdfWriter(clone_from=PdfReader(source))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    target.write_bytes(buffer.getvalue())
    return target


def test_encrypted_pdf_with_password(tmp_path: Path) -> None:
    source = make_pdf(tmp_path / "plain.pdf", ["秘密の文書"])
    path = _encrypted(source, tmp_path / "locked.pdf", user_password="secret")
    with pytest.raises(LoadError, match=re.escape("encrypted PDF (password required)")):
        load_pdf(path)


def test_encrypted_pdf_with_empty_user_password_opens(tmp_path: Path) -> None:
    # Restriction-only encryption (an owner password, no user password) is common and readable.
    source = make_pdf(tmp_path / "plain.pdf", ["公開の文書です。"])
    path = _encrypted(source, tmp_path / "restricted.pdf", user_password="")
    assert load_pdf(path).text == "公開の文書です。"


# --------------------------------------------------------------------------------------------- HTML


def test_reiki_html(shared_data: Path) -> None:
    ex = load_html(shared_data / "reiki/katsuragi/k518RG00000012.html")
    assert ex.title == "かつらぎ町表彰規程"
    lines = ex.text.split("\n")
    assert lines[:3] == ["○かつらぎ町表彰規程", "昭和43年9月10日", "規程第9号"]
    assert (
        "第1条　この規程は、公共の福祉増進に功労のあった者その他広く町民の模範となるべき者を表彰して、"
        "その功績をたたえることを目的とする。"
    ) in lines
    assert "(8)　勤労に励み、特に他の模範とするに足る者" in lines
    # Hidden id lists and the in-page table of contents are not content.
    assert "e000000007" not in ex.text
    assert "本則" not in ex.text
    assert [ex.text[s:e] for s, e in ex.headings] == ["かつらぎ町表彰規程"]


def test_reiki_html_table_rows_are_lines(shared_data: Path) -> None:
    ex = load_html(shared_data / "reiki/katsuragi/k518RG00000080.html")
    assert "船岡山駐車場 かつらぎ町大字西渋田372番地の5" in ex.text.split("\n")


def test_otaru_speech_first_paragraph_intact(shared_data: Path) -> None:
    ex = load_html(shared_data / "speeches/otaru/PoliInfo4_MBLink_v20230613_Otaru_R4_Minutes.html")
    lines = ex.text.split("\n")
    assert lines[0] == "R04-01_市長冒頭発言コピペ"
    assert ex.title == "R04-01_市長冒頭発言コピペ"  # <title> is empty: the first h1
    assert lines[1] == (
        "○市長（迫 俊哉） 令和４年第１回定例会の開会に当たり、ただいま上程されました各案件について"
        "提案理由の説明を申し上げるのに先立ち、新年度に向けた市政執行に対する私の所信の一端と施策の概要を"
        "申し上げます。"
    )
    assert ex.headings == ((0, len(lines[0])),)


def test_html_structure_and_whitespace(tmp_path: Path) -> None:
    page = """<!DOCTYPE html><html><head><title> 市政だより </title><style>p{color:red}</style></head>
    <body><nav><a href="/">トップ</a></nav><script>var x = "見えない";</script>
    <h1>第１章
      総則</h1>
    <p>市政の
       状況について御報告申し上げます。</p>
    <p>Hello
       world<br>二行目</p>
    <div style="display:none">隠し文字</div>
    <ul><li><a href="#a">目次一</a></li><li><a href="#b">目次二</a></li></ul>
    <ul><li>項目一</li><li>項目二</li></ul>
    <table><tr><th>名称</th><td>位置</td></tr><tr><td><p>図書館</p></td><td>駅前町</td></tr></table>
    <!-- コメント -->
    </body></html>"""
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    ex = load_html(path)
    assert ex.title == "市政だより"
    assert ex.text.split("\n") == [
        "第１章総則",
        "市政の状況について御報告申し上げます。",
        "Hello world",
        "二行目",
        "項目一",
        "項目二",
        "名称 位置",
        "図書館 駅前町",
    ]
    assert [ex.text[s:e] for s, e in ex.headings] == ["第１章総則"]


def test_html_meta_charset_shift_jis(tmp_path: Path) -> None:
    page = '<html><head><meta charset="Shift_JIS"><title>例規</title></head><body><p>①丸数字と髙</p></body></html>'
    path = tmp_path / "sjis.html"
    path.write_bytes(page.encode("cp932"))
    ex = load_file(path)
    assert ex.text == "①丸数字と髙"
    assert ex.title == "例規"


def test_html_title_falls_back_to_first_line(tmp_path: Path) -> None:
    path = tmp_path / "plain.htm"
    path.write_text("<html><body><p>最初の行</p><p>次の行</p></body></html>", encoding="utf-8")
    assert load_html(path).title == "最初の行"


@pytest.mark.parametrize(
    "content", [b"", b"<html><head><title>t</title><script>x()</script></head><body>  \n </body></html>"]
)
def test_empty_html(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.html"
    path.write_bytes(content)
    with pytest.raises(LoadError, match=re.escape("empty document (no text)")):
        load_html(path)


# --------------------------------------------------------------------------------------------- DOCX


def _docx(path: Path, title: str | None = None) -> Path:
    document = docx.Document()
    if title is not None:
        document.core_properties.title = title
    document.add_heading("南国市ＤＸ推進計画", level=1)
    document.add_paragraph("本計画は、市民サービスの向上を目的とする。")
    table = document.add_table(rows=3, cols=2)
    table.cell(0, 0).text = "項目"
    table.cell(0, 1).text = "内容"
    table.cell(1, 0).text = "人材育成"
    table.cell(1, 1).text = "ＤＸ推進員の育成"
    table.cell(2, 0).merge(table.cell(2, 1)).text = "全体計画"
    document.add_heading("第２章　取組", level=2)
    document.add_paragraph("行政手続のオンライン化を進める。")
    document.save(str(path))
    return path


def test_docx_paragraphs_tables_and_headings(tmp_path: Path) -> None:
    ex = load_file(_docx(tmp_path / "plan.docx"))
    assert ex.text.split("\n") == [
        "南国市ＤＸ推進計画",
        "本計画は、市民サービスの向上を目的とする。",
        "項目",
        "内容",
        "人材育成",
        "ＤＸ推進員の育成",
        "全体計画",  # a merged cell once, not once per column it spans
        "第２章　取組",
        "行政手続のオンライン化を進める。",
    ]
    assert [ex.text[s:e] for s, e in ex.headings] == ["南国市ＤＸ推進計画", "第２章　取組"]
    assert ex.title == "南国市ＤＸ推進計画"
    assert ex.pages == ()


def test_docx_title_from_core_properties(tmp_path: Path) -> None:
    assert load_docx(_docx(tmp_path / "plan.docx", title="令和６年度 計画")).title == "令和６年度 計画"


def test_docx_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "bad.docx"
    path.write_bytes(b"this is not a zip file at all")
    with pytest.raises(LoadError, match=re.escape("not a Word .docx file")):
        load_docx(path)


def test_docx_zip_without_document(tmp_path: Path) -> None:
    path = tmp_path / "other.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hello")
    with pytest.raises(LoadError):
        load_docx(path)


def test_docx_truncated(tmp_path: Path) -> None:
    data = _docx(tmp_path / "plan.docx").read_bytes()
    path = tmp_path / "cut.docx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(LoadError):
        load_docx(path)


def test_docx_without_text(tmp_path: Path) -> None:
    path = tmp_path / "blank.docx"
    docx.Document().save(str(path))
    with pytest.raises(LoadError, match="empty document"):
        load_docx(path)


def test_every_document_suffix_has_a_loader() -> None:
    """The admin page accepts exactly the types ingestion can read."""
    from ingest.loaders import LOADERS
    from kotae.formats import DOCUMENT_SUFFIXES

    assert set(LOADERS) == set(DOCUMENT_SUFFIXES)
    page = (Path(__file__).resolve().parents[1] / "service" / "web" / "static" / "admin.html").read_text("utf-8")
    accepted = re.search(r'id="upload-input"[^>]*accept="([^"]+)"', page)
    assert accepted is not None and set(accepted.group(1).split(",")) == set(DOCUMENT_SUFFIXES)
    hint = re.search(r'id="upload-hint">([^<]+)<', page)
    assert hint is not None and all(suffix in hint.group(1) for suffix in DOCUMENT_SUFFIXES)
