"""The index on a Chroma server (`KOTAE_CHROMA_URL`): the catalogue is kept in Chroma too, so every replica reads
one source of truth and no file is shared between machines.

Two collections on the server:

    kotae_chunks    one record per chunk: vector, text, filter fields, ordinal, text hash and the Sudachi tokens
                    the lexical index is built from (written by `VectorStore` with `keeps_text`)
    kotae_catalog   small records (a 1-dimensional placeholder vector), told apart by `kind`:
                      doc:SOURCE      the document record and its committed chunk ids (JSON), and a commit id
                      failure:SOURCE  why the file failed last
                      correction:SOURCE  an admin's corrections of the document's fields (JSON)
                      meta:KEY        store facts: `generation`, `embedder`, `ingest_lease`, `schema`

The records' layout has a version (`meta:schema`, RECORDS_SCHEMA): 1 is the layout before versions (document
records without municipality, URL, field sources or pipeline, which `_record` reads with their defaults), 2 adds
`correction:` records. Opening records of an older layout stamps the current one (nothing needs rewriting: every
reader of an older record fills what it lacks); records of a newer Kotae are refused.

The commit point is one upsert of `doc:SOURCE` together with `meta:generation`, made after the document's chunk
records are written and before its old ones are deleted. Readers show only the chunk ids a `doc:` record lists,
so a half-written document is never visible. A run that dies leaves only unlisted chunk records behind, and its
lease record, which tells the next run to find and delete them.

Each process keeps a mirror of the committed state (document records, chunk ids, per-chunk facts and tokens).
When the generation moves, only documents whose commit id changed are fetched again.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from kotae.embedders import Vectors
from kotae.errors import StoreError
from kotae.index.catalog import (
    PIPELINE_BEFORE_SCHEMA_2,
    ChunkFacts,
    Correction,
    DocumentRecord,
    checked_corrections,
)
from kotae.index.vectors import VectorStore, chunk_collection
from kotae.types import Chunk, doc_type_of

CATALOG_COLLECTION = "kotae_catalog"
REREAD_SECONDS = 0.1  # a generation read this recently is not read again by the same process
LEASE_SECONDS = 300  # an ingestion renews its lease at every commit; a dead writer's lease lapses after this
_PLACEHOLDER = [1.0]  # catalogue records are found by id and kind, never by vector
_BATCH = 1000
_T = TypeVar("_T")
_clients: dict[str, Any] = {}

log = logging.getLogger(__name__)


def client_for(url: str) -> Any:
    """One HTTP client per server address for the whole process; the server must answer a heartbeat."""
    if url not in _clients:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 8000)
        try:
            client = chromadb.HttpClient(host=parts.hostname or "", port=port, ssl=parts.scheme == "https",
                                         settings=ChromaSettings(anonymized_telemetry=False))
            client.heartbeat()
        except Exception as exc:
            raise StoreError(f"cannot reach the Chroma server at {url} (KOTAE_CHROMA_URL): "
                             f"{type(exc).__name__}: {exc}") from exc
        _clients[url] = client
    return _clients[url]


def server_vectors(url: str) -> VectorStore:
    """The chunk collection on the server at `url`, keeping text and tokens beside each vector."""
    client = client_for(url)
    try:
        collection = chunk_collection(client)
    except Exception as exc:
        raise StoreError(f"Chroma server at {url}: opening the chunks failed: {type(exc).__name__}: {exc}") from exc
    return VectorStore(collection, keeps_text=True, where=url)


@dataclass
class _Entry:
    """One committed document in the mirror, its chunks in reading order."""

    record: DocumentRecord
    commit: str
    chunk_ids: list[str]
    facts: list[ChunkFacts]
    tokens: list[str]  # space-joined, as the SQLite catalogue stores them
    id_set: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.id_set = set(self.chunk_ids)


RECORDS_SCHEMA = 2


class RemoteCatalog:
    """The catalogue (same methods as `Catalog`) over the Chroma server at `url`."""

    def __init__(self, url: str) -> None:
        self.url = url
        client = client_for(url)
        self._records = self._call("open", lambda: client.get_or_create_collection(
            CATALOG_COLLECTION, embedding_function=None))
        self.vectors_store = server_vectors(url)
        self._mirror: dict[str, _Entry] = {}
        self._synced = -1  # generation the mirror reflects
        self._by_text_hash: dict[str, str] | None = None
        self._unclean = False  # a previous run did not finish: look for records it left behind
        self._generation_read = (float("-inf"), -1)  # (monotonic time, value) of the last read
        self._sync_lock = threading.Lock()  # request threads share the mirror; one of them updates it
        self._check_schema()

    def _check_schema(self) -> None:
        """Refuse records of a newer Kotae; stamp older ones (and a new server) with RECORDS_SCHEMA."""
        stored = self.get_meta("schema")
        version = int(stored) if stored and stored.isdigit() else 1
        if version > RECORDS_SCHEMA:
            raise StoreError(f"Chroma server at {self.url}: written by a newer Kotae (records schema {version}; "
                             f"this one knows up to {RECORDS_SCHEMA}): upgrade Kotae")
        if stored != str(RECORDS_SCHEMA):
            self.set_meta("schema", str(RECORDS_SCHEMA))

    def _call(self, what: str, action: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        try:
            return action(*args, **kwargs)
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"Chroma server at {self.url}: {what} failed: {type(exc).__name__}: {exc}") from exc

    def exists(self) -> bool:
        """Whether anything was ever ingested into this server (an ingestion binds the embedder first)."""
        return self.get_meta("embedder") is not None

    def close(self) -> None:
        """Nothing to close: the HTTP client is shared by the process."""

    # --- meta -------------------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        """A value of the store, or None."""
        got = self._call("get", self._records.get, ids=[f"meta:{key}"], include=["documents"])
        return str(got["documents"][0]) if got["ids"] else None

    def set_meta(self, key: str, value: str) -> None:
        """Set a value of the store."""
        self._upsert([(f"meta:{key}", value, {"kind": "meta"})])

    def generation(self) -> int:
        """A counter bumped by every commit that changes what is visible; readers reload when it moves."""
        value = int(self.get_meta("generation") or 0)
        self._generation_read = (time.monotonic(), value)
        return value

    def _recent_generation(self) -> int:
        """The generation read within the last `REREAD_SECONDS` (a search reads it once, not per step), else
        read now."""
        at, value = self._generation_read
        return value if time.monotonic() - at < REREAD_SECONDS else self.generation()

    def _upsert(self, records: list[tuple[str, str, dict[str, Any]]]) -> None:
        """Write records in one request (Chroma applies one request's records together)."""
        self._call("upsert", self._records.upsert,
                   ids=[r[0] for r in records], documents=[r[1] for r in records],
                   metadatas=[r[2] for r in records], embeddings=[_PLACEHOLDER] * len(records))

    # --- the writer's lease -------------------------------------------------------------------------------
    @contextmanager
    def writer_lease(self) -> Iterator[None]:
        """Hold the one ingestion lease of the server for the duration; refuse if a live run holds it.

        A run that ends normally deletes its lease. One that fails leaves it behind (expired), and one that is
        killed leaves it as it was: either way the next run knows to delete what that run left unlisted.
        """
        current = self._lease()
        me = {"host": socket.gethostname(), "pid": os.getpid()}
        if current is not None and (current["host"], current["pid"]) != (me["host"], me["pid"]):
            alive = current["expires"] > time.time() and (current["host"] != me["host"] or _pid_alive(current["pid"]))
            if alive:
                until = datetime.fromtimestamp(current["expires"], UTC).isoformat(timespec="seconds")
                raise StoreError(f"the index on {self.url} is being ingested by pid {current['pid']} on "
                                 f"{current['host']} (lease until {until})")
        self._unclean = current is not None
        self._renew_lease()
        taken = self._lease()  # two runs starting at once: the later write wins, the other stops here
        if taken is None or (taken["host"], taken["pid"]) != (me["host"], me["pid"]):
            raise StoreError(f"the index on {self.url} was just taken for ingestion by another run; try later")
        try:
            yield
        except BaseException:
            with suppress(StoreError):  # the server is down: the lease lapses on its own
                self._upsert([("meta:ingest_lease", json.dumps({**me, "expires": 0}), {"kind": "meta"})])
            raise
        self._call("delete", self._records.delete, ids=["meta:ingest_lease"])
        self._unclean = False

    def _lease(self) -> dict[str, Any] | None:
        value = self.get_meta("ingest_lease")
        return None if value is None else dict(json.loads(value))

    def _lease_record(self) -> tuple[str, str, dict[str, Any]]:
        lease = {"host": socket.gethostname(), "pid": os.getpid(), "expires": time.time() + LEASE_SECONDS}
        return ("meta:ingest_lease", json.dumps(lease), {"kind": "meta"})

    def _renew_lease(self) -> None:
        self._upsert([self._lease_record()])

    # --- documents ---------------------------------------------------------------------------------------
    def documents(self) -> dict[str, DocumentRecord]:
        """Every committed document by source."""
        self._sync()
        return {s: e.record for s, e in self._mirror.items()}

    def document(self, source: str) -> DocumentRecord | None:
        """One committed document, or None."""
        self._sync()
        entry = self._mirror.get(source)
        return entry.record if entry else None

    def chunk_ids_of(self, source: str) -> list[str]:
        """The committed chunk ids of one document."""
        self._sync()
        entry = self._mirror.get(source)
        return list(entry.chunk_ids) if entry else []

    def chunk_at(self, source: str, ordinal: int) -> Chunk | None:
        """The committed chunk `ordinal` of one document (None: there is none)."""
        found = [c for c in self.chunks(self.chunk_ids_of(source)).values() if c.ordinal == ordinal]
        return found[0] if found else None

    def chunk_ids_by_text_hash(self, text_hashes: Iterable[str]) -> dict[str, str]:
        """For each text hash already stored, one committed chunk id holding that exact text."""
        self._sync()
        if self._by_text_hash is None:
            self._by_text_hash = {f.text_hash: f.chunk_id for e in self._mirror.values() for f in e.facts}
        return {h: self._by_text_hash[h] for h in set(text_hashes) if h in self._by_text_hash}

    # --- the two-phase write ---------------------------------------------------------------------------------
    def add_pending(self, chunk_ids: Iterable[str]) -> None:
        """Nothing to record: chunk records no `doc:` record lists are pending by definition."""

    def pending(self) -> list[str]:
        """Chunk records no document lists, when the previous run did not finish (else none, without a scan)."""
        if not self._unclean:
            return []
        self._sync()
        listed = {c for e in self._mirror.values() for c in e.chunk_ids}
        return [c for c in self.vectors_store.all_ids() if c not in listed]

    def clear_pending(self, chunk_ids: Iterable[str]) -> None:
        """Nothing to clear (see `add_pending`)."""

    def commit_document(self, record: DocumentRecord, chunks: list[Chunk], tokens: list[list[str]],
                        text_hashes: list[str], vectors: Vectors | None = None) -> list[str]:
        """Make `chunks` (already written, with their vectors) the document's visible chunks with one upsert;
        returns the ids of its previous chunks that are no longer used, for the caller to delete."""
        self._sync()
        old = self._mirror.get(record.source)
        new_ids = [c.chunk_id for c in chunks]
        keep = set(new_ids)
        stale = [c for c in old.chunk_ids if c not in keep] if old else []
        stored = DocumentRecord(**{**asdict(record), "indexed_at": record.indexed_at or _now()})
        commit = uuid.uuid4().hex
        payload = json.dumps({"record": asdict(stored), "commit": commit, "chunk_ids": new_ids}, ensure_ascii=False)
        generation = self.generation() + 1
        self._upsert([
            (f"doc:{record.source}", payload, {"kind": "document", "source": record.source, "commit": commit}),
            ("meta:generation", str(generation), {"kind": "meta"}),
            self._lease_record(),
        ])
        self.forget_failures([record.source])
        facts = [_facts(c.chunk_id, c.source, _chunk_fields(c), h, stored) for c, h in zip(chunks, text_hashes,
                                                                                           strict=True)]
        self._mirror[record.source] = _Entry(stored, commit, new_ids, facts, [" ".join(t) for t in tokens])
        self._synced = generation
        self._generation_read = (time.monotonic(), generation)
        if self._by_text_hash is not None:
            self._by_text_hash.update({f.text_hash: f.chunk_id for f in facts})
        return stale

    def remove_document(self, source: str) -> list[str]:
        """Remove a document from view; returns its chunk ids for the caller to delete."""
        self._sync()
        entry = self._mirror.pop(source, None)
        self._call("delete", self._records.delete, ids=[f"doc:{source}", f"failure:{source}", f"correction:{source}"])
        generation = self.generation() + 1
        self._upsert([("meta:generation", str(generation), {"kind": "meta"}), self._lease_record()])
        self._synced = generation
        self._generation_read = (time.monotonic(), generation)
        self._by_text_hash = None
        return list(entry.chunk_ids) if entry else []

    # --- an admin's corrections -------------------------------------------------------------------------------
    def corrections(self) -> dict[str, dict[str, Correction]]:
        """Every document's corrected fields: source -> field -> correction."""
        got = self._call("get", self._records.get, where={"kind": "correction"}, include=["documents", "metadatas"])
        found: dict[str, dict[str, Correction]] = {}
        for payload, meta in zip(got["documents"], got["metadatas"], strict=True):
            fields_of = _corrections(payload)
            if fields_of:
                found[str(meta["source"])] = fields_of
        return dict(sorted(found.items()))

    def set_corrections(self, source: str, changes: Mapping[str, str | None], by: str) -> None:
        """Set (a value) or drop (None or empty) the corrections of a document's fields, in one write. Raises
        `ValueError` naming the field when a value is not one it may take, before changing anything."""
        checked = checked_corrections(changes)
        got = self._call("get", self._records.get, ids=[f"correction:{source}"], include=["documents"])
        current = _corrections(got["documents"][0]) if got["ids"] else {}  # this document's only
        for name, value in checked.items():
            if value is None:
                current.pop(name, None)
            else:
                current[name] = Correction(value, by, _now())
        if not current:
            self._call("delete", self._records.delete, ids=[f"correction:{source}"])
            return
        payload = json.dumps({k: asdict(v) for k, v in current.items()}, ensure_ascii=False)
        self._upsert([(f"correction:{source}", payload, {"kind": "correction", "source": source})])

    # --- failures ---------------------------------------------------------------------------------------------
    def record_failure(self, source: str, root: str, reason: str) -> None:
        """Remember why a file failed, for the admin's document list."""
        payload = json.dumps({"reason": reason, "at": _now()}, ensure_ascii=False)
        self._upsert([(f"failure:{source}", payload, {"kind": "failure", "source": source, "root": root})])

    def forget_failures(self, sources: Iterable[str]) -> None:
        """Drop failure records (the file is gone or now indexed)."""
        ids = [f"failure:{s}" for s in sources]
        for i in range(0, len(ids), _BATCH):
            part = ids[i : i + _BATCH]
            self._call("delete", self._records.delete, ids=part)

    def failures(self) -> dict[str, str]:
        """Reason of the last failure by source."""
        got = self._call("get", self._records.get, where={"kind": "failure"}, include=["documents", "metadatas"])
        return {str(m["source"]): str(json.loads(d)["reason"]) for d, m in zip(got["documents"], got["metadatas"],
                                                                               strict=True)}

    def failure_sources_under(self, root: str) -> list[str]:
        """Sources that failed when ingested from `root`."""
        got = self._call("get", self._records.get,
                         where={"$and": [{"kind": "failure"}, {"root": root}]}, include=["metadatas"])
        return [str(m["source"]) for m in got["metadatas"]]

    # --- reading chunks ---------------------------------------------------------------------------------------
    def chunk_count(self) -> int:
        """Number of committed chunks."""
        self._sync()
        return sum(len(e.chunk_ids) for e in self._mirror.values())

    def iter_chunk_rows(self) -> Iterator[tuple[str, str]]:
        """(chunk_id, tokens) of every committed chunk, in a stable order (documents by source)."""
        self._sync()
        for source in sorted(self._mirror):
            entry = self._mirror[source]
            yield from zip(entry.chunk_ids, entry.tokens, strict=True)

    def chunk_facts(self) -> list[ChunkFacts]:
        """Every committed chunk's retrieval fields, in document order."""
        self._sync()
        return [f for source in sorted(self._mirror) for f in self._mirror[source].facts]

    def tokens_of(self, source: str) -> list[list[str]]:
        """The lexical tokens of a document's chunks, in reading order."""
        self._sync()
        entry = self._mirror.get(source)
        return [t.split(" ") if t else [] for t in entry.tokens] if entry else []

    def chunks_of(self, source: str) -> list[Chunk]:
        """The committed chunks of one document, in reading order."""
        ids = self.chunk_ids_of(source)
        by_id = self.chunks(ids)
        return [by_id[i] for i in ids if i in by_id]

    def vectors(self, chunk_ids: list[str]) -> dict[str, Vectors]:
        """The stored vectors of chunks by id: the server's chunk records hold them."""
        return self.vectors_store.embeddings(chunk_ids)

    def chunks(self, chunk_ids: list[str]) -> dict[str, Chunk]:
        """Committed chunks by id, with their document's fields; ids not committed are absent."""
        self._sync()
        found: dict[str, Chunk] = {}
        for chunk_id, (meta, text) in self.vectors_store.records(chunk_ids, with_text=True).items():
            entry = self._mirror.get(str(meta.get("source")))
            if entry is None or chunk_id not in entry.id_set:
                continue
            record = entry.record
            found[chunk_id] = Chunk(
                chunk_id=chunk_id, source=record.source, start=int(meta["start"]), end=int(meta["end"]),
                text=text or "", ordinal=int(meta["ordinal"]), doc_type=record.doc_type, title=record.title,
                date=record.date, page=meta.get("page"), speaker=meta.get("speaker"),
                speaker_role=meta.get("speaker_role"), speaker_title=meta.get("speaker_title"),
                turn=meta.get("turn"), access_groups=record.access_groups, article=meta.get("article"),
                sheet=meta.get("sheet"), cells=meta.get("cells"), context=meta.get("context"),
                municipality=record.municipality, url=record.url, fetched_at=record.fetched_at,
            )
        return found

    # --- the mirror -------------------------------------------------------------------------------------------
    def _sync(self) -> None:
        """Bring the mirror up to the server's generation, fetching only documents whose commit changed. A commit
        landing mid-read (a listed chunk already deleted) makes it read again."""
        with self._sync_lock:
            self._sync_locked()

    def _sync_locked(self) -> None:
        for attempt in range(10):
            generation = self._recent_generation() if attempt == 0 else self.generation()
            if generation == self._synced:
                return
            if self._try_sync():
                self._synced = generation
                self._by_text_hash = None
                return
        raise StoreError(f"Chroma server at {self.url}: the index kept changing while being read; try again")

    def _try_sync(self) -> bool:
        listed = self._call("get", self._records.get, where={"kind": "document"}, include=["metadatas"])
        commits = {str(m["source"]): str(m["commit"]) for m in listed["metadatas"]}
        changed = [s for s, c in commits.items() if s not in self._mirror or self._mirror[s].commit != c]
        fresh: dict[str, _Entry] = {}
        for i in range(0, len(changed), 100):
            part = [f"doc:{s}" for s in changed[i : i + 100]]
            got = self._call("get", self._records.get, ids=part, include=["documents"])
            for payload in got["documents"]:
                entry = self._fetch_entry(json.loads(payload))
                if entry is None:
                    return False
                fresh[entry.record.source] = entry
        self._mirror = {s: fresh.get(s) or self._mirror[s] for s in commits if s in fresh or s in self._mirror}
        return True

    def _fetch_entry(self, payload: dict[str, Any]) -> _Entry | None:
        """A document's mirror entry from its `doc:` payload, or None when one of its chunks is gone."""
        record = _record(payload["record"])
        chunk_ids = [str(c) for c in payload["chunk_ids"]]
        rows = self.vectors_store.records(chunk_ids, with_text=False)
        if len(rows) != len(chunk_ids):
            return None
        facts = [_facts(c, record.source, rows[c][0], str(rows[c][0].get("text_hash", "")), record)
                 for c in chunk_ids]
        tokens = [str(rows[c][0].get("tokens", "")) for c in chunk_ids]
        return _Entry(record, str(payload["commit"]), chunk_ids, facts, tokens)


def _corrections(payload: str) -> dict[str, Correction]:
    """A `correction:SOURCE` record's fields, by name."""
    return dict(sorted((str(k), Correction(**v)) for k, v in dict(json.loads(payload)).items()))


def _chunk_fields(chunk: Chunk) -> dict[str, Any]:
    return {"turn": chunk.turn, "speaker_role": chunk.speaker_role, "speaker": chunk.speaker,
            "speaker_title": chunk.speaker_title}


def _facts(chunk_id: str, source: str, meta: dict[str, Any], text_hash: str, record: DocumentRecord) -> ChunkFacts:
    turn = meta.get("turn")
    return ChunkFacts(chunk_id=chunk_id, source=source, turn=None if turn is None else int(turn),
                      speaker_role=meta.get("speaker_role"), speaker=meta.get("speaker"),
                      speaker_title=meta.get("speaker_title"), doc_type=record.doc_type, date=record.date,
                      text_hash=text_hash, access_groups=record.access_groups, municipality=record.municipality,
                      article=meta.get("article"))


def _record(data: dict[str, Any]) -> DocumentRecord:
    """A `doc:` record's document; one written before issue 15 has no municipality, URL or field sources (their
    defaults) and may carry a legacy kind (read as today's, see `LEGACY_DOC_TYPES`)."""
    known = {f.name for f in fields(DocumentRecord)}
    return DocumentRecord(**{**{k: v for k, v in data.items() if k in known},
                             "access_groups": tuple(data["access_groups"]), "needs_ocr": tuple(data["needs_ocr"]),
                             "doc_type": doc_type_of(str(data["doc_type"])) or "other",
                             "pipeline": str(data.get("pipeline") or PIPELINE_BEFORE_SCHEMA_2)})


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
