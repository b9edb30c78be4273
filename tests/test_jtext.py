"""Japanese text helpers: kanji numerals, 和暦/西暦 dates, sentence spans, the Sudachi tokenizer, `normalize`."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from kotae.jdates import find_date, kanji_to_int, to_iso_date
from kotae.jtext import SudachiTokenizer, normalize, prose_sentence_spans, sentence_spans

# ---------------------------------------------------------------- kanji numerals


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("二十三", 23),
        ("百二十四", 124),
        ("二〇二〇", 2020),  # positional form, as in 二〇二〇年
        ("元", 1),  # 元年
        ("十", 10),
        ("三十一", 31),
        ("千二百", 1200),
        ("三千五百六十七", 3567),
        ("43", 43),
        ("１１", 11),  # full-width digits
    ],
)
def test_kanji_to_int(text: str, value: int) -> None:
    assert kanji_to_int(text) == value


@pytest.mark.parametrize("text", ["", "  ", "abc", "二十x", "年"])
def test_kanji_to_int_rejects_non_numerals(text: str) -> None:
    with pytest.raises(ValueError):
        kanji_to_int(text)


# ---------------------------------------------------------------- 和暦 and 西暦 dates


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("令和二年二月十九日", "2020-02-19"),
        ("令和元年五月一日", "2019-05-01"),  # first day of 令和, 元年
        ("令和元年5月1日", "2019-05-01"),
        ("平成三十一年四月三十日", "2019-04-30"),  # last day of 平成
        ("平成元年一月八日", "1989-01-08"),
        ("昭和43年9月10日", "1968-09-10"),
        ("令和６年１１月１日", "2024-11-01"),  # full-width digits
        ("令和 2 年 2 月 19 日", "2020-02-19"),
        ("本日（令和二年二月二十六日）の会議", "2020-02-26"),
    ],
)
def test_era_dates(text: str, iso: str) -> None:
    assert find_date(text) == iso
    assert to_iso_date(text) == iso


@pytest.mark.parametrize(
    "text",
    [
        "令和二年二月三十日",  # February has no 30th
        "令和三年二月二十九日",  # 2021 is not a leap year
        "平成31年2月29日",
        "令和二年十三月一日",
        "2020年2月30日",
    ],
)
def test_invalid_dates_give_none(text: str) -> None:
    assert find_date(text) is None
    # An invalid full date is not a month-only date: it must not fall back to the first of the month.
    assert to_iso_date(text) is None


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2020年2月19日", "2020-02-19"),
        ("２０２４年４月１日", "2024-04-01"),
        ("2024/4/1", "2024-04-01"),
        ("2024.10.21", "2024-10-21"),
        ("２０２４／４／１", "2024-04-01"),
        ("1968年9月10日施行", "1968-09-10"),
    ],
)
def test_western_dates(text: str, iso: str) -> None:
    assert find_date(text) == iso
    assert to_iso_date(text) == iso


@pytest.mark.parametrize(
    "prefix",
    ["お知らせ…", "㈱みずほ　", "令和２年…", "ｶﾞｲﾄﾞ　"],  # characters that NFKC turns into more or fewer characters
)
def test_western_date_found_after_characters_nfkc_changes(prefix: str) -> None:
    assert find_date(prefix + "2024年4月1日から") == "2024-04-01"
    assert find_date("2024年4月1日から" + prefix) == "2024-04-01"


def test_western_date_needs_digit_boundaries() -> None:
    assert find_date("12020年4月1日") is None
    assert find_date("2020/2/193") is None


def test_find_date_returns_the_first_by_position() -> None:
    assert find_date("令和二年三月一日及び2020年2月19日") == "2020-03-01"
    assert find_date("2020年2月19日及び令和二年三月一日") == "2020-02-19"
    # An invalid date earlier in the text is skipped, not reported.
    assert find_date("令和二年二月三十日、令和二年三月一日") == "2020-03-01"


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2020-02-19", "2020-02-19"),
        ("  2020-02-19\n", "2020-02-19"),
        ("２０２０－０２－１９", "2020-02-19"),
        ("令和二年二月", "2020-02-01"),  # month only: the first of the month
        ("令和元年５月", "2019-05-01"),
        ("平成三十一年四月", "2019-04-01"),
    ],
)
def test_to_iso_date(text: str, iso: str) -> None:
    assert to_iso_date(text) == iso


@pytest.mark.parametrize("text", ["", "なし", "2020-13-01", "令和２年", "R2.2.19", "令和二年十三月"])
def test_to_iso_date_unparseable(text: str) -> None:
    assert to_iso_date(text) is None


# ---------------------------------------------------------------- sentence spans

SAMPLE = (
    "  市長は「検討します。」そう述べた。次に進みます！本当ですか？\n"
    "第１条　見出しの行\n\n"
    "（目的）\r\n"
    "この条例は、市民の福祉の増進を図ることを目的とする。  最後の文"
)


def _assert_well_formed(text: str, spans: list[tuple[int, int]], start: int = 0, end: int | None = None) -> None:
    end = len(text) if end is None else end
    for s, e in spans:
        assert start <= s < e <= end
        assert not text[s].isspace() and not text[e - 1].isspace()
    for (_, e1), (s2, _) in itertools.pairwise(spans):
        assert e1 <= s2  # in order, no overlap


def test_sentence_spans_cover_all_non_blank_text() -> None:
    spans = sentence_spans(SAMPLE)
    _assert_well_formed(SAMPLE, spans)
    covered = {i for s, e in spans for i in range(s, e)}
    non_blank = {i for i, ch in enumerate(SAMPLE) if not ch.isspace()}
    assert non_blank <= covered
    # Only blanks inside a sentence are covered besides the non-blank characters.
    assert all(SAMPLE[i].isspace() for i in covered - non_blank)


def test_sentence_spans_end_after_terminator_and_closing_quote() -> None:
    texts = [SAMPLE[s:e] for s, e in sentence_spans(SAMPLE)]
    assert texts[0] == "市長は「検討します。」"  # the closing 」 stays with its 。
    assert texts[1] == "そう述べた。"
    assert texts[2] == "次に進みます！"
    assert texts[3] == "本当ですか？"
    # Every span that does not end at a line break ends at a terminator, possibly followed by closing brackets.
    for s, e in sentence_spans(SAMPLE):
        ends_line = re.match(r"[ \t\u3000\r]*(\n|$)", SAMPLE[e:])
        assert ends_line or re.search(r"[。！？][」』）)】〕”’]*$", SAMPLE[s:e])


def test_sentence_spans_break_at_line_breaks() -> None:
    texts = [SAMPLE[s:e] for s, e in sentence_spans(SAMPLE)]
    assert "第１条　見出しの行" in texts
    assert "（目的）" in texts  # CRLF: the \r is not part of the sentence
    assert texts[-1] == "最後の文"
    assert all("\n" not in t and "\r" not in t for t in texts)


def test_sentence_spans_offsets_are_absolute() -> None:
    start = SAMPLE.index("第１条")
    end = SAMPLE.index("最後の文")
    spans = sentence_spans(SAMPLE, start, end)
    _assert_well_formed(SAMPLE, spans, start, end)
    assert spans[0][0] == start
    # Same sentences as splitting the slice on its own, shifted by `start`.
    relative = sentence_spans(SAMPLE[start:end])
    assert spans == [(s + start, e + start) for s, e in relative]


def test_sentence_spans_of_blank_text() -> None:
    assert sentence_spans("") == []
    assert sentence_spans(" \n\u3000\r\n") == []


def _sentences(text: str, prose: bool = False) -> list[str]:
    return [text[s:e] for s, e in (prose_sentence_spans if prose else sentence_spans)(text)]


@pytest.mark.parametrize("prose", [False, True])
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the Otaru speech's slogan: 。 inside 「」 ends no sentence
        ("今後は、「ここが、ひと旗あげる場所。小樽市」をスローガンに掲げます。次の文。",
         ["今後は、「ここが、ひと旗あげる場所。小樽市」をスローガンに掲げます。", "次の文。"]),
        # ordinances: （…をいう。以下同じ。） and （…含む。） inside a sentence
        ("駐車場（法第２条に規定する施設をいう。以下同じ。）を設置する。以上。",
         ["駐車場（法第２条に規定する施設をいう。以下同じ。）を設置する。", "以上。"]),
        ("１億円（消費税含む。）で落札しました。", ["１億円（消費税含む。）で落札しました。"]),
        ("『第一章。始まり』と題した。", ["『第一章。始まり』と題した。"]),
        # a quote closed by 。」: a particle carries the sentence on, anything else ends it
        ("市長は「検討します。」と述べた。", ["市長は「検討します。」と述べた。"]),
        ("「開会します。」次に議事に入ります。", ["「開会します。」", "次に議事に入ります。"]),
        # a bracket that never closes on its line changes nothing
        ("（注。閉じない括弧\n次の行。", ["（注。", "閉じない括弧", "次の行。"]),
        ("「はい。ここで", ["「はい。", "ここで"]),
    ],
)
def test_full_stop_inside_brackets_ends_no_sentence(text: str, expected: list[str], prose: bool) -> None:
    assert _sentences(text, prose) == expected


def test_far_closing_bracket_does_not_hold_sentences_together() -> None:
    long_quote = "「" + "あ" * 60 + "。" + "い" * 130 + "」"
    assert len(_sentences(long_quote)) == 2


# A page of text wrapped at 34 characters: a line ends early when the figure that follows does not fit.
FIGURE_WRAPPED = (
    "マイナンバーカードの普及につきましては、交付体制の強化により、交付\n"
    "枚数は、令和３年度は５，２４４枚と推移しており、交付率は、全国で\n"
    "４３．３パーセント、高知県３５．３パーセントとなっております。\n"
    "次に、建設改良事業に伴う資本的収支につきましては、収入では\n"
    "196,000千円を、支出では663,848千円を予定しております。\n"
    "新庁舎の供用開始につきましては、工事の進捗から見込んだ結果、令和７年\n"
    "１２月を予定しております。\n"
)


def test_wrapped_line_before_a_figure_stays_one_sentence() -> None:
    texts = _sentences(FIGURE_WRAPPED, prose=True)
    assert len(texts) == 3, texts
    assert texts[0].endswith("全国で\n４３．３パーセント、高知県３５．３パーセントとなっております。")
    assert texts[1].endswith("収入では\n196,000千円を、支出では663,848千円を予定しております。")
    assert texts[2].endswith("令和７年\n１２月を予定しております。")


@pytest.mark.parametrize(
    "next_line",
    [
        "１．総務費の補正",  # a numbered item: 「１．」 without a digit after it
        "２ 前項の規定にかかわらず、市長は、別に定めることができる。",  # an ordinance's paragraph number
        "(3) 使用者が前条の規定に違反したとき。",
        "（１）入力しないこと。",
    ],
)
def test_numbered_line_after_a_wrapped_line_starts_an_item(next_line: str) -> None:
    text = "次に、建設改良事業に伴う資本的収支につきましては、収入では支出では\n" + next_line
    assert _sentences(text, prose=True)[-1] == next_line


def test_short_line_before_a_figure_is_a_heading() -> None:
    # A table row label is no text wrapped at the page width, figure or not.
    text = FIGURE_WRAPPED + "市内在住者\n２０，１００円 ２６，８００円\n"
    assert _sentences(text, prose=True)[-2:] == ["市内在住者", "２０，１００円 ２６，８００円"]


def test_otaru_slogan_is_one_sentence(shared_data: Path) -> None:
    from ingest.loaders import load_file

    text = load_file(shared_data / "speeches/otaru/PoliInfo4_MBLink_v20230613_Otaru_R4_Minutes.html").text
    at = text.index("ひと旗あげる場所。小樽市")
    (sentence,) = [text[s:e] for s, e in prose_sentence_spans(text) if s <= at < e]
    assert sentence.startswith("今後は、「ここが、ひと旗あげる場所。小樽市」をスローガンに掲げ")
    assert sentence.endswith("施策を推進してまいります。")


@pytest.mark.parametrize(
    ("name", "wrapped"),
    [
        ("426_2022_06__市政報告.pdf", "全国で\n４３．３パーセント、高知県３５．３パーセント"),
        ("425_2022_03__施政方針.pdf", "高知県は\n３４．１パーセント、南国市は３１．７パーセント"),
        ("446_2026_03__施政方針（446回）.pdf", "保有率は、\n７５．４パーセントであり"),
        ("425_2022_03__提案理由.pdf", "収入では\n196,000千円を、支出では663,848千円"),
    ],
)
def test_nankoku_sentences_wrapped_before_a_figure(shared_data: Path, name: str, wrapped: str) -> None:
    from ingest.loaders import load_file

    text = load_file(shared_data / "pdf/nankoku" / name).text
    at = text.index(wrapped)
    assert any(s <= at and at + len(wrapped) <= e for s, e in prose_sentence_spans(text)), wrapped


# ---------------------------------------------------------------- Sudachi tokenizer and normalize


@pytest.fixture(scope="module")
def tokenizer() -> SudachiTokenizer:
    return SudachiTokenizer()


def test_tokenizer_folds_width(tokenizer: SudachiTokenizer) -> None:
    assert tokenizer.tokenize("ＡＩの活用") == tokenizer.tokenize("AIの活用")
    assert tokenizer.tokenize("ＤＸ推進計画") == tokenizer.tokenize("DX推進計画")
    assert "ai" in tokenizer.tokenize("ＡＩ")  # lower-cased as well


def test_tokenizer_drops_particles_and_symbols(tokenizer: SudachiTokenizer) -> None:
    tokens = tokenizer.tokenize("市民が窓口で申請を行い、職員は「生成ＡＩ」の利用ルールを確認する。")
    for particle in ("が", "で", "を", "は", "の"):
        assert particle not in tokens
    for symbol in ("、", "。", "「", "」"):
        assert symbol not in tokens
    for content in ("市民", "窓口", "申請", "利用", "ルール", "確認"):
        assert content in tokens


def test_tokenizer_handles_long_text(tokenizer: SudachiTokenizer) -> None:
    sentence = "生成ＡＩの利用について検討します。"
    once = tokenizer.tokenize(sentence)
    # Far beyond Sudachi's input limit, with and without line breaks to cut at.
    with_lines = tokenizer.tokenize((sentence * 100 + "\n") * 30)
    assert with_lines == once * 3000
    without_lines = tokenizer.tokenize(sentence * 4000)
    assert len(without_lines) >= len(once) * 3900


def test_tokenizer_rejects_bad_mode() -> None:
    with pytest.raises(ValueError, match="A, B or C"):
        SudachiTokenizer(mode="Z").tokenize("テスト")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  ＡＩ　と\tＡｂｃ\n１２３  ", "ai と abc 123"),
        ("ｶﾀｶﾅ", "カタカナ"),
        ("DX推進計画", "dx推進計画"),
        ("", ""),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_a_bill_s_heading_line_is_no_part_of_the_sentence_after_it() -> None:
    text = ("議案第９号：南国市火災予防条例の一部を改正する条例\n"
            "令和７年２月２６日に発生した大船渡市林野火災を受けて、本条例の一部を改正するものであります。")
    first = next(text[s:e] for s, e in prose_sentence_spans(text))
    assert first == "議案第９号：南国市火災予防条例の一部を改正する条例"


def test_an_indented_line_after_a_comma_is_the_rest_of_the_sentence() -> None:
    """No sentence ends at 、: a minutes turn wrapped into indented lines stays one sentence there, while an
    indented line after a full stop still starts a new paragraph and a numbered line a new item."""
    text = ("お答えいたします。計画に基づき、\n　職員八名と職員六名を、\n"
            "　四月一日付けで推進室に異動させる予定でございます。\n"
            "　推進室が一体で進めてまいります。\n次の事項を定める、\n（１）職員の配置")
    assert [text[s:e] for s, e in prose_sentence_spans(text)] == [
        "お答えいたします。",
        "計画に基づき、\n　職員八名と職員六名を、\n　四月一日付けで推進室に異動させる予定でございます。",
        "推進室が一体で進めてまいります。",
        "次の事項を定める、",
        "（１）職員の配置",
    ]
