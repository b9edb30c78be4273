"""The reader rules of 42b0322, each on the input it was made for (no mocks: real Sudachi, the corpus store's word
weights): figures read through wrapped lines and blanks, the fact's form narrowed by 何件/何時まで, 都 as Tokyo,
a store's own municipalities (小樽, 町の), the amount/count cues 料/費/率, 何人 and 市長 in the focus, who-said
questions, the asked head term and the document title tying a fact, a word no document has, the speaker line."""

from __future__ import annotations

import pytest
from kotae_env import clear_kotae_env
from reader_helpers import extract_for, one_hit

from kotae.types import Hit
from service.answer import Answerer
from service.compose.facts import compose_facts
from service.reader.analysis import analyse, municipalities_in
from service.reader.facts import fact_spans
from service.reader.places import with_known_places


@pytest.fixture(autouse=True)
def _no_kotae_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_kotae_env(monkeypatch)


@pytest.fixture(scope="module")
def answerer(corpus_answerer: Answerer) -> Answerer:
    return corpus_answerer






# --- 1. figures through line breaks and blanks ---------------------------------------------------------------

@pytest.mark.parametrize(("text", "figure"), [
    ("使用料は１，６００\n円です。", "１，６００"),  # a PDF line wrapped inside the figure
    ("総額は566億3,952万5,000 円となっております。", "566億3,952万5,000"),  # a speech's spaced figure
])
def test_an_amount_is_found_through_a_line_break_or_a_blank(text: str, figure: str) -> None:
    found = [text[s:e] for s, e in fact_spans(text, "amount")]  # offsets into the original text
    assert any(figure in f and f.endswith("円") for f in found), found


# --- 2. the form a fact must have -----------------------------------------------------------------------------

def test_how_many_cases_keeps_counts_of_cases_only() -> None:
    question = analyse("相談は何件ありましたか？")
    assert question.answer_type == "count" and question.fact_form
    text = "相談は30分ごとに受け付け、42件ありました。"
    found = [text[s:e] for s, e in fact_spans(text, question.answer_type, question.fact_form)]
    assert "42件" in found and not any("30分" in f for f in found), found
    assert any("30分" in text[s:e] for s, e in fact_spans(text, "count"))  # unnarrowed, 30分 is a count


def test_until_what_time_keeps_times_of_day_only() -> None:
    question = analyse("窓口は何時まで開いていますか？")
    assert question.answer_type == "date" and question.fact_form
    text = "2024年4月1日から、窓口は23時まで開いています。"
    found = [text[s:e] for s, e in fact_spans(text, question.answer_type, question.fact_form)]
    assert any("23時" in f for f in found) and not any("2024年4月1日" in f for f in found), found


# --- 3. 都 is Tokyo, inside a name it is not -----------------------------------------------------------------

def test_to_alone_is_tokyo_and_to_inside_a_word_is_not() -> None:
    assert "東京都" in municipalities_in("都の当初予算")
    assert analyse("都の当初予算").constraints.places == ("東京都",)
    kyoto = analyse("京都市の予算").constraints.places
    assert "京都市" in kyoto and "東京都" not in kyoto
    assert analyse("都市計画の予算").constraints.places == ()
    assert municipalities_in("都市計画の予算") == ()


# --- 4. the store's own municipalities -------------------------------------------------------------------------

def test_a_known_municipality_without_its_level_is_a_place_not_a_topic() -> None:
    analysis = analyse("小樽の宿泊税はいくら？")
    assert "小樽" in analysis.focus  # Sudachi reads 小樽 as a word of the question
    known = with_known_places(analysis, frozenset({"小樽市", "南国市"}))
    assert known.constraints.places == ("小樽市",)
    assert "小樽" not in known.focus and "宿泊税" in known.focus


def test_a_level_named_alone_is_the_stores_one_municipality_of_that_level() -> None:
    analysis = analyse("町の駐車場は有料？")
    one_town = with_known_places(analysis, frozenset({"かつらぎ町", "南国市", "小樽市"}))
    assert one_town.constraints.places == ("かつらぎ町",)
    two_towns = with_known_places(analysis, frozenset({"かつらぎ町", "美浜町", "小樽市"}))
    assert two_towns.constraints.places == ()


# --- 5. question analysis ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("question", "expected"), [
    ("海洋堂の入館料は？", "amount"),
    ("整備費は？", "amount"),
    ("保有率は？", "count"),
])
def test_fee_cost_and_rate_words_ask_amounts_and_counts(question: str, expected: str) -> None:
    assert analyse(question).answer_type == expected


def test_how_many_people_is_not_a_topic() -> None:
    focus = analyse("何人派遣した？").focus
    assert not any("何人" in t or "人派遣" in t for t in focus), focus


def test_the_mayor_of_a_named_city_keeps_mayor_in_the_focus() -> None:
    analysis = analyse("小樽市長は誰")
    assert "市長" in analysis.focus, analysis.focus
    assert analysis.constraints.places == ("小樽市",)


@pytest.mark.parametrize(("question", "asks"), [
    ("支払い猶予について答弁したのは誰？", True),
    ("令和4年の小樽市長は誰？", True),
    ("担当課はどこ？", False),
])
def test_asks_speaker(question: str, asks: bool) -> None:
    analysis = analyse(question)
    assert analysis.answer_type == "person"
    assert analysis.asks_speaker is asks


def test_head_is_the_last_term_of_the_asked_noun_phrase() -> None:
    assert analyse("市制施行100周年の記念式典はいつ？").head == "記念式典"


# --- 6. the document title ties a fact ------------------------------------------------------------------------

_ENFORCED = "この規程は、昭和43年10月10日から施行する。"
_ABOUT = "表彰規程は、町政の発展に功労のあった者を表彰するために定めたものです。"  # the topic, without a date


def _enforced_under(title: str) -> list[Hit]:
    """A passage on 表彰規程 with no date, and 「この規程は…施行する。」 from a document titled `title`."""
    return [one_hit(_ABOUT, source="katsuragi/gaiyo.txt", title="表彰制度の概要", rank=1),
            one_hit(_ENFORCED, source="katsuragi/rule.txt", title=title, doc_type="ordinance", rank=2, score=0.8)]


def test_the_title_names_what_this_rule_is(answerer: Answerer) -> None:
    extraction = extract_for("表彰規程の施行日は？", _enforced_under("かつらぎ町表彰規程"), answerer)
    assert extraction.reason == "", extraction
    lead = next(e for e in extraction.answers if e.facts and e.tied)
    assert lead.candidate.chunk.title == "かつらぎ町表彰規程"
    assert any("昭和43年10月10日" in lead.candidate.quote[s:e] for s, e in lead.facts), lead


def test_an_unrelated_title_does_not_tie_the_date_to_the_topic(answerer: Answerer) -> None:
    extraction = extract_for("表彰規程の施行日は？", _enforced_under("かつらぎ町駐車場条例"), answerer)
    assert extraction.topic_found
    assert extraction.reason == "no_fact_of_type", extraction


def test_the_title_alone_names_the_topic(answerer: Answerer) -> None:
    hits = [one_hit(_ENFORCED, source="katsuragi/rule.txt", title="かつらぎ町表彰規程", doc_type="ordinance")]
    assert extract_for("表彰規程の施行日は？", hits, answerer).reason == ""


# --- 7. a word no document has -------------------------------------------------------------------------------------

@pytest.mark.parametrize("question", [
    "ドッグランの整備費用はいくら？",
    "公園のドッグランの整備費用はいくら？",  # 公園 and 整備 held: two thirds of the focus, the topic before
])
def test_a_focus_word_no_document_has_is_no_topic(question: str, answerer: Answerer) -> None:
    assert "ドッグラン" in answerer.searcher.query(question).terms.unknown  # the corpus has no such word
    hits = [one_hit("公園の整備費用は二千万円です。公園の整備を進めます。")]
    extraction = extract_for(question, hits, answerer)
    assert extraction.reason == "no_topic", extraction
    assert not extraction.topic_found


# --- 8. who said it ----------------------------------------------------------------------------------------------

def test_a_who_said_question_is_answered_with_the_turns_speaker(answerer: Answerer) -> None:
    question = "水道料金の支払い猶予について答弁したのは誰？"
    turn = one_hit("水道料金の支払い猶予につきましては、申請により最長四か月間の猶予を行っております。",
                source="minutes/r2.txt", title="令和二年第一回定例会会議録", doc_type="minutes",
                speaker="中嶋正宏", speaker_title="水道局長", speaker_role="executive")
    answer = compose_facts([(analyse(question), extract_for(question, [turn], answerer))])
    assert answer.grounded, answer
    assert answer.text.startswith("水道局長（中嶋正宏）の発言です。"), answer.text
    said, stated = answer.sentences[0], answer.sentences[1]
    assert said.text == "水道局長（中嶋正宏）の発言です。"
    assert stated.text.startswith("水道料金の支払い猶予につきましては")
    assert said.citations == stated.citations and len(said.citations) == 1
    cited = answer.citations[said.citations[0] - 1]
    assert cited.chunk_id == turn.chunk.chunk_id and cited.speaker == "中嶋正宏"
