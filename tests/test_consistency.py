"""Consistency of a draft's 今後の方針 with earlier executive statements (`service.drafting.consistency`), as pure
functions on literal citations, and the 再質問 to expect (`service.drafting.followups`) on the sample corpus and
on one real Tokyo sitting (skipped when ../shared/data is absent).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from kotae_env import clear_kotae_env

from ingest.loaders.text_file import decode_japanese
from ingest.pipeline import run_ingest
from kotae.index.catalog import Catalog
from kotae.index.store import StorePaths
from kotae.settings import load_settings
from kotae.types import Chunk, Citation, Sentence
from service.compose.sentences import citation
from service.drafting.consistency import Difference, PastStatement, consistency
from service.drafting.followups import followups
from service.drafting.stance import CLOSINGS

REPO_ROOT = Path(__file__).resolve().parent.parent
MINUTES = "minutes/令和6年第3回定例会会議録.txt"
TOKYO = "minutes/tokyo-2020/2020-02-27_令和二年東京都議会会議録第三号.txt"


def said(quote: str, chunk_id: str = "past-1", start: int = 100, date: str | None = "2024-09-10", n: int = 1,
         title: str = "市長") -> Citation:
    """A citation of an executive's statement `quote` at [start, start + len(quote)) of chunk `chunk_id`."""
    return Citation(n=n, chunk_id=chunk_id, source="会議録.txt", title="会議録", doc_type="minutes", date=date,
                    page=None, speaker="相沢恒一", speaker_title=title, speaker_role="executive", start=start,
                    end=start + len(quote), quote=quote)


def differences(past: str, *policy: str, date: str | None = "2024-09-10") -> tuple[Difference, ...]:
    """The differences between one past statement and a 方針 of plain texts."""
    (statement,) = consistency([said(past, date=date)], list(policy))
    return statement.differences


# --- figures -------------------------------------------------------------------------------------------------------

def test_a_figure_the_draft_states_otherwise_differs() -> None:
    found = differences("利用者を3,000人とする予定でございます。", "利用者を５，０００人に拡大してまいります。")
    assert Difference("figure", "3,000人", "5,000人") in found


def test_the_same_figure_in_another_notation_does_not_differ() -> None:
    found = differences("利用者を3,000人とする予定でございます。", "利用者を三千人に拡大してまいります。")
    assert not [d for d in found if d.kind == "figure"]
    money = ("経費として五百四十万円を計上しております。", "経費540万円を計上しております。",
             "経費5,400千円を計上しております。")
    for past in money:
        for draft in money:
            assert differences(past, draft) == (), (past, draft)


def test_a_draft_without_the_figure_does_not_differ() -> None:
    assert differences("正規職員約千八十人の全員が利用できるようにいたします。",
                       "全庁での本格導入を図ってまいります。") == ()


def test_figures_of_other_things_or_units_are_not_compared() -> None:
    assert differences("職員二百十人を対象として試行を行っております。", "参加者を三百人とする予定でございます。",
                       "五百件の申請を見込んでおります。") == ()
    assert differences("各課に一人ずつＤＸ推進リーダーを置いてまいります。",
                       "職員千八十人が利用できるようにいたします。") == ()


# --- target years --------------------------------------------------------------------------------------------------

def test_a_target_year_the_draft_names_otherwise_differs() -> None:
    found = differences("令和九年度までに三百手続に拡大してまいります。",
                        "２０２６年度までに三百手続に拡大してまいります。")
    assert found == (Difference("year", "令和九年度", "2026年度"),)


def test_the_same_year_in_another_calendar_does_not_differ() -> None:
    assert differences("令和九年度までに三百手続に拡大してまいります。",
                       "2027年度までに三百手続に拡大してまいります。") == ()
    assert differences("9年度までに三百手続に拡大してまいります。",
                       "令和9年度までに三百手続に拡大してまいります。") == ()


def test_a_draft_without_a_year_or_a_year_of_history_does_not_differ() -> None:
    assert differences("令和九年度までに三百手続に拡大してまいります。", "三百手続に拡大してまいります。") == ()
    # 令和五年 was before the statement (2024): history, not a target
    assert differences("令和五年三月に策定した計画に基づき、取組を進めてまいります。",
                       "令和八年度に計画を改訂してまいります。") == ()


def test_years_of_different_acts_are_not_compared() -> None:
    """A target year is compared with a year said of the same act only: 削減 by 令和九年度 is no deadline for
    利用 from 令和七年 or for a 方針 to be put together in 令和七年度."""
    past = ("令和九年度までに、生成ＡＩの活用により年間一万二千時間の業務時間を削減することを"
            "目標に掲げる考えであります。")
    assert differences(past, "令和七年一月六日から、正規職員の全員が生成ＡＩを利用できるようにいたします。",
                       "令和七年度中に市立小中学校共通の方針を取りまとめてまいります。") == ()
    found = differences(past, "令和八年度までに、業務時間を一万二千時間削減してまいります。")
    assert Difference("year", "令和九年度", "令和八年度") in found


# --- commitments ---------------------------------------------------------------------------------------------------

def test_a_commitment_the_draft_only_studies_differs() -> None:
    found = differences("来年一月から、全庁での本格導入を図ってまいります。", CLOSINGS["慎重"])
    assert found == (Difference("commitment", "本格導入を図ってまいります", "慎重に検討してまいります"),)
    found = differences("二校をモデル校として実施いたします。", "導入の効果を検証しております。", CLOSINGS["検討"])
    assert found == (Difference("commitment", "実施いたします", "検討してまいります"),)


def test_a_study_the_draft_commits_to_differs() -> None:
    found = differences("導入につきましては、他自治体の事例を研究してまいります。", CLOSINGS["推進"])
    assert found == (Difference("commitment", "研究してまいります", "積極的に推進してまいります"),)
    found = differences("現時点で導入する考えはございません。", "令和七年度に導入する予定でございます。",
                        CLOSINGS["検討"])
    assert [d.kind for d in found] == ["commitment"] and found[0].past == "考えはございません"


def test_only_a_phrase_that_ends_the_sentence_commits() -> None:
    """「困難」 inside a clause, 「研究校」 in a name: no commitment; so nothing to differ from."""
    assert differences("一人で留守番をすることが困難な年齢の児童の居場所として重要な役割を果たしております。",
                       "学童クラブの利用時間の延長を開始いたします。") == ()
    assert differences("ＢＹＯＤ研究校では、生徒の端末を授業で活用しております。", "全校に端末を配備いたします。") == ()


def test_a_study_the_draft_also_says_itself_does_not_differ() -> None:
    """The draft studies as the past statement did (in a sentence of its own, not only the set closing)."""
    past = "国の動向を注視してまいります。"
    assert differences(past, "国の動向を引き続き注視してまいります。", "適切に対応してまいります。",
                       CLOSINGS["推進"]) == ()
    assert [d.kind for d in differences(past, "適切に対応してまいります。", CLOSINGS["検討"])] == ["commitment"]
    # the statement itself quoted by the draft (its text, from another sitting) studies as it did
    assert differences(past, "引き続き、" + past, "適切に対応してまいります。", CLOSINGS["推進"]) == ()


def test_figures_are_compared_only_when_both_name_what_they_count() -> None:
    past = "これまでの検査件数は七万一千件でございます。"
    assert differences(past, "一日一万件の検査体制を目指してまいります。") == ()
    found = differences(past, "検査件数を八万件としてまいります。")
    assert Difference("figure", "七万一千件", "八万件") in found


def test_the_same_commitment_or_none_does_not_differ() -> None:
    assert differences("全庁での本格導入を図ってまいります。", CLOSINGS["推進"]) == ()
    assert differences("検討を進めてまいります。", CLOSINGS["検討"]) == ()  # 検討を進める studies
    # the draft commits in a sentence even though its closing studies: it does not only study
    assert differences("全庁での本格導入を図ってまいります。", "研修の受講を義務づけてまいります。",
                       CLOSINGS["検討"]) == ()
    assert differences("延べ利用回数は八千四百六十回でございました。", CLOSINGS["慎重"]) == ()


# --- the same passage, order ---------------------------------------------------------------------------------------

def test_a_draft_sentence_quoting_the_statement_itself_is_no_difference() -> None:
    quote = "令和七年度に対象を拡大し、対象手続を三十手続とする予定でございます。"
    past = said(quote, chunk_id="c7", start=400)
    # without it, the cautious closing only studies what the statement commits to
    (alone,) = consistency([past], [CLOSINGS["慎重"]])
    assert [d.kind for d in alone.differences] == ["commitment"]
    # the same chunk and an overlapping span (the draft quotes the sentence trimmed of 「令和七年度に」)
    cited = [said(quote[6:], chunk_id="c7", start=406, n=2)]
    sentence = Sentence("対象を拡大し、対象手続を三十手続とする予定でございます。", (2,))
    (quoted,) = consistency([past], [sentence, CLOSINGS["慎重"]], cited)
    assert quoted.differences == ()
    # the same text, as the extractive draft shows it (a date note after it)
    (same_text,) = consistency([past], [quote + "（令和6年9月10日時点）", CLOSINGS["慎重"]])
    assert same_text.differences == ()
    # another passage with another figure still differs
    other = Sentence("対象手続を四十手続とする予定でございます。", (3,))
    (both,) = consistency([past], [sentence, other, CLOSINGS["推進"]], [*cited, said("x" * 20, "c9", n=3)])
    assert both.differences == (Difference("figure", "三十手続", "四十手続"),)


def test_past_statements_keep_their_order_with_date_and_speaker() -> None:
    past = [said("対象を三百手続に拡大してまいります。", "a", date="2024-09-10", n=1),
            said("電子申請の件数は約一万二千六百件でございました。", "b", date="2023-06-01", n=2, title="企画部長"),
            said("研究してまいります。", "c", date="2020-03-01", n=3)]
    out = consistency(past, ["対象を二百手続に拡大してまいります。", CLOSINGS["推進"]])
    assert all(isinstance(p, PastStatement) for p in out)
    assert [p.citation for p in out] == past
    assert [p.citation.date for p in out] == ["2024-09-10", "2023-06-01", "2020-03-01"]
    assert [[d.kind for d in p.differences] for p in out] == [["figure"], [], ["commitment"]]


# --- 再質問 on the sample corpus ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample_catalog(corpus_store: Path) -> Iterator[Catalog]:
    """The catalogue of `corpus/` (read only)."""
    catalog = Catalog(StorePaths(corpus_store).catalog)
    yield catalog
    catalog.close()


def first_sentence(chunk: Chunk, containing: str) -> Citation:
    """A citation of the sentence of `chunk` holding `containing`, as a draft's past answer."""
    at = chunk.text.index(containing)
    start = chunk.text.rfind("。", 0, at) + 1
    end = chunk.text.index("。", at) + 1
    return citation(1, chunk, chunk.start + start, chunk.start + end)


def turn_chunk(catalog: Catalog, source: str, title: str, containing: str) -> Chunk:
    """The chunk of `source` spoken by `title` whose text holds `containing`."""
    return next(c for c in catalog.chunks_of(source) if (c.speaker_title or "").strip() == title
                and containing in c.text)


def assert_valid_span(c: Citation, catalog: Catalog, text: str) -> None:
    """The quote is the stored chunk's text at its offsets, and the document's text there."""
    chunk = catalog.chunks([c.chunk_id])[c.chunk_id]
    assert chunk.source == c.source and chunk.start <= c.start < c.end <= chunk.end
    assert chunk.text[c.start - chunk.start:c.end - chunk.start] == c.quote
    assert text[c.start:c.end] == c.quote
    assert (c.speaker, c.speaker_role, c.speaker_title, c.date) == (chunk.speaker, chunk.speaker_role,
                                                                   chunk.speaker_title, chunk.date)


def test_the_member_who_asked_follows_up_the_answers(sample_catalog: Catalog) -> None:
    mayor = turn_chunk(sample_catalog, MINUTES, "市長", "全庁での本格導入を図ってまいります")
    head = turn_chunk(sample_catalog, MINUTES, "企画部長", "十五課の職員二百十人")
    past = [first_sentence(mayor, "全庁での本格導入を図ってまいります"), first_sentence(head, "十五課の職員二百十人")]
    found = followups(past, sample_catalog)
    assert len(found) == 1  # both answers are followed by the one 再質問
    (asked,) = found
    assert asked.n == 1 and asked.speaker == "桑原美穂" and asked.speaker_role == "member"
    assert asked.quote == "利用が進まない職場への支援について、どのように考えているのか伺います。"
    assert_valid_span(asked, sample_catalog, decode_japanese((REPO_ROOT / "corpus" / MINUTES).read_bytes()))


def test_a_new_question_or_a_request_is_no_follow_up(sample_catalog: Catalog) -> None:
    # the answer to the 再質問 is followed by the next member's own question
    again = turn_chunk(sample_catalog, MINUTES, "企画部長", "ＤＸ推進リーダーを置き")
    # the 教育長's answer is followed by the member's 要望, which asks nothing
    school = turn_chunk(sample_catalog, MINUTES, "教育長", "モデル校")
    assert followups([first_sentence(again, "ＤＸ推進リーダー"), first_sentence(school, "モデル校")],
                     sample_catalog) == ()
    guideline = sample_catalog.chunks_of("guidelines/生成AI利用ガイドライン.md")[0]
    assert followups([citation(1, guideline, guideline.start, guideline.start + 10)], sample_catalog) == ()


def test_follow_ups_are_unique_and_limited(sample_catalog: Catalog) -> None:
    past = [first_sentence(turn_chunk(sample_catalog, MINUTES, "市民部長", "書かない窓口を開始"), "書かない窓口を開始"),
            first_sentence(turn_chunk(sample_catalog, MINUTES, "市長", "本格導入を図って"), "本格導入を図って"),
            first_sentence(turn_chunk(sample_catalog, MINUTES, "企画部長", "百三十八手続"), "百三十八手続")]
    found = followups(past, sample_catalog)
    assert [c.speaker for c in found] == ["早瀬亮介", "桑原美穂"] and [c.n for c in found] == [1, 2]
    assert found[0].quote == "繁忙期の待ち時間対策について、具体的な取組を伺います。"
    assert followups(past, sample_catalog, limit=1) == found[:1]


# --- 再質問 in a real Tokyo sitting ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tokyo(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Catalog, str, str]]:
    """One real sitting of the Tokyo assembly (2020-02-27, with 和泉なおみ's 再質問) in a store of its own: its
    catalogue, source and text."""
    store = tmp_path_factory.mktemp("tokyo") / "store"
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        summary = run_ingest([shared_data / TOKYO], load_settings(store))
    assert summary.failed == [] and summary.documents == 1
    catalog = Catalog(StorePaths(store).catalog)
    (source,) = catalog.documents()
    yield catalog, source, decode_japanese((shared_data / TOKYO).read_bytes())
    catalog.close()


def test_real_minutes_re_question_follows_the_answers_it_names(tokyo: tuple[Catalog, str, str]) -> None:
    catalog, source, text = tokyo
    chunks = catalog.chunks_of(source)
    again = next(c for c in chunks if c.speaker == "和泉なおみ" and c.text.startswith("再質問します"))
    before = [c for c in chunks if c.ordinal < again.ordinal and c.speaker_role == "executive"]
    hospital = [c for c in before if (c.speaker_title or "").strip() == "病院経営本部長"][-1]
    governor = [c for c in before if (c.speaker_title or "").strip() == "知事"][-1]
    education = [c for c in before if (c.speaker_title or "").strip() == "教育長"][-1]

    def cite(chunk: Chunk) -> Citation:
        return citation(1, chunk, chunk.start, chunk.start + chunk.text.index("。") + 1)

    (asked,) = followups([cite(hospital)], catalog)
    assert asked.speaker == "和泉なおみ" and asked.speaker_role == "member"
    assert asked.quote.startswith("大阪府立病院機構のこの説明は間違いだというのですか。")
    assert_valid_span(asked, catalog, text)
    # the same re-question, from where it turns to the 知事
    (to_governor,) = followups([cite(governor)], catalog)
    assert to_governor.speaker == "和泉なおみ"
    assert to_governor.quote.startswith("知事、") and to_governor.quote.endswith("か。知事、お答えください。")
    assert_valid_span(to_governor, catalog, text)
    # it names other answerers, not the 教育長
    assert followups([cite(education)], catalog) == ()
