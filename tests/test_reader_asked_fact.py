"""The reader rules that tie a fact to what was asked (real Sudachi, the corpus store's word weights, no mocks):
a word in another spelling, a compound with a word put inside it, a figure right after its term, a sentence that
opens its own topic, a quoted phrase, a relative year against the year a sentence states, two things asked the
same of each, the counters and interrogatives staff type, and a list's wrapped lines."""

from __future__ import annotations

import pytest
from kotae_env import clear_kotae_env
from reader_helpers import extract_for, one_hit

from service.answer import Answerer
from service.compose.facts import compose_facts
from service.compose.sentences import display_text, is_formulaic
from service.reader.analysis import analyse, compact, municipalities_in, years_in
from service.reader.extract import extract
from service.reader.facts import fact_spans
from service.reader.rerank import by_focus


@pytest.fixture(autouse=True)
def _no_kotae_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_kotae_env(monkeypatch)


@pytest.fixture(scope="module")
def answerer(corpus_answerer: Answerer) -> Answerer:
    return corpus_answerer


def _facts(text: str, answer_type: str) -> list[str]:
    return [text[s:e] for s, e in fact_spans(text, answer_type)]


# --- the focus in the documents' own writing ----------------------------------------------------------------------

def test_a_word_in_another_spelling_is_the_same_word(answerer: Answerer) -> None:
    # 受付 typed, 受け付け written: Sudachi's normalized form is the same
    hits = [one_hit("窓口での受け付けは、三月二十五日から開始しました。")]
    extraction = extract_for("受付はいつから？", hits, answerer)
    assert extraction.answers and extraction.answers[0].tied


def test_a_compound_with_a_suffix_put_inside_it_is_held_whole(answerer: Answerer) -> None:
    hits = [one_hit("都は、避難所に対し、緊急に提供するため、段ボール製簡易ベッド二千台を備蓄いたします。")]
    assert extract_for("段ボールベッドは何台備蓄する？", hits, answerer).reason == ""
    # but a word of its own inside it makes another thing: 一般会計補正予算 is no 一般会計予算
    other = [one_hit("令和８年度の水道事業の収入は840,983千円です。", title="令和７年度南国市一般会計補正予算")]
    assert not any(e.tied and e.facts for e in extract_for("一般会計予算っていくら？", other, answerer).evidence)


def test_kanji_written_two_ways_are_one() -> None:
    assert compact("地方税減収補塡特別交付金") == compact("地方税減収補填特別交付金")


# --- the fact that belongs to the asked term ----------------------------------------------------------------------

def test_a_figure_right_after_the_asked_term_leads(answerer: Answerer) -> None:
    hits = [one_hit("大会経費V4では、都は、経費精査により生み出した百億円を緊急対応費として計上しました。"
                    "これまでも経費の縮減に取り組んできており、大会経費V4は一兆三千五百億円となっております。")]
    extraction = extract_for("大会の経費、V4でいくら？", hits, answerer)
    assert "一兆三千五百億円" in extraction.answers[0].candidate.display


def test_a_figure_of_another_noun_after_a_comma_is_not_attached(answerer: Answerer) -> None:
    # 「緊急小口資金は、貸付上限額が二十万円」: the 二十万円 is the 上限額's, not what was sent
    hits = [one_hit("緊急小口資金は、貸付上限額が二十万円に引き上げられました。"
                    "緊急小口資金につきましては、百七億円を送金いたしました。")]
    extraction = extract_for("緊急小口資金、これまでいくら送金した？", hits, answerer)
    assert "百七億円" in extraction.answers[0].candidate.display


def test_a_sentence_that_opens_its_own_topic_does_not_inherit_the_one_before(answerer: Answerer) -> None:
    hits = [one_hit("新年度からバス乗車のふれあい回数券について、年間購入限度を12冊として見直しすることとしました。"
                    "健康づくり施策の推進といたしましては、新たに課税世帯の自己負担額を無料といたします。")]
    extraction = extract_for("ふれあい回数券って1冊いくら？", hits, answerer)
    assert extraction.reason == "no_fact_of_type"


def test_a_budget_is_a_sum_of_money_not_the_free_service_it_pays_for(answerer: Answerer) -> None:
    hits = [one_hit("本年９月から第３子以降の保育料を完全無料化いたします。")]
    assert extract_for("第3子以降の保育料無料化、いくら予算をつけた？", hits, answerer).reason == "no_fact_of_type"
    assert extract_for("第3子以降の保育料はいくら？", hits, answerer).reason == ""


def test_the_title_asked_about_is_no_answer_to_who(answerer: Answerer) -> None:
    hits = [one_hit("第３条 市長は、前条の申請書を受理した場合は、交付すべき額を決定する。"),
            one_hit("本市の市長は平山耕三氏であります。", ordinal=1)]
    extraction = extract_for("市長は誰？", hits, answerer)
    assert "平山" in extraction.answers[0].candidate.display


# --- years ----------------------------------------------------------------------------------------------------

def test_a_relative_year_is_not_answered_by_a_sentence_of_another_year(answerer: Answerer) -> None:
    hits = [one_hit("平成三十年度末現在、一千五百二十七カ所を歩車分離式信号機としております。",
                    source="minutes/2020-02-28_会議録.txt", date="2020-02-28", doc_type="minutes")]
    assert extract_for("歩車分離式信号機、来年度は何カ所増やす？", hits, answerer).reason == "constraint_unmet"
    assert extract_for("歩車分離式信号機は何カ所？", hits, answerer).reason == ""


def test_a_month_with_a_relative_year_is_a_date() -> None:
    assert _facts("本市も昨年５月に「ゼロカーボンシティ小樽市」を表明し", "date") == ["昨年５月"]
    assert _facts("本年一月九日から、書かない窓口を開始いたしました。", "date") == ["本年一月九日から"]


def test_a_deadline_question_wants_an_end(answerer: Answerer) -> None:
    hits = [one_hit("令和６年１月９日から、転入届など12手続を対象に書かない窓口を開始しました。"),
            one_hit("転入届は、住み始めた日から14日以内に届け出てください。", ordinal=1),
            one_hit("収支報告書は、翌年度の４月３０日までに議長に提出しなければならない。", ordinal=2)]
    assert "14日以内" in extract_for("転入届はいつまでに出せばいい？", hits, answerer).answers[0].candidate.display
    assert "４月３０日までに" in _facts(hits[2].chunk.text, "date")


def test_the_month_asked_about_is_a_figure_a_sentence_may_state() -> None:
    assert (9.0, "月") in analyse("生活保護、9月末の被保護世帯数は？").constraints.figures


# --- the asks -------------------------------------------------------------------------------------------------

def test_two_things_asked_the_same_of_each_are_two_asks() -> None:
    analysis = analyse("令和3年度の国保、一般会計繰入金と基金繰入金はそれぞれいくら？")
    assert [p.answer_type for p in analysis.parts] == ["amount", "amount"]
    first, second = (p.focus for p in analysis.parts)
    assert "一般会計繰入金" in first and "基金繰入金" not in first
    assert "基金繰入金" in second and "一般会計繰入金" not in second and "国保" in second
    assert analysis.constraints.years


def test_a_quoted_phrase_is_one_term_and_asks_nothing() -> None:
    analysis = analyse("「ここが、ひと旗あげる場所。」って小樽市の何のスローガン？")
    assert analysis.answer_type != "place" and not analysis.parts
    assert analysis.focus[0] == "ここが、ひと旗あげる場所"


@pytest.mark.parametrize(("question", "answer_type", "form"), [
    ("即応対処部隊のエアボート、都は何艇入れるの？", "count", "艇"),
    ("横田基地周辺の井戸で出たPFOS、濃度はどのくらいだった？", "count", ""),
    ("期末手当、令和4年の改正でどれだけ下がる？", "count", ""),
    ("赴任の引越しで運送業者を使うとき、転居費はどう決まる？", "method", ""),
    ("表彰の推薦はどういうルートで上げる？", "method", ""),
    ("令和8年度の一般会計予算の総額は？", "amount", "円"),
])
def test_what_staff_type_asks_for(question: str, answer_type: str, form: str) -> None:
    analysis = analyse(question)
    assert analysis.answer_type == answer_type
    assert analysis.fact_form == form


def test_a_letter_with_its_number_is_a_term() -> None:
    assert "V4" in analyse("大会の経費、V4でいくら？").focus


@pytest.mark.parametrize(("text", "answer_type", "fact"), [
    ("ポータルサイトを現在の１サイトから３サイトへ拡充します。", "count", "３サイト"),
    ("年間で０．１５月分引き下げます。", "count", "０．１５月分"),
    ("保護率は１９．３パーミルとなっております。", "count", "１９．３パーミル"),
    ("表彰された者は、町広報に登載する。", "place", "町広報"),
    ("この条例の施行に関し必要な事項は、別に規則で定める。", "place", "別に規則で定め"),
    ("当該条例の内容、効力等に変更を生じない限度において、表現を統一する。", "permission", "限度において"),
])
def test_counters_and_places_staff_ask_about(text: str, answer_type: str, fact: str) -> None:
    assert fact in _facts(text, answer_type)


# --- lists ----------------------------------------------------------------------------------------------------

def test_a_list_s_wrapped_lines_are_joined_inside_their_item() -> None:
    quote = ("額は、次に定める方法により算定される額とする。\n"
             "(1) 運送業者が家財の運送を行う場合 複数の運送業者に見積りをさせ、かつ、\n"
             "その中から最も経済的なものを選択するときに限り、当該運送に要する額を転\n"
             "居費の額とする方法\n"
             "(2) 旅行者が家財の運送を行う場合 当該運送に要する額\n")
    shown = display_text(quote, quote.index("(1)"))
    assert "転居費" in shown and "／(2)" in shown and "／その" not in shown
    table = "名称 位置\n船岡山駐車場 大字西渋田372番地\n笠田駅前駐輪場 大字笠田東19番地\n"
    assert display_text(table, 0) == "名称 位置／船岡山駐車場 大字西渋田372番地／笠田駅前駐輪場 大字笠田東19番地"


def test_a_generic_last_word_of_the_head_ties_nothing(answerer: Answerer) -> None:
    # 「新たな支援事業を開始」 is no start of the モデル事業 the question asks about; its document is about that
    hits = [one_hit("都営住宅の東京みんなでサロンについて、早期にモデル事業を開始してまいります。", ordinal=0),
            one_hit("来年度からは、派遣社員として就職できるよう、新たな支援事業を開始いたします。", ordinal=1)]
    assert extract_for("東京みんなでサロンのモデル事業、いつから始まる？", hits, answerer).reason == "no_fact_of_type"


def test_a_sentence_stating_another_figure_of_the_asked_unit_is_the_state_before(answerer: Answerer) -> None:
    hits = [one_hit("子育て応援スペースについては、昨年七月から大江戸線三編成で運行を開始いたしました。"
                    "そこで、二月一日より、設置車両を七編成に拡大いたしました。")]
    extraction = extract_for("大江戸線の子育て応援スペース、7編成に増えたのはいつから？", hits, answerer)
    assert "二月一日" in extraction.answers[0].candidate.display


def test_everyday_words_are_found_in_the_documents_formal_ones(answerer: Answerer) -> None:
    hits = [one_hit("第4条　条例中に用いている語句の表現については、国の法令の表現と整合するように改める。")]
    assert extract_for("条例の語句の言い回しは何に合わせて直すの？", hits, answerer).reason == ""


# --- what a staff review of 25 answers found ------------------------------------------------------------------

def test_a_name_with_a_title_is_who_the_turn_is_spoken_by(answerer: Answerer) -> None:
    assert analyse("迫市長っていつ就任したの？").focus[:2] == ("迫", "市長")
    hits = [one_hit("私が平成30年８月に市長に就任させていただいてから４年目を迎えています。", doc_type="speech",
                    speaker="迫俊哉", speaker_title="市長", speaker_role="executive")]
    extraction = extract_for("迫市長っていつ就任したの？", hits, answerer)
    assert extraction.reason == "" and extraction.topic_found


@pytest.mark.parametrize(("text", "answer_type", "fact"), [
    ("来期、塩谷４丁目に市民のための新たな雪堆積場を開設します。", "place", "塩谷４丁目"),
    ("市内加盟店で本年８月末まで使用できるチケットです。", "date", "本年８月末まで"),
])
def test_an_address_is_a_place_and_a_month_end_a_date(text: str, answer_type: str, fact: str) -> None:
    assert fact in _facts(text, answer_type)


@pytest.mark.parametrize(("question", "fact_type", "asks_speaker"), [
    ("駅前の駐輪場って料金かかる？", "fee", False),
    ("4月22日の臨時会で共産党を代表して討論したのは誰？", "person", True),
])
def test_a_charge_and_a_debate_s_speaker_are_asked_so(question: str, fact_type: str, asks_speaker: bool) -> None:
    analysis = analyse(question)
    assert analysis.fact_type == fact_type and analysis.asks_speaker == asks_speaker


def test_a_sentence_opening_with_ijou_no_is_content_not_a_closing() -> None:
    assert not is_formulaic("以上の結果、平成29年度の財政規模は、一般会計では552億7,143万3,000円となりました。")
    assert is_formulaic("以上で答弁を終わります。")


def test_the_date_of_the_asked_act_leads(answerer: Answerer) -> None:
    hits = [one_hit("令和７年２月２６日に発生した林野火災を受けて、火災予防条例の一部を改正するものであります。"),
            one_hit("この条例は、令和８年１月１日から施行する。", ordinal=1, title="火災予防条例の一部を改正する条例")]
    extraction = extract_for("林野火災を受けた火災予防条例の改正、いつから施行？", hits, answerer)
    assert "令和８年１月１日" in extraction.answers[0].candidate.display


def test_a_term_typed_alone_asks_what_it_is() -> None:
    assert analyse("政務活動費").answer_type == "definition"
    assert analyse("政務活動費は月いくら？").answer_type == "amount"


def test_a_law_number_s_year_is_no_year_the_text_is_about() -> None:
    assert years_in("一般職の職員の給与に関する法律（昭和２５年法律第９５号）の改正に基づき") == ()
    assert years_in("南国市火災予防条例（昭和３７年南国市条例第９号）の一部を改正する") == ()
    assert [y.year for y in years_in("平成9年11月14日条例第25号")] == [1997]  # an enactment line's date is


def test_a_how_to_question_is_answered_by_the_procedure(answerer: Answerer) -> None:
    hits = [one_hit("庁内生成ＡＩは、次の要件を満たすことを確認したサービスである。"
                    "入力した情報が学習に利用されないこと。", doc_type="manual"),
            one_hit("２　庁内生成ＡＩを利用しようとする職員は、所属長の承認を得た上で、"
                    "ＤＸ推進課に利用申請を行わなければならない。", ordinal=1, doc_type="manual")]
    extraction = extract_for("庁内の生成AIを使いたいときはどうすればいい？", hits, answerer)
    assert "所属長の承認" in extraction.answers[0].candidate.display


def test_the_unit_a_figure_is_asked_per_is_neither_topic_nor_figure() -> None:
    analysis = analyse("政務活動費って議員1人あたり月いくら出るの？")
    assert analysis.focus == ("政務活動費", "議員") and not analysis.constraints.figures
    assert (11.0, "人") in analyse("11人の委員は誰？").constraints.figures


def test_those_deemed_worthy_is_no_permission() -> None:
    assert _facts("(13)　前各号に定めるもののほか、特に表彰に値すると認められる者", "permission") == []
    assert _facts("死亡したときは、追彰することができる。", "permission") == ["できる"]


def test_a_common_head_alone_ties_no_fact(answerer: Answerer) -> None:
    # 窓口 is in most of the corpus's passages: 「…休日窓口を開設…午前9時から」 is no opening day of the 書かない窓口
    hits = [one_hit("本市では、転入届など12手続を対象に書かない窓口を実施しています。", source="s.html"),
            one_hit("休日窓口は、毎月第2土曜日の午前9時から正午まで開設します。", source="s.html", ordinal=1)]
    assert extract_for("書かない窓口の受付の窓口はいつから始まった？", hits, answerer).reason == "no_fact_of_type"


def test_the_next_item_of_a_list_of_measures_inherits_nothing(answerer: Answerer) -> None:
    hits = [one_hit("観光戦略を構築するため、地域ＤＭＯの設立に向けて専門人材を配置します。"
                    "また、宿泊税の議論を進め、令和３年度の導入を目指してまいります。")]
    assert extract_for("地域DMOはいつ設立？", hits, answerer).reason == "no_fact_of_type"


def test_the_last_amendment_is_the_latest_date(answerer: Answerer) -> None:
    analysis = analyse("駐車場条例、最後に改正されたのはいつ・何号？")
    assert [p.answer_type for p in analysis.parts] == ["date", "count"]
    assert analysis.constraints.order == "latest"
    assert analyse("初めて開催したのはいつ？").constraints.order == "earliest"
    title = "かつらぎ町駐車場等設置条例"
    hits = [one_hit("附則(平成10年3月30日条例第5号)\nこの条例は、公布の日から施行する。", title=title),
            one_hit("附則(平成28年6月23日条例第18号)\nこの条例は、公布の日から施行する。", title=title, ordinal=1)]
    extraction = extract_for("駐車場条例が最後に施行されたのはいつ？", hits, answerer)
    assert "平成28年6月23日" in extraction.answers[0].candidate.display


def test_the_heading_right_above_is_the_subject_of_its_sentences(answerer: Answerer) -> None:
    hits = [one_hit("議案第９号：南国市火災予防条例の一部を改正する条例\n"
                    "令和７年２月２６日に発生した大船渡市林野火災を受けて、注意報の規定を追加するものであります。\n"
                    "議案第１０号：南国市火入れに関する条例の一部を改正する条例\n"
                    "火入れの中止の要件に注意報の規定を追加することから、改正するものであります。")]
    extraction = extract_for("火災予防条例に林野火災の注意報を入れたきっかけは？", hits, answerer)
    assert "大船渡市林野火災" in extraction.answers[0].candidate.display
    # the heading holds all it is about: the sentence under it counts as holding it, not 0.8 of it
    under = next(e for e in extract_for("火災予防条例の改正のきっかけは？", hits, answerer).evidence
                 if "大船渡市" in e.candidate.display)
    assert under.focus == pytest.approx(1.0)


@pytest.mark.parametrize(("text", "answer_type", "fact"), [
    ("いよいよ来月26 日に北海道に初めて上陸する北海道新幹線の開業", "date", "来月26 日"),
    ("都立学校など百二十八の施設について活用の希望がございました。", "count", "百二十八の施設"),
    ("南国市ライオンズクラブ５０周年記念事業として、寄贈いただきました。", "person", "南国市ライオンズクラブ"),
])
def test_a_relative_day_a_count_of_things_and_an_organisation(text: str, answer_type: str, fact: str) -> None:
    assert fact in _facts(text, answer_type)


def test_which_organisation_did_it_is_a_who_question() -> None:
    assert analyse("災害用ドローン、どこが寄贈してくれた？").answer_type == "person"
    assert analyse("新しい雪堆積場ってどこにつくる？").answer_type == "place"


def test_the_passages_holding_the_rare_focus_term_are_read_first(answerer: Answerer) -> None:
    common = [one_hit(f"政務活動費は、政務活動に要する経費に充てる。第{i}条", ordinal=i, score=2.0 - i / 10)
              for i in range(5)]
    rare = one_hit("宿泊に伴う夕食代は、１晩につき１，２００円を充当できる。", ordinal=9, score=1.5)
    analysis = analyse("政務活動で泊まったときの夕食代って政務活動費から出していい？")
    weights = {"政務": 1.2, "活動": 1.0, "費": 0.8, "夕食": 6.5}  # IDF as in a store of the manual: 夕食 is rare
    ranked = by_focus([*common, rare], analysis, weights, answerer.searcher.tokenizer, 3)
    assert ranked[0].chunk.chunk_id == rare.chunk.chunk_id and [h.rank for h in ranked] == [1, 2, 3]


def test_an_ask_a_sentence_quoted_for_the_ask_before_states_is_not_refused(answerer: Answerer) -> None:
    question = "都の融資、売上がどれだけ落ちたら対象？上限額は？"
    hits = [one_hit("都は、最近三カ月の売り上げ等が五％以上減少している全ての中小事業者を対象に利子補給を行う融資の"
                    "上限額を都独自に一億円とすると明言しました。")]
    terms = answerer.query(question).terms
    asks = [(part, extract(part, hits, terms, answerer.searcher.tokenizer, {}.get))
            for part in analyse(question).parts]
    answer = compose_facts(asks)
    assert "一億円" in answer.text and "見当たりません" not in answer.text


def test_a_place_name_ending_in_fu_is_no_prefecture() -> None:
    assert municipalities_in("北部分団国府班の消防ポンプ車、どこが落札した？") == ()
    assert municipalities_in("大阪府と東京都と北海道") == ("大阪府", "東京都", "北海道")


# --- asks read closer: いつ inside a word, obligation, organisations, counted things, terms with kana -------------

@pytest.mark.parametrize(("question", "answer_type", "form"), [
    ("臨時の医療施設は何床くらいつくる？", "count", "床"),  # くらいつくる holds no いつ
    ("この川の堤防、いくつの橋をかけかえる？", "count", "橋"),
    ("研修を受けたら報告書を出さないといけない？", "method", ""),  # an obligation: what to do, not may-I
    ("会議室は飲食してもいい？", "permission", ""),
    ("来年度から巡回バスを運行する事業者ってどこ？", "person", ""),
    ("協力金の申請の締切はいつ？", "date", "まで|以内|末|期限|限り|前|迄|以前"),
    ("営業時間短縮協力金の申請はいつから？", "date", ""),  # 営業時間 inside a name asks no time of day
    ("窓口の受付時間は？", "date", "時"),
])
def test_what_kind_of_answer_staff_typing_asks_for(question: str, answer_type: str, form: str) -> None:
    analysis = analyse(question)
    assert (analysis.answer_type, analysis.fact_form) == (answer_type, form)


def test_an_adverb_noun_and_a_point_in_time_are_no_focus() -> None:
    assert analyse("長年消防団で頑張った人は表彰される？").focus[0] == "消防団"
    assert "時点" not in analyse("2月1日時点の交付率はどれくらい？").focus


def test_a_name_with_kana_typed_alone_asks_what_it_is() -> None:
    assert analyse("とうきょうエール住宅").answer_type == "definition"
    assert analyse("エール住宅について").answer_type != "definition"


@pytest.mark.parametrize(("text", "answer_type", "form", "fact"), [
    ("市内の六河川で浸水想定区域図を作成する。", "count", "川", "六河川"),
    ("アプリは本年夏に運用を開始いたします。", "date", "", "本年夏に"),
    ("商店街まつりを秋ごろを目途に開催いたします。", "date", "", "秋ごろ"),
    ("この住宅は、セーフティーネット住宅の愛称でございます。", "definition", "", "愛称"),
    ("救命入門コースは小学校高学年以上を対象としております。", "permission", "", "を対象と"),
])
def test_seasons_things_counted_by_name_nicknames_and_who_may(text: str, answer_type: str, form: str,
                                                            fact: str) -> None:
    assert fact in [text[s:e] for s, e in fact_spans(text, answer_type, form)]


def test_a_season_inside_a_word_is_no_date() -> None:
    assert _facts("冬季避難所の訓練を秋田市と行う。", "date") == []


def test_a_fact_of_the_other_item_a_sentence_goes_on_to_answers_nothing(answerer: Answerer) -> None:
    # 「Aを始めるほか、Bを無料で実施」: 無料 is B's, not A's
    hits = [one_hit("乳幼児の予防接種を新たに始めるほか、無料クーポン券による抗体検査を実施いたします。")]
    extraction = extract_for("乳幼児の予防接種の自己負担はいくら？", hits, answerer)
    assert extraction.reason == "no_fact_of_type"
    assert extract_for("抗体検査の自己負担はいくら？", hits, answerer).reason == ""


def test_two_asks_one_sentence_answers_are_quoted_once(answerer: Answerer) -> None:
    question = "第二波に備えた外来とセンターはそれぞれ何カ所つくる？"
    hits = [one_hit("第二波に備えまして、外来を百カ所、センターを三十八カ所設置することとしております。")]
    terms = answerer.query(question).terms
    asks = [(part, extract(part, hits, terms, answerer.searcher.tokenizer, {}.get))
            for part in analyse(question).parts]
    answer = compose_facts(asks)
    assert len(asks) == 2 and len(answer.sentences) == 1 and "百カ所" in answer.text
