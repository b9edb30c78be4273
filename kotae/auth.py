"""Users of one store: name, role (staff / admin), access groups, API tokens, a hashed password for the web
login, and login sessions. Kept in `users.sqlite` beside the index; only hashes of secrets are stored.

Everyone also belongs to the group `everyone` (the default access group of a document); admins see every
document, since they manage the index and its files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kotae.errors import KotaeError, StoreError

ROLES = ("staff", "admin")
EVERYONE = "everyone"
_NAME = re.compile(r"^[^\s\x00-\x1f/\\]{1,64}$")
_GROUP = re.compile(r"^[^\s,\x00-\x1f]{1,64}$")
# The layout of users.sqlite, numbered in `PRAGMA user_version`. 0 is the first layout, written before the file
# had a version (tokens without expiry); 2 adds `tokens.expires`. A store is migrated in place when opened.
SCHEMA_VERSION = 2
_SCHEMA = """
CREATE TABLE IF NOT EXISTS users(name TEXT PRIMARY KEY, role TEXT NOT NULL, groups TEXT NOT NULL,
                                 password TEXT, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens(hash TEXT PRIMARY KEY, name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
                                  created TEXT NOT NULL, expires TEXT);
CREATE TABLE IF NOT EXISTS sessions(hash TEXT PRIMARY KEY, name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
                                    expires TEXT NOT NULL);
"""
TOKEN_ID_CHARS = 12  # a token's id: the first hex characters of its hash (names it without revealing it)
MAX_TOKEN_DAYS = 3650


class UserError(KotaeError):
    """A user name, role, group, password or token is invalid, or the user does not exist / exists already."""


@dataclass(frozen=True)
class TokenInfo:
    """What `kotae user token NAME --list` shows of a token: never the secret, only an id derived from its hash."""

    id: str
    created: str
    expires: str | None  # None: never expires

    @property
    def expired(self) -> bool:
        """Whether the token's expiry has passed (it then signs nobody in)."""
        return self.expires is not None and self.expires <= _now()


@dataclass(frozen=True)
class User:
    """Who is asking: `groups` are the access groups of documents they may see (plus `everyone`)."""

    name: str
    role: str
    groups: tuple[str, ...] = ()

    @property
    def is_admin(self) -> bool:
        """Admins manage the index and see every document."""
        return self.role == "admin"

    def visible_groups(self) -> tuple[str, ...] | None:
        """The access groups whose documents this user may see; None means every document (admins)."""
        return None if self.is_admin else (EVERYONE, *self.groups)


LOCAL_USER = User("local", "admin")  # the single user of the embedded run without authentication


class UserStore:
    """The users of the store at `folder` (created on first use)."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "users.sqlite"
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA foreign_keys = ON")
        self._lock = threading.Lock()
        self._open_schema()

    def _open_schema(self) -> None:
        """Create the tables, or bring an older layout up to SCHEMA_VERSION in place; refuse a newer one.
        One write transaction, so a server and a `kotae user` command opening the file together migrate once."""
        with self._transaction():
            version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise StoreError(f"{self.path} has schema version {version}, newer than this Kotae knows "
                                 f"({SCHEMA_VERSION}): it was written by a newer release; upgrade Kotae to use it")
            if version < SCHEMA_VERSION:
                self._migrate()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """Several statements as one write: all of them or none."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _migrate(self) -> None:
        """Version 0 (no version: tokens had no expiry) -> 2; a new file gets the current tables directly."""
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                self._db.execute(statement)  # executescript would commit the open transaction
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(tokens)")}
        if "expires" not in columns:
            self._db.execute("ALTER TABLE tokens ADD COLUMN expires TEXT")  # old tokens: never expire
        self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def add(self, name: str, role: str, groups: list[str], token_days: int | None = None) -> str:
        """Create a user; returns a new API token (shown once, stored only as a hash), valid for `token_days`
        days (None: until revoked)."""
        _check(name, role, groups)
        _check_days(token_days)
        with self._lock:
            try:
                self._db.execute("INSERT INTO users VALUES (?, ?, ?, NULL, ?)",
                                 (name, role, json.dumps(groups, ensure_ascii=False), _now()))
            except sqlite3.IntegrityError as exc:
                raise UserError(f"user {name!r} exists already") from exc
        return self.new_token(name, token_days)

    def remove(self, name: str) -> None:
        """Delete a user with their tokens and sessions."""
        with self._lock:
            if self._db.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount == 0:
                raise UserError(f"no user {name!r}")

    def users(self) -> list[User]:
        """Every user, by name."""
        rows = self._db.execute("SELECT name, role, groups FROM users ORDER BY name").fetchall()
        return [User(n, r, tuple(json.loads(g))) for n, r, g in rows]

    def get(self, name: str) -> User | None:
        """The user called `name`, if any."""
        row = self._db.execute("SELECT name, role, groups FROM users WHERE name = ?", (name,)).fetchone()
        return User(row[0], row[1], tuple(json.loads(row[2]))) if row else None

    def new_token(self, name: str, days: int | None = None) -> str:
        """Issue another API token for `name`, valid for `days` days (None: until revoked)."""
        _check_days(days)
        if self.get(name) is None:
            raise UserError(f"no user {name!r}")
        token = "kt_" + secrets.token_urlsafe(32)
        expires = None if days is None else _later(hours=24 * days)
        with self._lock:
            self._db.execute("INSERT INTO tokens VALUES (?, ?, ?, ?)", (_digest(token), name, _now(), expires))
        return token

    def by_token(self, token: str) -> User | None:
        """The user an API token belongs to; an expired token is refused like an unknown one."""
        row = self._db.execute("SELECT name FROM tokens WHERE hash = ? AND (expires IS NULL OR expires > ?)",
                               (_digest(token), _now())).fetchone()
        return self.get(row[0]) if row else None

    def tokens(self, name: str) -> list[TokenInfo]:
        """`name`'s API tokens (expired ones too, marked so), oldest first."""
        self._require(name)
        rows = self._db.execute("SELECT hash, created, expires FROM tokens WHERE name = ? ORDER BY created, hash",
                                (name,)).fetchall()
        return [TokenInfo(h[:TOKEN_ID_CHARS], c, e) for h, c, e in rows]

    def revoke_token(self, name: str, token_id: str) -> None:
        """Revoke one of `name`'s tokens by its id (as `tokens()` lists it)."""
        self._require(name)
        token_id = token_id.strip().lower()
        if not re.fullmatch(f"[0-9a-f]{{{TOKEN_ID_CHARS}}}", token_id):
            raise UserError(f"token id {token_id!r}: {TOKEN_ID_CHARS} hex characters, as `kotae user token "
                            f"{name} --list` shows (or 'all')")
        with self._lock:
            gone = self._db.execute("DELETE FROM tokens WHERE name = ? AND substr(hash, 1, ?) = ?",
                                    (name, TOKEN_ID_CHARS, token_id)).rowcount
        if gone == 0:
            raise UserError(f"user {name!r} has no token {token_id} (see `kotae user token {name} --list`)")

    def revoke_all(self, name: str) -> int:
        """Revoke every token of `name` and end their sessions (a leaked credential, someone leaving); returns
        the number of tokens revoked."""
        self._require(name)
        with self._transaction():
            gone = self._db.execute("DELETE FROM tokens WHERE name = ?", (name,)).rowcount
            self._db.execute("DELETE FROM sessions WHERE name = ?", (name,))
        return int(gone)

    def set_password(self, name: str, password: str) -> None:
        """Set the web login password (at least 10 characters), stored as a scrypt hash. Ends the user's
        sessions: a password is changed because someone else may know it, and their sessions must go with it."""
        if len(password) < 10:
            raise UserError("the password must have at least 10 characters")
        self._require(name)
        hashed = _hash_password(password)
        with self._transaction():
            self._db.execute("UPDATE users SET password = ? WHERE name = ?", (hashed, name))
            self._db.execute("DELETE FROM sessions WHERE name = ?", (name,))

    def check_password(self, name: str, password: str) -> User | None:
        """The user, when `password` is theirs (same work whether or not the user exists)."""
        row = self._db.execute("SELECT password FROM users WHERE name = ?", (name,)).fetchone()
        stored = row[0] if row and row[0] else _DUMMY_HASH
        ok = _verify_password(password, stored)
        return self.get(name) if ok and row and row[0] else None

    def new_session(self, name: str, hours: float) -> str:
        """Start a login session; returns its cookie value."""
        token = secrets.token_urlsafe(32)
        expires = _later(hours=hours)
        with self._lock:
            self._db.execute("DELETE FROM sessions WHERE expires < ?", (_now(),))
            self._db.execute("INSERT INTO sessions VALUES (?, ?, ?)", (_digest(token), name, expires))
        return token

    def by_session(self, token: str) -> User | None:
        """The user of a live session."""
        row = self._db.execute("SELECT name FROM sessions WHERE hash = ? AND expires > ?",
                               (_digest(token), _now())).fetchone()
        return self.get(row[0]) if row else None

    def end_session(self, token: str) -> None:
        """Log out."""
        with self._lock:
            self._db.execute("DELETE FROM sessions WHERE hash = ?", (_digest(token),))

    def _require(self, name: str) -> None:
        if self.get(name) is None:
            raise UserError(f"no user {name!r}")


def parse_groups(text: str) -> list[str]:
    """「g1,g2」 as a list (blanks ignored)."""
    return [g.strip() for g in text.split(",") if g.strip()]


def _check(name: str, role: str, groups: list[str]) -> None:
    if not _NAME.match(name):
        raise UserError(f"user name {name!r}: 1 to 64 characters, no blanks or slashes")
    if role not in ROLES:
        raise UserError(f"role {role!r}: must be one of {', '.join(ROLES)}")
    for group in groups:
        if not _GROUP.match(group):
            raise UserError(f"group {group!r}: 1 to 64 characters, no blanks or commas")


def _check_days(days: int | None) -> None:
    if days is not None and not 1 <= days <= MAX_TOKEN_DAYS:
        raise UserError(f"token expiry {days} days: must be 1 to {MAX_TOKEN_DAYS} days")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt$16384$8$1${salt.hex()}${key.hex()}"


def _verify_password(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, key = stored.split("$")
        derived = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(derived.hex(), key)


_DUMMY_HASH = _hash_password("not a password", b"\x00" * 16)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _later(hours: float) -> str:
    """`hours` from now, in the same ISO form as `_now()` (so the two compare as strings)."""
    return (dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)).isoformat()
