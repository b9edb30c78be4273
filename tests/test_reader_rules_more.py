"""The reader rules after 42b0322, each on the input it was made for (real Sudachi, the corpus store's word weights,
no mocks): the years a document is of and the years it names relative to its date, figures read in kanji or
arabic, person names, the asks of a two-part question, the counter a count is asked in, honorifics and staff words,
a table of contents, relative months, and the evidence a sentence gains for saying what the question says."""

from __future__ import annotations

import pytest
from kotae_env import clear_kotae_env
from reader_helpers import extract_for, one_hit

from kotae.morphology import name_spans
from kotae.types import Chunk, Hit
from service.answer import Answerer
from service.compose.sentences import candidates
from service.reader.analysis import alternatives, analyse
from service.reader.facts import fact_spans, figures_in, number_value
from service.reader.periods import document_month, document_years, relative_years


@pytest.fixture(autouse=True)
def _no_kotae_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_kotae_env(monkeypatch)


@pytest.fixture(scope="module")
def answerer(corpus_answerer: Answerer) -> Answerer:
    return corpus_answerer






# --- the years of a document ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("source", "title", "date", "years"), [
    ("pdf/nankoku/446_2026_03__施政方針（446回）.pdf", "446_2026_03__施政方針（446回）", None, {2026}),
    ("speeches/otaru/PoliInfo4_MBLink_v20230613_Otaru_H28_Minutes.html", "28-01_市長冒頭発言コピペ", None, {2016}),
    ("speeches/otaru/x.html", "小樽市r2_市長1日目冒頭", None, {2020}),
    ("minutes/2020-02-19_会議録.txt", "令和二年東京都議会会議録第一号", "2020-02-19", {2020}),
    ("reiki/k518RG00000012.html", "かつらぎ町表彰規程", None, set()),  # nothing says: no year constraint applies
])
def test_the_years_a_document_is_of(source: str, title: str, date: str | None, years: set[int]) -> None:
    assert document_years(source, title, date) == years


def test_relative_years_resolve_against_when_the_document_was_written() -> None:
    june_2022 = document_month("pdf/nankoku/426_2022_06__市政報告.pdf", None)
    assert june_2022 == (2022, 6)
    assert relative_years("昨年度の移住者実績は３３組４７人", june_2022) == {2021}
    march_2026 = document_month("x.pdf", "2026-03-04")
    assert relative_years("新年度の予算", march_2026) == {2026}  # the fiscal year starting in April
    assert relative_years("今年度の決算見込み", march_2026) == {2025}
    assert relative_years("本年４月から", march_2026) == {2026}  # a calendar year word
    assert relative_years("昨年度の実績", None) == frozenset()  # the document's date unknown: nothing resolved


def test_a_sentence_naming_the_asked_year_relatively_answers_it(answerer: Answerer) -> None:
    report = "pdf/nankoku/426_2022_06__市政報告.pdf"
    hits = [one_hit("移住促進につきましては、昨年度の移住者実績は３３組４７人となりました。", source=report,
                 title="426_2022_06__市政報告", date=None),
            one_hit("移住促進につきましては、移住相談は１２０件でした。",
                    source="pdf/nankoku/444_2025_12__市政報告.pdf", ordinal=1, title="444_2025_12__市政報告",
                    date=None)]
    extraction = extract_for("令和3年度の移住実績は？", hits, answerer)
    assert extraction.reason == ""
    assert "３３組４７人" in extraction.answers[0].candidate.display


# --- figures and names ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "value"), [
    ("1,600", 1600), ("七", 7), ("二万一千", 21000), ("910万", 9_100_000), ("三千五百七十四億", 357_400_000_000),
    ("1億7,787万7千", 177_877_000), ("35,379千", 35_379_000),
])
def test_a_written_number_has_its_value(text: str, value: int) -> None:
    assert number_value(text) == value


def test_the_same_figure_in_kanji_or_arabic_is_the_same_figure() -> None:
    assert figures_in("二月一日より設置車両を七編成に拡大") & figures_in("7編成に増えたのは")
    assert figures_in("年収約九百十万円の世帯") == figures_in("年収910万円")
    assert not figures_in("三編成で運行") & figures_in("7編成")


def test_a_sentence_stating_the_question_s_figure_leads(answerer: Answerer) -> None:
    hits = [one_hit("子育て応援スペースは、昨年七月から三編成で運行を開始いたしました。"),
            one_hit("子育て応援スペースは、二月一日より設置車両を七編成に拡大いたしました。", ordinal=1)]
    extraction = extract_for("子育て応援スペース、7編成に増えたのはいつから？", hits, answerer)
    assert "七編成" in extraction.answers[0].candidate.display


@pytest.mark.parametrize(("text", "names"), [
    ("後任として、楠瀬公美氏を任命したく", ["楠瀬公美"]),
    ("南国市長 平山 耕三", ["平山 耕三"]),  # a blank between family and given name
    ("交通局長土渕裕氏は、昨日、逝去", ["土渕裕"]),
    ("教育委員会の委員の任命について", []),
])
def test_person_names_are_found(text: str, names: list[str]) -> None:
    assert [text[s:e] for s, e in name_spans(text)] == names


def test_a_person_question_finds_the_name(answerer: Answerer) -> None:
    hits = [one_hit("南国市教育委員会委員の大井田典子氏の任期が満了することに伴い、後任の教育委員会委員として、"
                 "楠瀬公美氏を任命したく、議会の同意を求めるものであります。")]
    extraction = extract_for("大井田さんの後任の教育委員は誰？", hits, answerer)
    assert extraction.reason == ""
    quote = extraction.answers[0].candidate.quote
    assert "楠瀬公美" in [quote[s:e] for s, e in extraction.answers[0].facts]


# --- question analysis ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("question", "asks"), [
    ("プラ製容器包装の再資源化支援事業、いつ始まって補助の上限はいくら？", [("date", "いつ始まって"),
                                                                ("amount", "上限はいくら")]),
    ("緊急小口資金の受付はいつから？これまでいくら送金した？", [("date", "いつから"), ("amount", "いくら送金")]),
    ("表彰規程はいつ制定で、規程第何号？", [("date", "いつ制定"), ("count", "第何号")]),
])
def test_a_question_with_two_asks_is_cut_into_them(question: str, asks: list[tuple[str, str]]) -> None:
    parts = analyse(question).parts
    assert [(p.answer_type, any(piece in p.text for piece in (words,))) for p, (_, words) in zip(parts, asks,
                                                                                                 strict=True)] \
        == [(t, True) for t, _ in asks]


@pytest.mark.parametrize("question", [
    "4月の臨時会に出したコロナ対策の補正予算、総額いくら？",  # the first piece names the topic, it asks nothing
    "生成AIに個人情報を入力してよいか",
])
def test_a_topic_piece_is_no_ask_of_its_own(question: str) -> None:
    assert analyse(question).parts == ()


def test_a_count_is_asked_in_its_counter() -> None:
    analysis = analyse("なんこく生活応援チケットの加盟店は何店舗？")
    assert analysis.answer_type == "count" and "店舗" not in analysis.focus
    text = "市内加盟店で使用できる一人当たり８千円分のチケットで、加盟店は１２０店となりました。"
    found = [text[s:e] for s, e in fact_spans(text, "count", analysis.fact_form)]
    assert found == ["１２０店"]  # 「一人」 is a count, but not in 店


def test_honorifics_and_staff_words() -> None:
    assert analyse("大井田さんの後任は誰？").focus[0] == "大井田"
    assert "夕食代" in alternatives("晩ごはん代")
    assert "実質無料" in alternatives("実質タダ")


def test_relative_months_are_dates() -> None:
    text = "今月中旬から開始し、九月下旬まで受け付けます。"
    assert [text[s:e] for s, e in fact_spans(text, "date")] == ["今月中旬から", "九月下旬まで"]


def test_relative_years_and_days_are_read_from_the_question() -> None:
    constraints = analyse("英語スピーキングテスト、来年度のプレテストは何人対象？").constraints
    assert "来年度" in constraints.relative and "今年度" not in constraints.relative
    assert analyse("3月27日の本会議で報告したのは誰？").constraints.days == ((3, 27),)
    assert "今年" not in analyse("今年度の予算は？").constraints.relative  # 今年 inside 今年度 is no calendar year


def test_the_asked_relative_year_leads(answerer: Answerer) -> None:
    hits = [one_hit("プレテストは、今年度は約八千人を対象に実施いたしました。"),
            one_hit("プレテストは、来年度は全生徒約八万人を対象に実施いたします。", ordinal=1)]
    extraction = extract_for("来年度のプレテストは何人対象？", hits, answerer)
    assert "約八万人" in extraction.answers[0].candidate.display


# --- sentences that are no statement --------------------------------------------------------------------------

def test_a_table_of_contents_line_is_not_quotable() -> None:
    text = ("１ 政務活動費の趣旨 ・・・・・・・・・・・・  1\n"
            "２ 政務活動費交付の根拠となる法律、条例等 ・・・・・・  2\n"
            "南国市議会政務活動費の交付に関する条例 ・・・・・・・・・・・・・・・・  18\n\n"
            "各月の初日に在職する議員に対して、月額１万円を交付する。")
    displays = [c.display for c in candidates([one_hit(text)])]
    assert not any("・・・・" in d for d in displays)
    assert any("月額１万円" in d for d in displays)


# --- lists, rules, charges, refusals (37f6dc4) ----------------------------------------------------------------

def test_a_section_heading_ends_a_list() -> None:
    text = ("次に掲げるサービスは、業務で利用してはならない。\n（１）海外の無料サービス\n（２）私物の端末のサービス\n"
            "## 第５　入力してはならない情報\n")
    (cand,) = [c for c in candidates([one_hit(text)]) if c.display.startswith("次に掲げる")]
    assert cand.display.endswith("（２）私物の端末のサービス")


def test_a_list_cut_by_a_chunk_edge_comes_with_its_sentence(answerer: Answerer) -> None:
    from service.compose.facts import compose_facts

    first = one_hit("## 第５　入力してはならない情報\n\n"
                 "１　職員は、庁内生成ＡＩであっても、次に掲げる情報を入力してはならない。",
                 source="guide.md", title="生成ＡＩ利用ガイドライン", doc_type="manual")
    items = ("（１）個人情報（氏名、住所その他の情報をいう。）\n（２）個人番号（マイナンバー）及び特定個人情報\n\n"
             "２　要約させる場合は置き換える。")
    second = Hit(Chunk(chunk_id="guide.md#1", source="guide.md", start=first.chunk.end + 2,
                       end=first.chunk.end + 2 + len(items), text=items, ordinal=1, doc_type="manual",
                       title="生成ＡＩ利用ガイドライン", date="2024-01-01"), 2, 0.9)
    question = "生成AIに個人情報を入力してよいか"
    answer = compose_facts([(analyse(question), extract_for(question, [first, second], answerer))])
    assert answer.grounded
    assert answer.sentences[0].text.startswith("１　職員は、庁内生成ＡＩであっても")
    assert answer.sentences[1].text == ("（１）個人情報（氏名、住所その他の情報をいう。）"
                                        "／（２）個人番号（マイナンバー）及び特定個人情報")
    assert answer.citations[1].chunk_id == "guide.md#1" and answer.citations[1].quote.startswith("（１）")


def test_a_charge_is_asked_by_fees_and_other_rules_are_not() -> None:
    assert analyse("かつらぎ町の駐車場は有料？").fact_type == "fee"
    assert analyse("生成AIに個人情報を入力してよいか").fact_type == "permission"
    text = "海外事業者が提供する無料の生成ＡＩサービスに入力してはならない。使用料は１時間３００円とする。"
    assert [text[s:e] for s, e in fact_spans(text, "permission")] == ["てはならない"]
    assert [text[s:e] for s, e in fact_spans(text, "fee")] == ["無料", "使用料", "３００円"]


def test_a_department_is_a_named_one() -> None:
    text = "総務課を経て町長に内申する。条例の一部を改正する。企画部ＤＸ推進課に引き継ぐ。"
    assert [text[s:e] for s, e in fact_spans(text, "person")] == ["総務課", "町長", "企画部ＤＸ推進課"]


def test_a_partial_refusal_names_only_what_the_passages_hold(answerer: Answerer) -> None:
    from service.compose.facts import compose_facts

    hits = [one_hit("政務活動費は、議員の調査研究に資するため交付する。"
                 "会派の懇談会の会費は、政務活動費から支出できない。")]
    question = "政務活動費で懇親会の会費はいくらまで？"
    answer = compose_facts([(analyse(question), extract_for(question, hits, answerer))])
    assert not answer.grounded and "懇親会" not in answer.text, answer.text
    assert "政務活動費" in answer.text


# --- compounds, compared years, headings' heads ---------------------------------------------------------------

def test_an_adjectival_noun_before_a_noun_is_part_of_the_compound() -> None:
    assert analyse("都の特殊詐欺、去年の被害額は？").focus == ("特殊詐欺", "被害")  # 去年 is a relative year
    assert analyse("新たな取組は？").focus == ()


def test_a_closing_day_is_asked_as_a_date() -> None:
    assert analyse("新図書館の休館日は何曜日？").answer_type == "date"
    text = "休館日は、毎週月曜日及び年末年始とする。"
    assert {"毎週", "月曜日", "年末年始"} <= {text[s:e] for s, e in fact_spans(text, "date")}


def test_the_year_a_figure_is_compared_with_is_not_its_year(answerer: Answerer) -> None:
    hits = [one_hit("本予算の総額は、25,550,000千円で、令和７年度当初予算と比べて、"
                 "290,000千円の減額予算となっております。", title="議案第７号：令和８年度南国市一般会計予算")]
    extraction = extract_for("令和8年度の一般会計予算の総額は？", hits, answerer)
    assert extraction.reason == "" and not extraction.answers[0].violates


def test_a_compound_s_own_head_ties_only_in_the_sentence(answerer: Answerer) -> None:
    # the chunk is titled after another bill: its 「…補正予算」 is no 一般会計予算 for the 水道事業's figure
    hits = [one_hit("令和８年度の水道事業に係る収益的収支につきましては、収入では840,983千円を予定しております。",
                 title="議案第１号：令和７年度南国市一般会計補正予算"),
            one_hit("本市の令和８年度一般会計予算につきましては、前年度比約２億９，０００万円減となっております。",
                 ordinal=1)]
    extraction = extract_for("令和8年度の一般会計予算っていくら？", hits, answerer)
    tied_facts = [e for e in extraction.evidence if e.facts and e.tied]
    assert not any("水道事業" in e.candidate.display for e in tied_facts)


# --- sentences a chunk edge or a bracket cut --------------------------------------------------------------------

def test_a_particle_after_a_closing_bracket_goes_on_with_the_sentence() -> None:
    from kotae.jtext import prose_sentence_spans

    line = "当該第１号被保険者の令和８年度分の保険料に係る保険料段階（次項において「非適用保険料段階」という。）"
    text = line + "\nよりも保険料率の高い保険料段階に決定されるときは、保険料を減免する。\n（２）次の項目\n"
    spans = [text[s:e] for s, e in prose_sentence_spans(text)]
    assert spans[0].startswith("当該第１号") and spans[0].endswith("保険料を減免する。"), spans
    assert spans[1] == "（２）次の項目"  # an item after a bracket's line is its own line


@pytest.mark.parametrize(("text", "mid"), [
    ("よりも保険料率の高い保険料段階に決定されるときは", True),
    ("は、次の各号のいずれかに該当する場合", True),
    ("）の規定による", True),
    ("また、本市では", False),
    ("この条例は、公布の日から施行する。", False),
    ("第３条　使用料は無料とする。", False),
])
def test_a_chunk_that_starts_mid_sentence(text: str, mid: bool) -> None:
    from service.compose.sentences import starts_mid_sentence

    assert starts_mid_sentence(text) is mid


# --- an ordinance's enactment line ------------------------------------------------------------------------------

def test_an_ordinance_s_enactment_line_is_quotable_and_answers_when_it_was_made(answerer: Answerer) -> None:
    text = ("○かつらぎ町駐車場等設置条例\n平成9年11月14日\n条例第25号\n(目的)\n"
            "第1条\u3000この条例は、車両を利用する者の利便に資するため、必要な事項を定めることを目的とする。")
    hit = one_hit(text, source="katsuragi/k.html", title="かつらぎ町駐車場等設置条例", doc_type="ordinance")
    displays = [c.display for c in candidates([hit])]
    assert displays[0] == "平成9年11月14日条例第25号"
    extraction = extract_for("駐車場等設置条例の制定日は？", [hit], answerer)
    assert extraction.reason == "" and extraction.answers[0].candidate.display == "平成9年11月14日条例第25号"


def test_a_death_is_what_the_ordinance_calls_it() -> None:
    assert "死亡" in analyse("亡くなった人も表彰できる？").expansions


# --- who: a report's signature, the chair's announcements -------------------------------------------------------

def test_a_role_line_and_the_name_under_it_are_one_statement(answerer: Answerer) -> None:
    text = "議案審査報告書\n令和二年度新型コロナウイルス感染症対策補正予算等審査特別委員長\n伊藤 ゆう\n"
    hit = one_hit(text, source="minutes/m.txt", title="臨時会会議録", doc_type="minutes")
    displays = [c.display for c in candidates([hit])]
    assert "令和二年度新型コロナウイルス感染症対策補正予算等審査特別委員長伊藤 ゆう" in displays
    extraction = extract_for("コロナ補正予算の審査特別委員長って誰？", [hit], answerer)
    best = extraction.answers[0]
    assert "伊藤 ゆう" in [best.candidate.quote[s:e] for s, e in best.facts]


def test_a_role_asked_about_is_a_person_question() -> None:
    assert analyse("4月22日の臨時会で逝去が報告された交通局長は？").answer_type == "person"


def test_the_chair_s_announcements_are_read_for_person_questions_only() -> None:
    text = "交通局長土渕裕氏は、昨日、逝去されました。"
    chair = Hit(Chunk(chunk_id="m#0", source="m.txt", start=0, end=len(text), text=text, ordinal=0,
                      doc_type="minutes", title="会議録", date="2020-04-22", speaker="石川良一",
                      speaker_role="chair", speaker_title="議長"), 1, 1.0)
    assert candidates([chair]) == []
    assert [c.display for c in candidates([chair], procedure=True)] == ["交通局長土渕裕氏は、昨日、逝去されました。"]


# --- two asks joined by と, fractions, enactment dates ---------------------------------------------------------

@pytest.mark.parametrize(("question", "types"), [
    ("駐車場等設置条例の制定日と条例番号は？", ["date", "count"]),
    ("工場に5Gを入れる中小企業への都の補助、補助率と上限額は？", ["count", "amount"]),
    ("9月末の被保護世帯数と保護率は？", ["count", "count"]),
])
def test_two_cue_nouns_joined_by_to_are_two_asks(question: str, types: list[str]) -> None:
    parts = analyse(question).parts
    assert [p.answer_type for p in parts] == types
    assert parts[1].focus[:1] == parts[0].focus[:1]  # the second ask keeps the topic


@pytest.mark.parametrize("question", ["国と都の役割は？", "AとBの違いは？"])
def test_two_nouns_joined_by_to_that_ask_no_fact_are_one_ask(question: str) -> None:
    assert analyse(question).parts == ()


def test_a_fraction_is_a_rate_and_minutes_are_not_one() -> None:
    text = "経費の五分の四を補助し、所要時間は１５分です。"
    form = analyse("補助率は？").fact_form
    assert [text[s:e] for s, e in fact_spans(text, "count", form)] == ["五分の四"]


def test_an_enactment_date_is_a_whole_date() -> None:
    form = analyse("駐車場等設置条例の制定日は？").fact_form
    text = "道路交通法(昭和35年法律第105号)に規定する車両。平成9年11月14日条例第25号"
    assert [text[s:e] for s, e in fact_spans(text, "date", form)] == ["平成9年11月14日"]
