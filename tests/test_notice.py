"""The 一般質問通告書 parser (`service/drafting/notice.py`) on notices laid out the ways councils write them, and
`read_notice` on real .txt (UTF-8, CP932), .docx (built with python-docx) and .pdf (reportlab) files. No mocks."""

from __future__ import annotations

import re
from pathlib import Path

import docx
import pytest
from pdf_fixtures import make_pdf

from service.drafting.notice import Notice, NoticeItem, parse_notice, read_notice

# A typical notice: title, date, addressee, seat line, answerer line, full-width numbers, (1) points, per-item marks.
SEAT_AND_PARENS = """令和6年第3回定例会　一般質問通告書

令和6年8月20日
みずほ野市議会議長　様

議席番号　12番　山田　太郎

答弁を求める者　市長、教育長

１　子育て支援の充実について
　(1) 保育所の待機児童対策について
　(2) 放課後児童クラブの拡充について
２　防災対策について（答弁者：市長）
　（１）避難所の運営について
　（２）備蓄品の計画的な更新について
３　学校給食の無償化について【教育長】
以上
"""

# Kanji numerals, katakana and bullet points, a title wrapped over two lines, answerers set apart after a title.
KANJI_AND_KANA = """一般質問通告書
通告者：佐藤花子議員

一　地域公共交通の
　　維持について
　ア　コミュニティバスの路線見直しについて
　イ　デマンド交通の導入について
二　ごみ減量の取組について　　市長、環境部長
　・プラスチック製品の分別回収について
三　図書館の開館時間について（教育長）
"""

# 「〇〇議員」 alone at the top, 1. numbers, ⑴ and ① points, a 要旨 label followed by unmarked prose.
MEMBER_LINE_AND_YOSHI = """田中　次郎　議員

1. 高齢者福祉について
⑴ 地域包括ケアシステムの構築について
⑵ 認知症施策の推進について
2. DX推進について（市長）
① 書かない窓口の拡充について
② 生成AIの活用について
3. 公共施設の再編について
【要旨】
本市の公共施設は老朽化が進んでおり、
今後の再編の方針を伺う。
"""

# A Markdown table, with the 要旨 column holding several points and a row continuing the item above.
MARKDOWN_TABLE = """# 一般質問通告書

質問者　鈴木　一郎

| 番号 | 質問事項 | 質問の要旨 | 答弁者 |
|---|---|---|---|
| １ | 防災対策について | (1) 避難所の運営 (2) 備蓄品の更新 | 市長 |
| 2 | 観光振興について | 観光客の誘致策 | 市長、経済部長 |
|  |  | インバウンド対策 | 危機管理監 |
| 3 | 公園の維持管理について |  | 都市整備部長 |
"""

# A table pasted from Word as pipes and tabs: number, title, answerer.
PASTED_TABLE = "１ | 防災対策について | 市長\n２\t子育て支援について\t教育長\n３ | 道路の維持管理について | 市長\n"

# 第1 numbering; 1) items with (1) points; a date after the items; the member at the bottom.
DAI_AND_CLOSE_PAREN = """第1　防災対策について
第2　教育について
第3　環境について
"""

CLOSE_PAREN_ITEMS = """1)　防災について
 (1) 避難所について
2)　教育について
令和6年9月1日提出
質問者　〇〇　〇〇
"""


def test_seat_line_answerer_line_and_parenthesised_points() -> None:
    notice = parse_notice(SEAT_AND_PARENS)
    assert notice.questioner == "山田太郎"
    assert notice.answerers == ("市長", "教育長")  # the per-item marks name them again: once each
    assert [item.number for item in notice.items] == ["1", "2", "3"]
    first, second, third = notice.items
    assert first == NoticeItem(
        "1", "子育て支援の充実について", ("保育所の待機児童対策について", "放課後児童クラブの拡充について")
    )
    assert first.question == "子育て支援の充実について（保育所の待機児童対策について、放課後児童クラブの拡充について）"
    assert second.title == "防災対策について"  # 「（答弁者：市長）」 is not part of the title
    assert second.points == ("避難所の運営について", "備蓄品の計画的な更新について")
    assert third == NoticeItem("3", "学校給食の無償化について", ())  # 「以上」 is no point
    assert third.question == "学校給食の無償化について"


def test_kanji_numerals_kana_points_and_a_wrapped_title() -> None:
    notice = parse_notice(KANJI_AND_KANA)
    assert notice.questioner == "佐藤花子"
    assert notice.answerers == ("市長", "環境部長", "教育長")
    assert len(notice.items) == 3
    assert [item.number for item in notice.items] == ["1", "2", "3"]
    assert notice.items[0].title == "地域公共交通の維持について"
    assert notice.items[0].points == ("コミュニティバスの路線見直しについて", "デマンド交通の導入について")
    assert notice.items[1].title == "ごみ減量の取組について"
    assert notice.items[1].points == ("プラスチック製品の分別回収について",)
    assert notice.items[2] == NoticeItem("3", "図書館の開館時間について", ())


def test_member_line_circled_points_and_a_yoshi_paragraph() -> None:
    notice = parse_notice(MEMBER_LINE_AND_YOSHI)
    assert notice.questioner == "田中次郎"
    assert notice.answerers == ("市長",)
    assert [item.title for item in notice.items] == ["高齢者福祉について", "DX推進について", "公共施設の再編について"]
    assert notice.items[0].points == ("地域包括ケアシステムの構築について", "認知症施策の推進について")
    assert notice.items[1].question == "DX推進について（書かない窓口の拡充について、生成AIの活用について）"
    assert notice.items[2].points == ("本市の公共施設は老朽化が進んでおり、今後の再編の方針を伺う。",)


def test_markdown_table() -> None:
    notice = parse_notice(MARKDOWN_TABLE)
    assert notice.questioner == "鈴木一郎"
    # the 答弁者 column holds answerers whatever their title (「危機管理監」)
    assert notice.answerers == ("市長", "経済部長", "危機管理監", "都市整備部長")
    assert notice.items == (
        NoticeItem("1", "防災対策について", ("避難所の運営", "備蓄品の更新")),
        NoticeItem("2", "観光振興について", ("観光客の誘致策", "インバウンド対策")),
        NoticeItem("3", "公園の維持管理について", ()),
    )


def test_table_pasted_as_pipes_and_tabs() -> None:
    notice = parse_notice(PASTED_TABLE)
    assert notice == Notice(
        questioner="",
        answerers=("市長", "教育長"),
        items=(
            NoticeItem("1", "防災対策について", ()),
            NoticeItem("2", "子育て支援について", ()),
            NoticeItem("3", "道路の維持管理について", ()),
        ),
    )


def test_dai_numbers_and_close_paren_items() -> None:
    dai = parse_notice(DAI_AND_CLOSE_PAREN)
    assert [(item.number, item.title) for item in dai.items] == [("1", "防災対策について"), ("2", "教育について"),
                                                                 ("3", "環境について")]
    assert dai.questioner == ""
    assert dai.answerers == ()
    close = parse_notice(CLOSE_PAREN_ITEMS)
    assert close.questioner == "〇〇〇〇"  # labelled at the bottom
    assert close.items == (NoticeItem("1", "防災について", ("避難所について",)), NoticeItem("2", "教育について", ()))


def test_blank_line_ends_a_continuation_and_remarks_are_no_items() -> None:
    text = "一般質問通告書\n\n1　空き家対策について\n\n本市の空き家は増えている。\n※質問時間は30分です。\n" \
           "2　道路の維持管理\n   の充実について\n"
    notice = parse_notice(text)
    assert notice.items == (
        NoticeItem("1", "空き家対策について", ()),  # the sentence after the blank line is no part of it
        NoticeItem("2", "道路の維持管理の充実について", ()),
    )


def test_numbers_are_ascii_and_text_is_kept_as_written() -> None:
    notice = parse_notice("１．2024年問題について\n２．ＩＣＴ教育の推進について\n　1) 3期目の公約について\n")
    assert notice.items == (
        NoticeItem("1", "2024年問題について", ()),  # 「１．2024年」: the year is no number of the notice
        NoticeItem("2", "ＩＣＴ教育の推進について", ("3期目の公約について",)),  # full-width Latin kept
    )


@pytest.mark.parametrize(
    ("line", "name"),
    [
        ("質問者　山田　太郎", "山田太郎"),
        ("議席番号　12番　山田　太郎", "山田太郎"),
        ("議席番号12番　氏名　山田　太郎　議員", "山田太郎"),
        ("通告者：山田太郎議員", "山田太郎"),
        ("山田太郎議員", "山田太郎"),
        ("12番　山田太郎君", "山田太郎"),
        ("氏名　山田　太郎　㊞", "山田太郎"),
        ("質問者：山田太郎（市民クラブ）", "山田太郎"),
        ("みずほ野市議会議員　山田　太郎", "山田太郎"),
    ],
)
def test_questioner_forms(line: str, name: str) -> None:
    notice = parse_notice(f"一般質問通告書\nみずほ野市議会議長　様\n{line}\n1　防災対策について\n")
    assert notice.questioner == name
    assert notice.items == (NoticeItem("1", "防災対策について", ()),)


@pytest.mark.parametrize(
    ("line", "answerers"),
    [
        ("1　防災対策について（答弁者：市長）", ("市長",)),
        ("1　防災対策について（答弁を求める者：市長、教育長）", ("市長", "教育長")),
        ("1　防災対策について【市長】", ("市長",)),
        ("1　防災対策について（市長・副市長）", ("市長", "副市長")),
        ("1　防災対策について　答弁者　市長及び総務部長", ("市長", "総務部長")),
        ("1　防災対策について　　市長", ("市長",)),
    ],
)
def test_item_answerer_marks_leave_the_title(line: str, answerers: tuple[str, ...]) -> None:
    notice = parse_notice(line)
    assert notice.items == (NoticeItem("1", "防災対策について", ()),)
    assert notice.answerers == answerers


def test_brackets_that_name_no_answerer_stay_in_the_title() -> None:
    notice = parse_notice("1　こども計画（素案）\n2　新庁舎建設（第2期）\n")
    assert [item.title for item in notice.items] == ["こども計画（素案）", "新庁舎建設（第2期）"]
    assert notice.answerers == ()


def test_question_forms() -> None:
    assert NoticeItem("1", "防災対策について", ("避難所", "備蓄")).question == "防災対策について（避難所、備蓄）"
    assert NoticeItem("1", "防災対策について").question == "防災対策について"
    assert NoticeItem("1", "", ("避難所", "備蓄")).question == "避難所、備蓄"


@pytest.mark.parametrize("text", ["", "   \n\u3000\n"])
def test_empty_text_is_an_error(text: str) -> None:
    with pytest.raises(ValueError, match="the notice is empty"):
        parse_notice(text)


def test_text_without_numbered_items_is_an_error() -> None:
    with pytest.raises(ValueError, match="no numbered question item"):
        parse_notice("令和6年第3回定例会　一般質問通告書\n山田太郎議員\n答弁者：市長\n防災対策について\n")


# ------------------------------------------------------------------------------------------------ files


def test_read_utf8_and_cp932_text(tmp_path: Path) -> None:
    utf8 = tmp_path / "notice.txt"
    utf8.write_text(SEAT_AND_PARENS, encoding="utf-8")
    cp932 = tmp_path / "notice_sjis.txt"
    cp932.write_bytes(KANJI_AND_KANA.encode("cp932"))
    markdown = tmp_path / "notice.md"
    markdown.write_text(MARKDOWN_TABLE, encoding="utf-8")
    assert read_notice(utf8) == SEAT_AND_PARENS
    assert read_notice(cp932) == KANJI_AND_KANA
    assert len(parse_notice(read_notice(cp932)).items) == 3
    assert len(parse_notice(read_notice(markdown)).items) == 3


def test_read_docx_paragraphs(tmp_path: Path) -> None:
    document = docx.Document()
    for line in SEAT_AND_PARENS.splitlines():
        document.add_paragraph(line)
    path = tmp_path / "notice.docx"
    document.save(str(path))
    assert parse_notice(read_notice(path)) == parse_notice(SEAT_AND_PARENS)


def test_read_docx_table(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("一般質問通告書")
    document.add_paragraph("議席番号　７番　高橋　美咲")
    table = document.add_table(rows=5, cols=4)
    for cell, text in zip(table.rows[0].cells, ["番号", "質問事項", "質問の要旨", "答弁を求める者"], strict=True):
        cell.text = text
    table.cell(1, 0).text = "１"
    table.cell(1, 1).text = "子育て支援の充実について"
    table.cell(1, 2).text = "(1) 保育所の待機児童対策について"
    table.cell(1, 2).add_paragraph("(2) 放課後児童クラブの拡充について")  # two points in one cell
    table.cell(1, 3).text = "市長"
    table.cell(2, 0).merge(table.cell(3, 0)).text = "２"  # an item over two rows: merged number and title
    title = table.cell(2, 1).merge(table.cell(3, 1))
    title.text = "防災対策の"
    title.add_paragraph("推進について")  # a title wrapped in its cell
    table.cell(2, 2).text = "(1) 避難所の運営について"
    table.cell(2, 3).text = "市長"
    table.cell(3, 2).text = "(2) 備蓄品の更新について"
    table.cell(3, 3).text = "危機管理監"
    table.cell(4, 0).text = "３"
    table.cell(4, 1).text = "学校給食について"
    table.cell(4, 3).text = "教育長"
    path = tmp_path / "table.docx"
    document.save(str(path))

    text = read_notice(path)
    assert (
        "１ | 子育て支援の充実について | (1) 保育所の待機児童対策について　(2) 放課後児童クラブの拡充について | 市長"
    ) in text.splitlines()
    notice = parse_notice(text)
    assert notice.questioner == "高橋美咲"
    assert notice.answerers == ("市長", "危機管理監", "教育長")
    assert notice.items == (
        NoticeItem("1", "子育て支援の充実について", ("保育所の待機児童対策について", "放課後児童クラブの拡充について")),
        NoticeItem("2", "防災対策の推進について", ("避難所の運営について", "備蓄品の更新について")),
        NoticeItem("3", "学校給食について", ()),
    )


def test_read_pdf(tmp_path: Path) -> None:
    page = "\n".join(
        ["一般質問通告書", "通告者：山田太郎議員", "１　防災対策について", "（１）避難所の運営について",
         "２　子育て支援について（市長）"]
    )
    path = make_pdf(tmp_path / "notice.pdf", [page])
    notice = parse_notice(read_notice(path))
    assert notice == Notice(
        questioner="山田太郎",
        answerers=("市長",),
        items=(
            NoticeItem("1", "防災対策について", ("避難所の運営について",)),
            NoticeItem("2", "子育て支援について", ()),
        ),
    )


def test_unsupported_suffix(tmp_path: Path) -> None:
    path = tmp_path / "notice.xls"
    path.write_bytes(b"whatever")
    with pytest.raises(ValueError, match=re.escape(f"{path}: unsupported notice file type '.xls'")):
        read_notice(path)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.txt"
    with pytest.raises(ValueError, match=re.escape(f"{path}: no such file")):
        read_notice(path)


def test_corrupt_docx(tmp_path: Path) -> None:
    not_zip = tmp_path / "broken.docx"
    not_zip.write_bytes(b"this is not a Word file")
    with pytest.raises(ValueError, match=re.escape(f"{not_zip}: not a Word .docx file")):
        read_notice(not_zip)
    document = docx.Document()
    document.add_paragraph("1　防災対策について")
    whole = tmp_path / "whole.docx"
    document.save(str(whole))
    cut = tmp_path / "cut.docx"
    cut.write_bytes(whole.read_bytes()[:2000])
    with pytest.raises(ValueError, match=re.escape(str(cut))):
        read_notice(cut)


def test_empty_and_undecodable_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text(" \n\u3000\n", encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(f"{empty}: empty notice")):
        read_notice(empty)
    blank = tmp_path / "blank.docx"
    docx.Document().save(str(blank))
    with pytest.raises(ValueError, match=re.escape(f"{blank}: empty notice")):
        read_notice(blank)
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\x00\x01\x02")
    with pytest.raises(ValueError, match=re.escape(f"{binary}: binary content")):
        read_notice(binary)
    not_pdf = tmp_path / "fake.pdf"
    not_pdf.write_bytes(b"plain text, not a PDF")
    with pytest.raises(ValueError, match=re.escape(f"{not_pdf}: corrupt PDF")):
        read_notice(not_pdf)
