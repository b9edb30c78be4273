"""The audit log: who asked what, when, with which composer and model, which sources were cited, what the
personal-information guard did, and how it ended. Append-only SQLite (`audit.sqlite` in the store): the
service only inserts; rows older than the retention period are deleted at start-up and once a day.

The layout has a version (`PRAGMA user_version`), as the catalogue's and the users' do: `SCHEMA_VERSION` is the
one this code writes; opening a file of an older version migrates it in place (`_MIGRATIONS`) in one
transaction, and a file written by a newer Kotae is refused.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from kotae.errors import StoreError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    user TEXT NOT NULL,
    groups TEXT NOT NULL,
    action TEXT NOT NULL,
    question TEXT,
    composer TEXT,
    model TEXT,
    sources TEXT NOT NULL,
    guard TEXT,
    status TEXT NOT NULL,
    task TEXT
);
CREATE INDEX IF NOT EXISTS events_at ON events(at);
"""
COLUMNS = ("id", "at", "user", "groups", "action", "question", "composer", "model", "sources", "guard", "status",
           "task")

# Version 0 is the layout above, as audit files were written before the layout had a version. Each step migrates
# a file of the version before it; all the steps a file needs run in one transaction with the new version number.
_MIGRATIONS: dict[int, str] = {
    # 1: the admin page's 利用者 filter and `total(user=...)` find one user's events without reading them all
    # (the index holds the rowid, `id`, so the newest-first page of one user is read in order from it).
    1: "CREATE INDEX IF NOT EXISTS events_user ON events(user);",
}
SCHEMA_VERSION = max(_MIGRATIONS)


@dataclass(frozen=True)
class Event:
    """One use of the service."""

    user: str
    groups: tuple[str, ...]
    # search | ask | draft | draft_docx | draft_notice | draft_notice_docx | login | admin.upload | admin.ingest |
    # admin.remove | admin.correct | ...
    action: str
    status: str  # ok | refused (no answer in the documents) | blocked (guard) | error: reason
    question: str | None = None
    composer: str | None = None
    model: str | None = None
    sources: tuple[str, ...] = ()
    guard: str | None = None
    task: str | None = None  # what the page says the user was doing (starter kind), for the usage report


class AuditLog:
    """Append-only record of use for one store."""

    def __init__(self, folder: Path, retention_days: int, zone: str = "Asia/Tokyo") -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "audit.sqlite"
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            _migrate(self._db, self.path)
        except BaseException:
            self._db.close()
            raise
        self._lock = threading.Lock()
        self.retention_days = retention_days
        self.zone = ZoneInfo(zone)  # usage periods are the city's days, weeks and months
        self._purged_on: dt.date | None = None
        self.purge()

    def record(self, event: Event) -> None:
        """Append one event (and, once a day, drop events past the retention period)."""
        if self._purged_on != dt.date.today():
            self.purge()
        with self._lock:
            self._db.execute(
                "INSERT INTO events(at, user, groups, action, question, composer, model, sources, guard, status, task)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (_now(), event.user, json.dumps(list(event.groups), ensure_ascii=False), event.action, event.question,
                 event.composer, event.model, json.dumps(list(event.sources), ensure_ascii=False), event.guard,
                 event.status, event.task))

    def purge(self) -> int:
        """Delete events older than the retention period; returns how many."""
        cutoff = (dt.datetime.now(dt.UTC) - dt.timedelta(days=self.retention_days)).isoformat()
        with self._lock:
            deleted = self._db.execute("DELETE FROM events WHERE at < ?", (cutoff,)).rowcount
        self._purged_on = dt.date.today()
        return deleted

    def events(self, limit: int = 100, offset: int = 0, user: str | None = None,
               action: str | None = None) -> list[dict[str, Any]]:
        """The newest events first, optionally of one user or action."""
        where, params = _where(user, action)
        rows = self._db.execute(f"SELECT {', '.join(COLUMNS)} FROM events {where} ORDER BY id DESC LIMIT ? OFFSET ?",
                                (*params, limit, offset)).fetchall()
        return [_row(r) for r in rows]

    def export_csv(self, since: str | None = None) -> str:
        """Every event (since an ISO date) as CSV with a header, oldest first."""
        rows = self._db.execute(f"SELECT {', '.join(COLUMNS)} FROM events WHERE at >= ? ORDER BY id",
                                (since or "",)).fetchall()
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow([_inert(cell) for cell in row])
        return out.getvalue()

    def total(self, user: str | None = None, action: str | None = None) -> int:
        """How many events there are (of one user or action)."""
        where, params = _where(user, action)
        return int(self._db.execute(f"SELECT COUNT(*) FROM events {where}", params).fetchone()[0])

    def usage(self, period: str = "week", since: str | None = None) -> list[dict[str, Any]]:
        """Counts per period (in the city's time zone), department (first group; 「(所属なし)」 without one) and
        task (the page's task, else the action) for the DX office: what staff use the tool for, and who."""
        if period not in _PERIODS:
            raise ValueError(f"period must be one of {', '.join(_PERIODS)}")
        rows = self._db.execute(
            "SELECT at, groups, user, action, task, status FROM events WHERE at >= ? AND action IN ('search', 'ask',"
            " 'draft', 'draft_docx', 'draft_notice', 'draft_notice_docx') ORDER BY id", (since or "",)).fetchall()
        counts: dict[tuple[str, str, str], dict[str, int]] = {}
        for at, groups, user, action, task, status in rows:
            department = next(iter(json.loads(groups)), "") or "(所属なし)"
            local = dt.datetime.fromisoformat(at).astimezone(self.zone).isoformat()
            key = (_PERIODS[period](local), department, task or action)
            bucket = counts.setdefault(key, {"requests": 0, "refused": 0, "users": 0})
            bucket["requests"] += 1
            bucket["refused"] += status != "ok"
            bucket.setdefault(f"user:{user}", 1)
        return [{"period": p, "department": d, "task": t, "requests": c["requests"], "not_ok": c["refused"],
                 "users": sum(1 for k in c if k.startswith("user:"))} for (p, d, t), c in sorted(counts.items())]


def _week(at: str) -> str:
    day = dt.date.fromisoformat(at[:10])
    return (day - dt.timedelta(days=day.weekday())).isoformat()


def _day(at: str) -> str:
    return at[:10]


def _month(at: str) -> str:
    return at[:7]


_PERIODS: dict[str, Callable[[str], str]] = {"day": _day, "week": _week, "month": _month}


def _where(user: str | None, action: str | None) -> tuple[str, tuple[str, ...]]:
    clauses, params = [], []
    if user:
        clauses.append("user = ?")
        params.append(user)
    if action:
        clauses.append("action = ?")
        params.append(action)
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), tuple(params)


# A spreadsheet runs a cell that starts like this as a formula (=HYPERLINK(...), +cmd|...), and a question is
# whatever a user typed. Japanese input may give the full-width forms, which Excel may take for the same.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def _inert(cell: Any) -> Any:
    """A CSV cell a spreadsheet shows as text: a leading apostrophe before a formula's first character."""
    return "'" + cell if isinstance(cell, str) and cell.startswith(_FORMULA_START) else cell


def _row(row: tuple[Any, ...]) -> dict[str, Any]:
    record = dict(zip(COLUMNS, row, strict=True))
    record["groups"] = json.loads(record["groups"])
    record["sources"] = json.loads(record["sources"])
    return record


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    """Bring the audit file at `path` to `SCHEMA_VERSION` (a new file gets the whole layout at once); refuse one
    written by a newer Kotae, whose layout this code cannot know. The version is read again inside the write
    transaction, so a server and `kotae audit export` opening an old file together migrate it once."""
    if _version(db, path) == SCHEMA_VERSION:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        version = _version(db, path)
        if version < SCHEMA_VERSION:
            # Statement by statement: `executescript` would commit the transaction half-way.
            for statement in _statements(_SCHEMA):
                db.execute(statement)
            for step in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _statements(_MIGRATIONS[step]):
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _version(db: sqlite3.Connection, path: Path) -> int:
    """The file's layout version; StoreError when a newer Kotae wrote it."""
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise StoreError(f"{path} was written by a newer Kotae (audit schema {version}; this one knows up to "
                         f"{SCHEMA_VERSION}): upgrade Kotae to open it")
    return version


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
