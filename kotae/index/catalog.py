"""The catalogue: a SQLite file that says which documents and chunks are committed.

It is the commit point of ingestion and the store's source of truth. Chunks are written to Chroma first, under
ids recorded in `pending`; one SQLite transaction then makes the document's new chunks (their text, tokens and
vectors) visible and its old ones pending deletion. A run killed at any moment leaves only pending ids behind,
which the next run deletes from Chroma. Readers only ever show chunks the catalogue lists, so a half-written
document is never visible.

Because it holds every committed chunk's vector, Chroma's folder is derived data like the BM25 index: when a
full disk or a crash damages it, `kotae repair` builds it again from here without embedding anything
(SQLite's transactions survive a full disk; Chroma's index files do not).

The layout has a version (`PRAGMA user_version`); `SCHEMA_VERSION` is the one this code writes, and opening a
store of an older version migrates it in place (`_MIGRATIONS`), in one transaction per step.

It also keeps what an admin corrected of a document's description (`corrections`: title, date, kind,
municipality), which ingestion applies over what the document and its metadata files say.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import numpy as np

from kotae.embedders import Vectors
from kotae.errors import StoreError
from kotae.types import DESCRIBED_FIELDS, DOC_TYPES, LEGACY_DOC_TYPES, Chunk, FieldSource

PIPELINE_BEFORE_SCHEMA_2 = "3"  # the pipeline version of every document stored before schema 2

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents(
    source TEXT PRIMARY KEY,
    root TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    version TEXT NOT NULL,
    doc_type TEXT NOT NULL,
    title TEXT NOT NULL,
    date TEXT,
    access_groups TEXT NOT NULL,
    pages INTEGER NOT NULL,
    needs_ocr TEXT NOT NULL,
    n_chunks INTEGER NOT NULL,
    indexed_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_hash ON documents(content_hash);
CREATE TABLE IF NOT EXISTS chunks(
    chunk_id TEXT PRIMARY KEY,
    source TEXT NOT NULL REFERENCES documents(source),
    ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    text TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    page INTEGER,
    speaker TEXT,
    speaker_role TEXT,
    speaker_title TEXT,
    turn INTEGER,
    tokens TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_source ON chunks(source);
CREATE INDEX IF NOT EXISTS chunks_text_hash ON chunks(text_hash);
CREATE TABLE IF NOT EXISTS pending(chunk_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS failures(source TEXT PRIMARY KEY, root TEXT NOT NULL, reason TEXT NOT NULL,
                                    at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

# Version 0 is the layout above, as stores were written before the layout had a version. Each step migrates a
# store of the version before it; a step runs in one transaction with the new version number.
_MIGRATIONS: dict[int, str] = {
    # 1: every committed chunk's vector (float32, little-endian), so Chroma's folder can be rebuilt from here.
    # Stores migrated from 0 have none yet: the next ingestion copies them from Chroma (or embeds what it lost).
    1: "CREATE TABLE IF NOT EXISTS vectors(chunk_id TEXT PRIMARY KEY, vector BLOB NOT NULL);"
       "INSERT OR REPLACE INTO meta(key, value)"
       " SELECT 'vectors_backfill', 'needed' WHERE EXISTS (SELECT 1 FROM chunks);",
    # 2: where a document came from and what it is (issue 15): its municipality, URL and fetch time, where each
    # described field came from, the pipeline version that read it; 例規 articles and the sheets and cells of
    # tables on chunks; the document kinds renamed (guideline -> manual, report and document -> other).
    2: "ALTER TABLE documents ADD COLUMN municipality TEXT;"
       "ALTER TABLE documents ADD COLUMN url TEXT;"
       "ALTER TABLE documents ADD COLUMN fetched_at TEXT;"
       "ALTER TABLE documents ADD COLUMN field_sources TEXT NOT NULL DEFAULT '{}';"
       f"ALTER TABLE documents ADD COLUMN pipeline TEXT NOT NULL DEFAULT '{PIPELINE_BEFORE_SCHEMA_2}';"
       "ALTER TABLE chunks ADD COLUMN article TEXT;"
       "ALTER TABLE chunks ADD COLUMN sheet TEXT;"
       "ALTER TABLE chunks ADD COLUMN cells TEXT;"
       "ALTER TABLE chunks ADD COLUMN context TEXT;"
       + "".join(f"UPDATE documents SET doc_type = '{new}' WHERE doc_type = '{old}';"
                 for old, new in LEGACY_DOC_TYPES.items()),
    # 3: an admin's corrections of a document's title, date, kind or municipality (issue 15), one row a field;
    # ingestion applies them over the document's own text and its metadata files.
    3: "CREATE TABLE IF NOT EXISTS corrections(source TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL,"
       " by TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY(source, field));",
}
SCHEMA_VERSION = max(_MIGRATIONS)


@dataclass(frozen=True)
class DocumentRecord:
    """A committed document as the catalogue holds it."""

    source: str
    root: str
    content_hash: str
    version: str
    doc_type: str
    title: str
    date: str | None
    access_groups: tuple[str, ...]
    pages: int
    needs_ocr: tuple[int, ...]
    n_chunks: int
    indexed_at: str
    municipality: str | None = None
    url: str | None = None
    fetched_at: str | None = None
    field_sources: dict[str, FieldSource] = field(default_factory=dict)
    pipeline: str = ""  # the ingestion pipeline's version that read it (ingest.documents.PIPELINE_VERSION)


# The fields of a document's description an admin may correct (access groups stay with the metadata files).
CORRECTABLE_FIELDS = DESCRIBED_FIELDS
_MAX_CHARS = {"title": 200, "municipality": 50}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Correction:
    """An admin's value for one field of a document, who set it and when (UTC, ISO)."""

    value: str
    by: str
    at: str


def checked_correction(name: str, value: str | None) -> str | None:
    """The value to store as the correction of field `name` (None: drop the correction). Raises `ValueError`
    with the reason when the field cannot be corrected or the value is not one it may take."""
    if name not in CORRECTABLE_FIELDS:
        raise ValueError(f"not a field that can be corrected (one of {', '.join(CORRECTABLE_FIELDS)})")
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("must be a string or null")
    value = value.strip()
    if not value:
        return None
    if any(ord(ch) < 32 or ch == "\x7f" for ch in value):
        raise ValueError("must be one line, without control characters")
    if name == "date":
        if not _is_iso_date(value):
            raise ValueError(f"{value!r} is not a date: give it as yyyy-mm-dd (2024-04-01)")
    elif name == "doc_type" and value not in DOC_TYPES:
        raise ValueError(f"{value!r} is not a kind of document (one of {', '.join(DOC_TYPES)})")
    elif name in _MAX_CHARS and len(value) > _MAX_CHARS[name]:
        raise ValueError(f"longer than {_MAX_CHARS[name]} characters")
    return value


class Catalog:
    """Typed access to the catalogue file; every write method is one transaction."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # a commit survives a kill -9 and a power cut
        _migrate(self._db, path)

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    @contextmanager
    def writer_lease(self) -> Iterator[None]:
        """Nothing beyond `ingest.lock`: an embedded store is written from the one machine that holds it."""
        yield

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # --- meta -------------------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        """A value from the key/value table, or None."""
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Set a key/value pair."""
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)", (key, value))

    def generation(self) -> int:
        """A counter bumped by every commit that changes what is visible; readers reload when it moves."""
        return int(self.get_meta("generation") or 0)

    # --- documents ---------------------------------------------------------------------------------------
    def documents(self) -> dict[str, DocumentRecord]:
        """Every committed document by source."""
        rows = self._db.execute(f"SELECT {_DOCUMENT_COLUMNS} FROM documents").fetchall()
        return {row[0]: _document(row) for row in rows}

    def document(self, source: str) -> DocumentRecord | None:
        """One committed document, or None."""
        row = self._db.execute(f"SELECT {_DOCUMENT_COLUMNS} FROM documents WHERE source = ?", (source,)).fetchone()
        return _document(row) if row else None

    def chunk_ids_of(self, source: str) -> list[str]:
        """The committed chunk ids of one document."""
        return [r[0] for r in self._db.execute("SELECT chunk_id FROM chunks WHERE source=?", (source,))]

    def chunk_at(self, source: str, ordinal: int) -> Chunk | None:
        """The committed chunk `ordinal` of one document (None: there is none)."""
        row = self._db.execute("SELECT chunk_id FROM chunks WHERE source=? AND ordinal=?", (source, ordinal)).fetchone()
        return self.chunks([row[0]]).get(row[0]) if row else None

    def chunk_ids_by_text_hash(self, text_hashes: Iterable[str]) -> dict[str, str]:
        """For each text hash already stored, one committed chunk id holding that exact text."""
        found: dict[str, str] = {}
        hashes = list(set(text_hashes))
        for i in range(0, len(hashes), 500):
            part = hashes[i : i + 500]
            marks = ",".join("?" * len(part))
            for text_hash, chunk_id in self._db.execute(
                f"SELECT text_hash, chunk_id FROM chunks WHERE text_hash IN ({marks})", part
            ):
                found[text_hash] = chunk_id
        return found

    # --- the two-phase write ---------------------------------------------------------------------------------
    def add_pending(self, chunk_ids: Iterable[str]) -> None:
        """Record ids about to be written to Chroma, before writing them."""
        with self._transaction() as db:
            db.executemany("INSERT OR IGNORE INTO pending(chunk_id) VALUES(?)", ((c,) for c in chunk_ids))

    def pending(self) -> list[str]:
        """Ids written to Chroma but not committed, or committed as removed but not yet deleted there."""
        return [r[0] for r in self._db.execute("SELECT chunk_id FROM pending")]

    def clear_pending(self, chunk_ids: Iterable[str]) -> None:
        """Forget pending ids once Chroma no longer holds them."""
        with self._transaction() as db:
            db.executemany("DELETE FROM pending WHERE chunk_id=?", ((c,) for c in chunk_ids))

    def commit_document(self, record: DocumentRecord, chunks: list[Chunk], tokens: list[list[str]],
                        text_hashes: list[str], vectors: Vectors | None = None) -> list[str]:
        """Make `chunks` the document's visible chunks (with their `vectors`, one row per chunk), in one
        transaction.

        Returns the ids of its previous chunks that are no longer used; they are left pending deletion.
        """
        new_ids = {c.chunk_id for c in chunks}
        with self._transaction() as db:
            old_ids = [r[0] for r in db.execute("SELECT chunk_id FROM chunks WHERE source=?", (record.source,))]
            stale = [c for c in old_ids if c not in new_ids]
            db.executemany("DELETE FROM vectors WHERE chunk_id=?", ((c,) for c in old_ids))
            if vectors is not None:
                db.executemany("INSERT OR REPLACE INTO vectors VALUES(?, ?)",
                               ((c.chunk_id, _blob(v)) for c, v in zip(chunks, vectors, strict=True)))
            db.execute("DELETE FROM chunks WHERE source=?", (record.source,))
            db.execute(f"INSERT OR REPLACE INTO documents({_DOCUMENT_COLUMNS}) VALUES({_marks(_DOCUMENT_COLUMNS)})",
                       _document_row(record))
            db.executemany(
                f"INSERT INTO chunks({_CHUNK_COLUMNS}) VALUES({_marks(_CHUNK_COLUMNS)})",
                (
                    (c.chunk_id, c.source, c.ordinal, c.start, c.end, c.text, h, c.page, c.speaker,
                     c.speaker_role, c.speaker_title, c.turn, " ".join(t), c.article, c.sheet, c.cells, c.context)
                    for c, t, h in zip(chunks, tokens, text_hashes, strict=True)
                ),
            )
            db.executemany("DELETE FROM pending WHERE chunk_id=?", ((c,) for c in new_ids))
            db.executemany("INSERT OR IGNORE INTO pending(chunk_id) VALUES(?)", ((c,) for c in stale))
            db.execute("DELETE FROM failures WHERE source=?", (record.source,))
            _bump_generation(db)
        return stale

    def remove_document(self, source: str) -> list[str]:
        """Remove a document from view in one transaction; its chunk ids are left pending deletion."""
        with self._transaction() as db:
            ids = [r[0] for r in db.execute("SELECT chunk_id FROM chunks WHERE source=?", (source,))]
            db.executemany("DELETE FROM vectors WHERE chunk_id=?", ((c,) for c in ids))
            db.execute("DELETE FROM chunks WHERE source=?", (source,))
            db.execute("DELETE FROM documents WHERE source=?", (source,))
            db.execute("DELETE FROM failures WHERE source=?", (source,))
            db.execute("DELETE FROM corrections WHERE source=?", (source,))
            db.executemany("INSERT OR IGNORE INTO pending(chunk_id) VALUES(?)", ((c,) for c in ids))
            _bump_generation(db)
        return ids

    # --- an admin's corrections -------------------------------------------------------------------------------
    def corrections(self) -> dict[str, dict[str, Correction]]:
        """Every document's corrected fields: source -> field -> correction."""
        found: dict[str, dict[str, Correction]] = {}
        for source, name, value, by, at in self._db.execute(
                "SELECT source, field, value, by, at FROM corrections ORDER BY source, field"):
            found.setdefault(str(source), {})[str(name)] = Correction(str(value), str(by), str(at))
        return found

    def set_corrections(self, source: str, changes: Mapping[str, str | None], by: str) -> None:
        """Set (a value) or drop (None or empty) the corrections of a document's fields, in one transaction.
        Raises `ValueError` naming the field when a value is not one it may take, before changing anything."""
        checked = checked_corrections(changes)
        with self._transaction() as db:
            for name, value in checked.items():
                if value is None:
                    db.execute("DELETE FROM corrections WHERE source=? AND field=?", (source, name))
                else:
                    db.execute("INSERT OR REPLACE INTO corrections VALUES(?, ?, ?, ?, ?)",
                               (source, name, value, by, _now()))

    # --- vectors ----------------------------------------------------------------------------------------------
    def vectors(self, chunk_ids: list[str]) -> dict[str, Vectors]:
        """The stored vectors of committed chunks by id (ids without one are absent)."""
        found: dict[str, Vectors] = {}
        for i in range(0, len(chunk_ids), 500):
            part = chunk_ids[i : i + 500]
            marks = ",".join("?" * len(part))
            for chunk_id, blob in self._db.execute(
                    f"SELECT chunk_id, vector FROM vectors WHERE chunk_id IN ({marks})", part):
                found[chunk_id] = _vector(blob)
        return found

    def chunk_ids_without_vectors(self) -> list[str]:
        """Committed chunks whose vector the catalogue lacks (a store migrated from before vectors were kept)."""
        return [r[0] for r in self._db.execute(
            "SELECT c.chunk_id FROM chunks c LEFT JOIN vectors v ON c.chunk_id = v.chunk_id"
            " WHERE v.chunk_id IS NULL ORDER BY c.rowid")]

    def set_vectors(self, vectors: dict[str, Vectors]) -> None:
        """Store vectors of committed chunks (ids no longer committed are skipped)."""
        with self._transaction() as db:
            for chunk_id, vector in vectors.items():
                db.execute("INSERT OR REPLACE INTO vectors SELECT chunk_id, ? FROM chunks WHERE chunk_id = ?",
                           (_blob(vector), chunk_id))

    def set_metas(self, values: dict[str, str]) -> None:
        """Set several key/value pairs and bump the generation, in one transaction (readers reload)."""
        with self._transaction() as db:
            db.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)", values.items())
            _bump_generation(db)

    def committed_ids(self) -> list[str]:
        """Every committed chunk id, in a stable order."""
        return [r[0] for r in self._db.execute("SELECT chunk_id FROM chunks ORDER BY rowid")]

    # --- failures ---------------------------------------------------------------------------------------------
    def record_failure(self, source: str, root: str, reason: str) -> None:
        """Remember why a file failed, for the admin's document list."""
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO failures VALUES(?,?,?,?)", (source, root, reason, _now()))

    def forget_failures(self, sources: Iterable[str]) -> None:
        """Drop failure records (the file is gone or now indexed)."""
        with self._transaction() as db:
            db.executemany("DELETE FROM failures WHERE source=?", ((s,) for s in sources))

    def failures(self) -> dict[str, str]:
        """Reason of the last failure by source."""
        return {r[0]: r[1] for r in self._db.execute("SELECT source, reason FROM failures")}

    def failure_sources_under(self, root: str) -> list[str]:
        """Sources that failed when ingested from `root`."""
        return [r[0] for r in self._db.execute("SELECT source FROM failures WHERE root=?", (root,))]

    # --- reading chunks ---------------------------------------------------------------------------------------
    def chunk_count(self) -> int:
        """Number of committed chunks."""
        return int(self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])

    def iter_chunk_rows(self) -> Iterator[tuple[str, str]]:
        """(chunk_id, tokens) of every committed chunk, in a stable order."""
        yield from self._db.execute("SELECT chunk_id, tokens FROM chunks ORDER BY rowid")

    def chunk_facts(self) -> list[ChunkFacts]:
        """Every committed chunk's retrieval fields, in document order."""
        rows = self._db.execute(
            "SELECT c.chunk_id, c.source, c.turn, c.speaker_role, c.speaker, c.speaker_title, d.doc_type, d.date,"
            " c.text_hash, d.access_groups, d.municipality, c.article FROM chunks c JOIN documents d"
            " ON c.source = d.source ORDER BY c.source, c.ordinal"
        )
        return [ChunkFacts(chunk_id=r[0], source=r[1], turn=r[2], speaker_role=r[3], speaker=r[4], speaker_title=r[5],
                           doc_type=r[6], date=r[7], text_hash=r[8], access_groups=tuple(json.loads(r[9])),
                           municipality=r[10], article=r[11])
                for r in rows]

    def tokens_of(self, source: str) -> list[list[str]]:
        """The lexical tokens of a document's chunks, in reading order."""
        rows = self._db.execute("SELECT tokens FROM chunks WHERE source=? ORDER BY ordinal", (source,))
        return [r[0].split(" ") if r[0] else [] for r in rows]

    def chunks_of(self, source: str) -> list[Chunk]:
        """The committed chunks of one document, in reading order."""
        ids = [r[0] for r in self._db.execute("SELECT chunk_id FROM chunks WHERE source=? ORDER BY ordinal", (source,))]
        by_id = self.chunks(ids)
        return [by_id[i] for i in ids]

    def chunks(self, chunk_ids: list[str]) -> dict[str, Chunk]:
        """Committed chunks by id, with their document's fields; ids not committed are absent."""
        found: dict[str, Chunk] = {}
        for i in range(0, len(chunk_ids), 500):
            part = chunk_ids[i : i + 500]
            marks = ",".join("?" * len(part))
            rows = self._db.execute(
                "SELECT c.chunk_id, c.source, c.start, c.end, c.text, c.ordinal, d.doc_type, d.title, d.date,"
                " c.page, c.speaker, c.speaker_role, c.speaker_title, c.turn, d.access_groups, c.article, c.sheet,"
                " c.cells, c.context, d.municipality, d.url, d.fetched_at"
                f" FROM chunks c JOIN documents d ON c.source = d.source WHERE c.chunk_id IN ({marks})",
                part,
            )
            for (cid, source, start, end, text, ordinal, doc_type, title, date, page, speaker, role,
                 speaker_title, turn, groups, article, sheet, cells, context, municipality, url, fetched_at) in rows:
                found[cid] = Chunk(
                    chunk_id=cid, source=source, start=start, end=end, text=text, ordinal=ordinal,
                    doc_type=doc_type, title=title, date=date, page=page, speaker=speaker, speaker_role=role,
                    speaker_title=speaker_title, turn=turn, access_groups=tuple(json.loads(groups)),
                    article=article, sheet=sheet, cells=cells, context=context, municipality=municipality, url=url,
                    fetched_at=fetched_at,
                )
        return found


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _is_iso_date(value: str) -> bool:
    """Whether `value` is a real calendar date written yyyy-mm-dd."""
    if _ISO_DATE.fullmatch(value) is None:
        return False
    try:
        datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        return False
    return True


def checked_corrections(changes: Mapping[str, str | None]) -> dict[str, str | None]:
    """`checked_correction` of every field; the `ValueError` says which field and why."""
    checked: dict[str, str | None] = {}
    for name, value in changes.items():
        try:
            checked[name] = checked_correction(name, value)
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
    return checked


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    """Bring the catalogue at `path` to `SCHEMA_VERSION` (a new file gets the whole layout at once); refuse one
    written by a newer Kotae, whose layout this code cannot know."""
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise StoreError(f"{path} was written by a newer Kotae (store schema {version}; this one knows up to "
                         f"{SCHEMA_VERSION}): upgrade Kotae to open it")
    if version == SCHEMA_VERSION:
        return
    # Statement by statement: `executescript` would commit the transaction half-way.
    db.execute("BEGIN IMMEDIATE")
    try:
        for statement in _statements(SCHEMA):
            db.execute(statement)
        for step in range(version + 1, SCHEMA_VERSION + 1):
            for statement in _statements(_MIGRATIONS[step]):
                db.execute(statement)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def _blob(vector: Vectors) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def _vector(blob: bytes) -> Vectors:
    return np.frombuffer(blob, dtype="<f4").copy()


def _bump_generation(db: sqlite3.Connection) -> None:
    db.execute(
        "INSERT INTO meta(key, value) VALUES('generation', '1') "
        "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
    )


_DOCUMENT_COLUMNS = ("source, root, content_hash, version, doc_type, title, date, access_groups, pages, needs_ocr,"
                     " n_chunks, indexed_at, municipality, url, fetched_at, field_sources, pipeline")
_CHUNK_COLUMNS = ("chunk_id, source, ordinal, start, end, text, text_hash, page, speaker, speaker_role, speaker_title,"
                  " turn, tokens, article, sheet, cells, context")


def _marks(columns: str) -> str:
    return ",".join("?" * len(columns.split(",")))


def _document(row: tuple[object, ...]) -> DocumentRecord:
    (source, root, content_hash, version, doc_type, title, date, groups, pages, needs_ocr, n_chunks, at,
     municipality, url, fetched_at, field_sources, pipeline) = row
    return DocumentRecord(
        str(source), str(root), str(content_hash), str(version), str(doc_type), str(title),
        None if date is None else str(date), tuple(json.loads(str(groups))), int(str(pages)),
        tuple(json.loads(str(needs_ocr))), int(str(n_chunks)), str(at),
        None if municipality is None else str(municipality), None if url is None else str(url),
        None if fetched_at is None else str(fetched_at), json.loads(str(field_sources)), str(pipeline),
    )


def _document_row(r: DocumentRecord) -> tuple[object, ...]:
    return (r.source, r.root, r.content_hash, r.version, r.doc_type, r.title, r.date,
            json.dumps(list(r.access_groups), ensure_ascii=False), r.pages, json.dumps(list(r.needs_ocr)),
            r.n_chunks, r.indexed_at or _now(), r.municipality, r.url, r.fetched_at,
            json.dumps(r.field_sources, ensure_ascii=False), r.pipeline)


@dataclass(frozen=True)
class ChunkFacts:
    """The per-chunk fields retrieval needs in memory, for all committed chunks."""

    chunk_id: str
    source: str
    turn: int | None
    speaker_role: str | None
    speaker: str | None
    speaker_title: str | None
    doc_type: str
    date: str | None
    text_hash: str
    access_groups: tuple[str, ...] = ("everyone",)
    municipality: str | None = None
    article: str | None = None



class CatalogStore(Protocol):
    """What ingestion and search need from a catalogue: `Catalog` (SQLite, embedded stores) or
    `kotae.index.remote.RemoteCatalog` (a Chroma server shared by replicas)."""

    def close(self) -> None: ...
    def writer_lease(self) -> AbstractContextManager[None]: ...
    def get_meta(self, key: str) -> str | None: ...
    def set_meta(self, key: str, value: str) -> None: ...
    def generation(self) -> int: ...
    def documents(self) -> dict[str, DocumentRecord]: ...
    def document(self, source: str) -> DocumentRecord | None: ...
    def chunk_ids_of(self, source: str) -> list[str]: ...
    def chunk_at(self, source: str, ordinal: int) -> Chunk | None: ...
    def chunk_ids_by_text_hash(self, text_hashes: Iterable[str]) -> dict[str, str]: ...
    def add_pending(self, chunk_ids: Iterable[str]) -> None: ...
    def pending(self) -> list[str]: ...
    def clear_pending(self, chunk_ids: Iterable[str]) -> None: ...
    def commit_document(self, record: DocumentRecord, chunks: list[Chunk], tokens: list[list[str]],
                        text_hashes: list[str], vectors: Vectors | None = None) -> list[str]: ...
    def remove_document(self, source: str) -> list[str]: ...
    def corrections(self) -> dict[str, dict[str, Correction]]: ...
    def set_corrections(self, source: str, changes: Mapping[str, str | None], by: str) -> None: ...
    def record_failure(self, source: str, root: str, reason: str) -> None: ...
    def forget_failures(self, sources: Iterable[str]) -> None: ...
    def failures(self) -> dict[str, str]: ...
    def failure_sources_under(self, root: str) -> list[str]: ...
    def chunk_count(self) -> int: ...
    def iter_chunk_rows(self) -> Iterator[tuple[str, str]]: ...
    def chunk_facts(self) -> list[ChunkFacts]: ...
    def tokens_of(self, source: str) -> list[list[str]]: ...
    def chunks_of(self, source: str) -> list[Chunk]: ...
    def chunks(self, chunk_ids: list[str]) -> dict[str, Chunk]: ...
    def vectors(self, chunk_ids: list[str]) -> dict[str, Vectors]: ...
