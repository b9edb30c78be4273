"""例規 by article (issue 15, item 3): ordinances and rules split by 条・項・号 and 附則, `article` on chunks, hits
and citations, a citation reading 「かつらぎ町駐車場等設置条例 第7条」, and a question naming 「第5条」 finding it —
on the real Katsuragi ordinances, the sample city's 基準 and hand-written texts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from kotae_env import clear_kotae_env

from cli.main import main
from ingest.chunking import chunk_document
from ingest.documents import build_document, content_hash, document_version
from ingest.meta import Overrides
from ingest.pipeline import run_ingest
from kotae.articles import article_of, articles_named, matches, paragraph_at
from kotae.locations import cited_as, law_of
from kotae.settings import load_settings
from kotae.types import Chunk, Document
from service.answer import Answerer
from service.app import create_app
from service.reader.search import Searcher

REPO = Path(__file__).resolve().parent.parent
PARKING = "reiki/katsuragi/k518RG00000080.html"  # かつらぎ町駐車場等設置条例
AWARDS = "reiki/katsuragi/k518RG00000012.html"  # かつらぎ町表彰規程
# An article line as the 例規集 writes it, counted independently of the code: 「第7条　…」 at a line's start.
ARTICLE_LINE = re.compile(r"^第([0-9]+)条[\u3000 ]", re.MULTILINE)


@pytest.fixture(autouse=True)
def _no_kotae_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_kotae_env(monkeypatch)


def _document(path: Path, overrides: Overrides | None = None) -> Document:
    overrides = overrides or Overrides()
    data = path.read_bytes()
    version = document_version(content_hash(data), overrides, {"target": 400, "max": 800})
    return build_document(path, path.name, content_hash(data), version, overrides)


def _chunks(path: Path, overrides: Overrides | None = None, target: int = 400) -> tuple[Document, list[Chunk]]:
    doc = _document(path, overrides)
    return doc, chunk_document(doc, target, 800)


# ---------------------------------------------------------------- labels


def test_labels_are_canonical_whatever_the_numerals() -> None:
    assert articles_named("駐車場等設置条例の第５条は") == ("第5条",)
    assert articles_named("第五条と第十二条の二") == ("第5条", "第12条の2")
    assert articles_named("第３条第２項の仮名化") == ("第3条第2項",)
    assert articles_named("附則はいつ施行") == ("附則",)
    assert articles_named("使用料はいくら") == ()


def test_a_passage_holds_its_paragraphs_and_not_other_articles() -> None:
    assert matches("第3条", "第3条第2項") and matches("第3条第2項", "第3条")
    assert not matches("第3条第1項", "第3条第2項")
    assert not matches("第13条", "第1条") and not matches("第3条の2", "第3条")
    assert article_of("第12条の2第1号") == "第12条の2"


def test_paragraph_at_counts_the_numbered_lines() -> None:
    text = ("（駐車対象）\n第4条　駐車場に駐車できるものは、車両とする。\n"
            "２　駐輪場に駐車できるものは、次のとおり。\n(1)　自転車")
    assert paragraph_at(text, text.index("車両")) == 1
    assert paragraph_at(text, text.index("２")) == 2
    assert paragraph_at(text, text.index("自転車")) == 2
    assert paragraph_at("(2)　自動二輪車", 0) is None  # a passage cut inside an article: its 項 cannot be told


# ---------------------------------------------------------------- structure, real ordinances


def test_each_article_of_a_real_ordinance_is_its_own_chunk(shared_data: Path) -> None:
    doc, chunks = _chunks(shared_data / PARKING)
    assert doc.doc_type == "ordinance"
    numbers = [int(n) for n in ARTICLE_LINE.findall(doc.text.split("\n附則", 1)[0])]
    labelled = [c for c in chunks if c.article and c.article != "附則"]
    assert [c.article for c in labelled] == [f"第{n}条" for n in numbers] and len(numbers) == 9
    for chunk in labelled:  # its caption 「(使用料)」 and its own line, nothing of the next article
        own = chunk.text.split("\n")
        assert ARTICLE_LINE.match(own[1] if own[0].startswith("(") else own[0]), chunk.text[:40]
        assert len(ARTICLE_LINE.findall(chunk.text)) == 1, chunk.text
        assert chunk.context == f"かつらぎ町駐車場等設置条例 {chunk.article}"
    fee = next(c for c in chunks if c.article == "第7条")
    assert fee.text == "(使用料)\n第7条　駐車場等の使用料は、無料とする。"
    supplement = [c for c in chunks if c.article == "附則"]
    assert len(supplement) == 1 and supplement[0].text.startswith("附則\n") and \
        supplement[0].text.count("附則(") == 8  # the amendments' 附則 are one unit with the first
    tail = chunks[-1]
    assert tail.article is None and tail.text.startswith("かつらぎ町駐車場等設置条例\n") and "沿革情報" in tail.text
    assert chunks[0].article is None and chunks[0].text.startswith("○かつらぎ町駐車場等設置条例")


def test_paragraphs_and_items_name_a_passage_inside_them(tmp_path: Path) -> None:
    text = ("○みずほ野市手数料条例\n令和6年3月1日\n条例第3号\n(目的)\n第1条　この条例は、手数料について定める。\n"
            "第2条　手数料の額は、次のとおりとする。\n(1)　住民票の写し　1通につき300円\n"
            "(2)　印鑑登録証明書　1通につき300円\n第3条　手数料は、申請の際に徴収する。\n"
            "2　前項の規定にかかわらず、市長が特に認めるときは、後納とすることができる。\n"
            "附則\nこの条例は、令和6年4月1日から施行する。\n")
    path = tmp_path / "手数料条例.txt"
    path.write_text(text, encoding="utf-8")
    doc, chunks = _chunks(path, target=40)
    assert doc.doc_type == "ordinance"
    by_label = {c.article: c.text for c in chunks}
    assert by_label["第3条第2項"] == "2　前項の規定にかかわらず、市長が特に認めるときは、後納とすることができる。"
    assert by_label["第3条第1項"] == "第3条　手数料は、申請の際に徴収する。"
    assert by_label["第2条第2号"] == "(2)　印鑑登録証明書　1通につき300円"
    assert by_label["附則"].startswith("附則\n")


def test_a_city_rule_typed_manual_is_read_by_article_too() -> None:
    path = REPO / "corpus" / "guidelines" / "個人情報の取扱い基準.txt"
    _, chunks = _chunks(path, Overrides(doc_type="manual"))
    labels = [c.article for c in chunks if c.article]
    assert labels[:5] == ["第1条", "第2条", "第3条", "第4条", "第5条"]
    third = next(c for c in chunks if c.article == "第3条")
    assert "第３条　職員は、外部サービスに個人情報" in third.text and "第４条" not in third.text


def test_minutes_and_plans_are_not_split_by_article(shared_data: Path) -> None:
    minutes = next((shared_data / "minutes" / "tokyo-2020").glob("*.txt"))
    _, chunks = _chunks(minutes)
    assert all(c.article is None for c in chunks)


# ---------------------------------------------------------------- search, answers, citations


@pytest.fixture(scope="module")
def reiki_store(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """The Katsuragi ordinances with the sample city (other documents with 第N条 in them) in one store."""
    store = tmp_path_factory.mktemp("reiki") / "store"
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        summary = run_ingest([shared_data / "reiki", REPO / "corpus"], load_settings(store))
    assert summary.failed == [], summary.failed
    return store


def test_a_question_naming_an_article_is_answered_from_it(reiki_store: Path) -> None:
    answerer = Answerer(Searcher(load_settings(reiki_store)))
    try:
        answer = answerer.ask("かつらぎ町表彰規程の第5条")
        assert answer.grounded and answer.citations
        assert {c.article for c in answer.citations} == {"第5条"}
        assert "隔年7月1日" in answer.text and "第1条" not in answer.text
        hits = answerer.searcher.search("駐車場等設置条例の第7条", k=3)
        assert hits[0].chunk.article == "第7条" and "無料" in hits[0].chunk.text
        two = answerer.ask("駐車場等設置条例第4条第2項")
        assert two.grounded and "駐輪場に駐車できるものは" in two.text and "駐車場に駐車できるものは" not in two.text
    finally:
        answerer.searcher.close()


def test_citations_name_the_article_in_the_api_and_on_the_command_line(
        reiki_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with TestClient(create_app(load_settings(reiki_store))) as client:
        answer = client.post("/api/ask", json={"question": "かつらぎ町の駐車場の使用料はいくらですか"}).json()
        hits = client.post("/api/search", json={"query": "かつらぎ町駐車場等設置条例 第7条", "k": 3}).json()["hits"]
        passage = client.get(f"/api/passages/{answer['citations'][0]['chunk_id']}").json()
    assert answer["grounded"] and "無料" in answer["answer"]
    cited = answer["citations"][0]
    assert cited["article"] == "第7条" and cited["title"] == "かつらぎ町駐車場等設置条例"
    assert cited["municipality"] == "かつらぎ町" and cited["url"] is None and cited["sheet"] is None
    assert hits[0]["article"] == "第7条" and passage["article"] == "第7条"
    assert main(["ask", "かつらぎ町の駐車場の使用料はいくらですか", "--store", str(reiki_store)]) == 0
    assert "かつらぎ町駐車場等設置条例 第7条、1997-11-14" in capsys.readouterr().out
    assert main(["ask", "かつらぎ町の駐車場の使用料はいくらですか", "--store", str(reiki_store), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["citations"][0]["article"] == "第7条"


def test_a_manual_holding_an_ordinance_and_its_rule_reads_each_by_its_own_articles(shared_data: Path) -> None:
    """The 政務活動費の手引き appends its 条例 and 規則, each with 附則, 別表 and 様式: the 規則's 第5条 is its own
    article (not part of the 条例's 附則), and forms carry no article."""
    _, chunks = _chunks(shared_data / "pdf" / "nankoku" / "seimukatudouhi__政務活動費の手引き（H28.4.1）.pdf")
    ordinance, rule = "南国市議会政務活動費の交付に関する条例", "南国市議会政務活動費の交付に関する規則"
    by_law: dict[str, list[str]] = {}
    for c in chunks:
        if c.article:
            law = law_of(c.context, c.article)
            assert law is not None, c.context
            by_law.setdefault(law, []).append(c.article)
    assert set(by_law) == {ordinance, rule}
    assert list(dict.fromkeys(by_law[ordinance])) == [f"第{n}条" for n in range(1, 10)] + ["附則"]
    assert list(dict.fromkeys(by_law[rule])) == [f"第{n}条" for n in range(1, 7)] + ["附則"]
    forms = [c for c in chunks if re.match(r"(様式|第.号様式|別表|別記)", c.text)]
    assert forms and all(c.article is None for c in forms)
    assert all(c.article is None for c in chunks if c.page is not None and c.page < 21)  # the 手引き itself


def test_a_citation_names_the_paragraph_or_item_it_quotes_and_the_law_of_its_article(reiki_store: Path,
                                                                                       shared_data: Path) -> None:
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        store = reiki_store.parent / "with-guide"
        summary = run_ingest([shared_data / "reiki", shared_data / "pdf" / "nankoku"], load_settings(store))
    assert summary.failed == []
    answerer = Answerer(Searcher(load_settings(store)))
    try:
        second = answerer.ask("駐車場等設置条例第4条第2項")
        rule = answerer.ask("政務活動費の規則第2条には何が書いてある？")
        rule_5 = answerer.ask("政務活動費の規則第5条")
        ordinance_5_2 = answerer.ask("政務活動費の条例第5条第2項")
    finally:
        answerer.searcher.close()
    assert second.citations[0].article == "第4条第2項"  # the chunk is the whole 第4条; the quote is its 2項
    first = rule.citations[0]
    assert (first.article, first.law) == ("第2条", "南国市議会政務活動費の交付に関する規則")
    assert cited_as(first).startswith("政務活動費の手引き（南国市議会政務活動費の交付に関する規則 第2条）、p.")
    # 規則第5条 and 条例第5条第2項 are told apart: the kind of 例規 named, and the 項 across a page break
    assert {(c.law, c.article) for c in rule_5.citations} == {("南国市議会政務活動費の交付に関する規則", "第5条")}
    assert "写しを市長に送付" in rule_5.text
    assert {(c.law, c.article) for c in ordinance_5_2.citations} == {
        ("南国市議会政務活動費の交付に関する条例", "第5条第2項")}
    assert "４月３０日" in ordinance_5_2.text
