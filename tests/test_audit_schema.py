"""The audit file's layout version: a file written before the layout had a version (user_version 0) is migrated
in place with its rows kept, a second open changes nothing, a new file starts at the current version, and a
file from a newer Kotae is refused with an error naming it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kotae.errors import StoreError
from service.audit import SCHEMA_VERSION, AuditLog, Event

# The previous code's layout, copied as it was (service/audit.py before the version): files of it have
# user_version 0.
_PREVIOUS_SCHEMA = """
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
RETENTION_DAYS = 3650  # the rows below are recent: none is purged on open


def _previous_file(folder: Path) -> Path:
    """An audit file as the previous code wrote it, with three events (the way it inserted them)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "audit.sqlite"
    db = sqlite3.connect(path, isolation_level=None)
    db.executescript(_PREVIOUS_SCHEMA)
    rows = [("2099-01-01T00:00:00+00:00", "staff1", '["福祉課"]', "ask", "保育料はいくらか", "extractive", None,
             '["fukushi/hoikuryo.md"]', None, "ok", "research"),
            ("2099-01-01T00:01:00+00:00", "staff2", "[]", "search", "ごみ 分別", None, None, "[]", None, "refused",
             None),
            ("2099-01-01T00:02:00+00:00", "admin", "[]", "admin.ingest", None, None, None, "[]", None, "ok", None)]
    db.executemany("INSERT INTO events(at, user, groups, action, question, composer, model, sources, guard, status,"
                   " task) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 0
    db.close()
    return path


def _layout(path: Path) -> tuple[int, list[tuple[str, str, str]], list[tuple[object, ...]]]:
    """The file's version, its tables and indexes (type, name, SQL) and every event row."""
    db = sqlite3.connect(path)
    try:
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        objects = db.execute("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
                             " ORDER BY type, name").fetchall()
        rows = db.execute("SELECT * FROM events ORDER BY id").fetchall()
    finally:
        db.close()
    return version, objects, rows


def test_previous_layout_is_migrated_in_place_with_its_rows(tmp_path: Path) -> None:
    path = _previous_file(tmp_path / "store")
    _, _, rows_before = _layout(path)

    log = AuditLog(path.parent, RETENTION_DAYS)
    version, objects, rows = _layout(path)
    assert version == SCHEMA_VERSION == 1
    assert rows == rows_before
    assert ("index", "events_user") in [(kind, name) for kind, name, _ in objects]
    assert [e["user"] for e in log.events()] == ["admin", "staff2", "staff1"]
    assert [e["question"] for e in log.events(user="staff1")] == ["保育料はいくらか"]
    assert log.events(user="staff1")[0]["sources"] == ["fukushi/hoikuryo.md"]
    assert log.total(user="staff2") == 1
    # The filter by user reads the new index.
    plan = log._db.execute("EXPLAIN QUERY PLAN SELECT id FROM events WHERE user = ? ORDER BY id DESC",
                           ("staff1",)).fetchall()
    assert any("events_user" in str(step[-1]) for step in plan), plan
    # And the migrated file takes new events after the old ones.
    log.record(Event(user="staff3", groups=("税務課",), action="ask", status="ok", question="固定資産税の納期"))
    assert [e["user"] for e in log.events(limit=2)] == ["staff3", "admin"]


def test_second_open_is_a_no_op(tmp_path: Path) -> None:
    path = _previous_file(tmp_path / "store")
    AuditLog(path.parent, RETENTION_DAYS)
    after_first = _layout(path)
    stamp = path.stat().st_mtime_ns
    db = sqlite3.connect(path)
    changes_before = db.execute("PRAGMA data_version").fetchone()[0]

    AuditLog(path.parent, RETENTION_DAYS)
    assert _layout(path) == after_first
    assert db.execute("PRAGMA data_version").fetchone()[0] == changes_before  # nobody wrote to the file
    assert path.stat().st_mtime_ns == stamp
    db.close()


def test_new_file_starts_at_the_current_version(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "store", RETENTION_DAYS)
    log.record(Event(user="staff1", groups=(), action="search", status="ok", question="除雪"))
    version, objects, _ = _layout(tmp_path / "store" / "audit.sqlite")
    assert version == SCHEMA_VERSION
    # A new file and a migrated one have the same layout.
    _, migrated, _ = _layout(_migrated(tmp_path / "old"))
    assert objects == migrated


def _migrated(folder: Path) -> Path:
    path = _previous_file(folder)
    AuditLog(folder, RETENTION_DAYS)
    return path


def test_file_from_a_newer_kotae_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = _previous_file(tmp_path / "store")
    db = sqlite3.connect(path, isolation_level=None)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    before = _layout(path)

    with pytest.raises(StoreError) as refused:
        AuditLog(path.parent, RETENTION_DAYS)
    message = str(refused.value)
    assert str(path) in message
    assert "newer Kotae" in message and f"audit schema {SCHEMA_VERSION + 1}" in message
    assert "upgrade Kotae" in message
    assert _layout(path) == before  # not migrated, not purged


def test_failed_migration_leaves_the_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The steps run in one transaction: a step that fails leaves the file as it was, at version 0."""
    import service.audit as audit

    path = _previous_file(tmp_path / "store")
    before = _layout(path)
    monkeypatch.setattr(audit, "_MIGRATIONS", {1: "CREATE INDEX events_user ON events(user); SELECT * FROM nowhere"})
    with pytest.raises(sqlite3.OperationalError):
        AuditLog(path.parent, RETENTION_DAYS)
    assert _layout(path) == before
