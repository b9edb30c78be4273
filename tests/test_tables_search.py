"""Excel and CSV end to end (issue 15, item 4): a workbook of three sheets and a Shift_JIS CSV file indexed into a
real store; every value is findable, a row is never split, a long table repeats its header, hits and citations
name the sheet and the cells of the cited row, and 「住民票の写しのコンビニ交付の手数料は」 is answered from its row."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from kotae_env import clear_kotae_env
from openpyxl import Workbook

from ingest.pipeline import run_ingest
from kotae.index.catalog import Catalog
from kotae.index.store import StorePaths
from kotae.settings import load_settings
from kotae.types import Chunk
from service.answer import Answerer
from service.app import create_app
from service.reader.search import Searcher

FEES = [  # sheet 手数料: a title in A1, the header in row 2, then these from row 3
    ("住民票の写し（窓口交付）", "300円", "1通につき"),
    ("住民票の写し（コンビニ交付）", "200円", "マイナンバーカードが必要"),
    ("印鑑登録証明書（窓口交付）", "300円", "1通につき"),
    ("印鑑登録証明書（コンビニ交付）", "200円", "マイナンバーカードが必要"),
    ("戸籍謄本（全部事項証明）", "450円", "本籍地が本市の方"),
]
COUNTERS = [("市民課", "本庁舎1階", "8時30分から17時15分"), ("税務課", "本庁舎2階", "8時30分から17時15分"),
            ("北出張所", "北コミュニティセンター内", "9時から17時")]
HALLS = [("施設名", "休館日", "使用料（1時間）"), ("市民会館大ホール", "毎週月曜日", "5000円"),
         ("市民会館会議室", "毎週月曜日", "800円"), ("北コミュニティセンター体育室", "毎週火曜日", "600円")]
ROADS = 80  # sheet 市道: long enough for several chunks


def _workbook(path: Path) -> None:
    book = Workbook()
    fees = book.active
    assert fees is not None
    fees.title = "手数料"
    fees.append(["みずほ野市 証明書等手数料一覧"])
    fees.append(["区分", "手数料", "備考"])
    for row in FEES:
        fees.append(list(row))
    counters = book.create_sheet("窓口")
    counters.append(["窓口", "場所", "受付時間"])
    for row in COUNTERS:
        counters.append(list(row))
    roads = book.create_sheet("市道")
    roads.append(["路線番号", "路線名", "延長（m）"])
    for n in range(1, ROADS + 1):
        roads.append([f"市道{n:03d}号", f"みずほ野{n}丁目線", 100 + n * 7])
    book.save(path)


@pytest.fixture(scope="module")
def table_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tables")
    docs = root / "docs"
    docs.mkdir()
    _workbook(docs / "証明書手数料一覧.xlsx")
    (docs / "施設使用料.csv").write_bytes(("\r\n".join(",".join(r) for r in HALLS) + "\r\n").encode("cp932"))
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        summary = run_ingest([docs], load_settings(root / "store"))
    assert summary.failed == [] and summary.added == 2, summary
    return root / "store"


def _chunks(store: Path, source: str) -> list[Chunk]:
    with closing(Catalog(StorePaths(store).catalog)) as catalog:
        ids = catalog.committed_ids()
        return sorted((c for c in catalog.chunks(ids).values() if c.source == source), key=lambda c: c.ordinal)


def test_rows_are_kept_whole_and_a_long_table_repeats_its_header(table_store: Path) -> None:
    chunks = _chunks(table_store, "証明書手数料一覧.xlsx")
    roads = [c for c in chunks if c.sheet == "市道"]
    assert len(roads) >= 2 and {c.sheet for c in chunks} == {"手数料", "窓口", "市道"}
    lines = [line for c in roads for line in c.text.split("\n") if line.startswith("市道0")]
    assert lines == [f"市道{n:03d}号\tみずほ野{n}丁目線\t{100 + n * 7}" for n in range(1, ROADS + 1)]  # whole, once
    for chunk in roads:
        assert chunk.context == "市道\n路線番号\t路線名\t延長（m）"  # read under the header
        last_road = int(chunk.text.split("\n")[-1][2:5])  # 「市道042号…」 is row 43 (the header is row 1)
        assert chunk.cells is not None and chunk.cells.startswith("A") and chunk.cells.endswith(f":C{last_road + 1}")
    csv_chunks = _chunks(table_store, "施設使用料.csv")
    assert [c.cells for c in csv_chunks] == ["A1:C4"] and csv_chunks[0].sheet is None


def test_every_value_is_findable(table_store: Path) -> None:
    searcher = Searcher(load_settings(table_store))
    try:
        for label, fee, note in FEES:
            hits = searcher.search(f"{label} {note}", k=3)
            assert any(label in h.chunk.text and fee in h.chunk.text for h in hits), label
        for name, closed, price in HALLS[1:]:
            hits = searcher.search(f"{name}の使用料", k=3)
            assert any(f"{name},{closed}".replace(",", "\t") in h.chunk.text and price in h.chunk.text
                       for h in hits), name
        hit = searcher.search("市道042号", k=1)[0]
        assert "市道042号\tみずほ野42丁目線\t394" in hit.chunk.text and hit.chunk.sheet == "市道"
    finally:
        searcher.close()


def test_the_fee_is_answered_from_its_row_cited_by_sheet_and_cells(table_store: Path) -> None:
    answerer = Answerer(Searcher(load_settings(table_store)))
    try:
        answer = answerer.ask("住民票の写しのコンビニ交付の手数料は")
        counter = answerer.ask("市民会館会議室の使用料はいくら")
    finally:
        answerer.searcher.close()
    assert answer.grounded and "200円" in answer.text and "300円" not in answer.text, answer.text
    (cited,) = answer.citations
    assert (cited.sheet, cited.cells) == ("手数料", "A4:C4")  # row 4: title, header, 窓口交付, then this one
    assert cited.quote == "住民票の写し（コンビニ交付）\t200円\tマイナンバーカードが必要"
    assert answer.text.startswith("住民票の写し（コンビニ交付）（手数料：200円、備考：マイナンバーカードが必要）")
    assert counter.grounded and "800円" in counter.text and "5000円" not in counter.text
    assert [(c.sheet, c.cells) for c in counter.citations] == [(None, "A3:C3")]


def test_the_api_gives_sheet_and_cells(table_store: Path) -> None:
    with TestClient(create_app(load_settings(table_store))) as client:
        answer = client.post("/api/ask", json={"question": "住民票の写しのコンビニ交付の手数料は"}).json()
        hits = client.post("/api/search", json={"query": "税務課 受付時間", "k": 1}).json()["hits"]
    assert (answer["citations"][0]["sheet"], answer["citations"][0]["cells"]) == ("手数料", "A4:C4")
    assert hits[0]["sheet"] == "窓口" and hits[0]["cells"] == "A1:C4"
