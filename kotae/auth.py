"""Users of one store: name, role (staff / admin), access groups, API tokens, a hashed password for the web
login, and login sessions. Kept in `users.sqlite` beside the index; only hashes of secrets are stored.

Everyone also belongs to the group `everyone` (the default access group of a document); admins see every
document, since they manage the index and its files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from kotae.errors import KotaeError

ROLES = ("staff", "admin")
EVERYONE = "everyone"
_NAME = re.compile(r"^[^\s\x00-\x1f/\\]{1,64}$")
_GROUP = re.compile(r"^[^\s,\x00-\x1f]{1,64}$")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS users(name TEXT PRIMARY KEY, role TEXT NOT NULL, groups TEXT NOT NULL,
                                 password TEXT, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens(hash TEXT PRIMARY KEY, name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
                                  created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions(hash TEXT PRIMARY KEY, name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
                                    expires TEXT NOT NULL);
"""


class UserError(KotaeError):
    """A user name, role, group or password is invalid, or the user does not exist / exists already."""


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
        self._db = sqlite3.connect(folder / "users.sqlite", check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def add(self, name: str, role: str, groups: list[str]) -> str:
        """Create a user; returns a new API token (shown once, stored only as a hash)."""
        _check(name, role, groups)
        with self._lock:
            try:
                self._db.execute("INSERT INTO users VALUES (?, ?, ?, NULL, ?)",
                                 (name, role, json.dumps(groups, ensure_ascii=False), _now()))
            except sqlite3.IntegrityError as exc:
                raise UserError(f"user {name!r} exists already") from exc
        return self.new_token(name)

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

    def new_token(self, name: str) -> str:
        """Issue another API token for `name`."""
        token = "kt_" + secrets.token_urlsafe(32)
        with self._lock:
            self._db.execute("INSERT INTO tokens VALUES (?, ?, ?)", (_digest(token), name, _now()))
        return token

    def by_token(self, token: str) -> User | None:
        """The user an API token belongs to."""
        row = self._db.execute("SELECT name FROM tokens WHERE hash = ?", (_digest(token),)).fetchone()
        return self.get(row[0]) if row else None

    def set_password(self, name: str, password: str) -> None:
        """Set the web login password (at least 10 characters), stored as a scrypt hash."""
        if len(password) < 10:
            raise UserError("the password must have at least 10 characters")
        if self.get(name) is None:
            raise UserError(f"no user {name!r}")
        with self._lock:
            self._db.execute("UPDATE users SET password = ? WHERE name = ?", (_hash_password(password), name))

    def check_password(self, name: str, password: str) -> User | None:
        """The user, when `password` is theirs (same work whether or not the user exists)."""
        row = self._db.execute("SELECT password FROM users WHERE name = ?", (name,)).fetchone()
        stored = row[0] if row and row[0] else _DUMMY_HASH
        ok = _verify_password(password, stored)
        return self.get(name) if ok and row and row[0] else None

    def new_session(self, name: str, hours: float) -> str:
        """Start a login session; returns its cookie value."""
        token = secrets.token_urlsafe(32)
        expires = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)).isoformat()
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
