"""Who has an embedded store open: one process at a time.

Embedded Chroma is one process's store. When the service read it while an ingestion child process wrote it,
repeated re-ingestions failed with `Error getting embedding` and left a store no run could open (once the native
code segfaulted). So the process that opens a store's vectors holds an exclusive lock on `owner.lock` until it
closes them: `kotae serve` for as long as it serves (its admin jobs ingest inside it), a command-line run for as
long as it runs. Within that process any number of readers and one writer share one Chroma client.

The lock file also says who holds it (pid, command, host) and, for a server, where its API listens and a
secret that lets the same machine's `kotae ingest` hand its run to the server instead of opening the store.
The file is readable by the store's owner only (mode 0600), like everything else in the store.

The lock is an advisory `flock`, released by the kernel when the holder dies, so a killed process never leaves a
store locked; the text it leaves behind only describes a past holder and is ignored.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from kotae.errors import StoreError

LOCK_FILE = "owner.lock"
_WAIT_STEP_S = 0.5
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Holder:
    """The process that holds a store: what it runs and, for `kotae serve`, where to reach its API."""

    pid: int
    command: str
    host: str
    url: str | None = None
    token: str | None = field(default=None, repr=False)  # the server's control secret

    def describe(self) -> str:
        """「`kotae serve` (pid 123 on host, http://127.0.0.1:8000)」"""
        where = f"pid {self.pid} on {self.host}" + (f", {self.url}" if self.url else "")
        what = f"`kotae {self.command}`" if self.command != LIBRARY else "a program using Kotae"
        return f"{what} ({where})"


class StoreInUse(StoreError):
    """Another process holds the store; `holder` says which (None when it has not said yet)."""

    def __init__(self, message: str, holder: Holder | None) -> None:
        super().__init__(message)
        self.holder = holder


@dataclass
class _Held:
    handle: IO[str]
    count: int
    info: dict[str, object]


_held: dict[str, _Held] = {}
_lock = threading.Lock()
LIBRARY = "(library)"
_command = LIBRARY  # what this process runs, for other processes' messages (the `kotae` command names it)


def set_command(command: str) -> None:
    """Name what this process runs (`serve`, `ingest`, ...), as other processes' messages will show it."""
    global _command
    _command = command


def hold(root: Path, wait_s: float = 0.0) -> None:
    """Hold the store at `root` for this process (re-entrant: every `hold` needs one `release`).

    Raises `StoreInUse` naming the holder when another process has it, after waiting up to `wait_s` seconds."""
    key = _key(root)
    deadline = time.monotonic() + wait_s
    waiting = False
    while True:
        with _lock:
            held = _held.get(key)
            if held is not None:
                held.count += 1
                return
            root.mkdir(parents=True, exist_ok=True)
            handle = _open(root)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read(handle)
                handle.close()
            else:
                info: dict[str, object] = {"pid": os.getpid(), "command": _command, "host": socket.gethostname()}
                _write(handle, info)
                _held[key] = _Held(handle, 1, info)
                return
        if time.monotonic() >= deadline:
            raise StoreInUse(busy_message(root, holder), holder)
        if not waiting:
            log.warning("waiting for %s to let go of the store at %s", holder.describe() if holder else "another "
                        "process", root)
            waiting = True
        time.sleep(_WAIT_STEP_S)


def release(root: Path) -> None:
    """Give back one `hold`; the last one unlocks the store."""
    key = _key(root)
    with _lock:
        held = _held.get(key)
        if held is None:
            return
        held.count -= 1
        if held.count > 0:
            return
        del _held[key]
        with contextlib.suppress(OSError):
            _write(held.handle, {})
        fcntl.flock(held.handle, fcntl.LOCK_UN)
        held.handle.close()


def held_here(root: Path) -> bool:
    """Whether this process holds the store."""
    with _lock:
        return _key(root) in _held


def announce(root: Path, url: str, token: str) -> None:
    """Say, in the lock file, where this process's API listens and its control secret (a held store only)."""
    with _lock:
        held = _held.get(_key(root))
        if held is None:
            raise StoreError(f"the store at {root} is not held by this process")
        held.info.update(url=url, token=token)
        _write(held.handle, held.info)


def holder_of(root: Path) -> Holder | None:
    """The other process holding the store at `root`, or None when it is free or held by this process."""
    if held_here(root) or not (root / LOCK_FILE).is_file():
        return None
    with open(root / LOCK_FILE, encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read(handle) or Holder(pid=0, command="(starting)", host="?")
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None


def busy_message(root: Path, holder: Holder | None) -> str:
    """「the store at ROOT is in use by `kotae ingest` (pid …): try again when it has finished」"""
    who = holder.describe() if holder else "another process"
    advice = ("use its web page or API, or stop it first" if holder and holder.command == "serve"
              else "try again when it has finished")
    return f"the store at {root} is in use by {who}: {advice}"


def _key(root: Path) -> str:
    return os.path.realpath(root)


def _open(root: Path) -> IO[str]:
    """The lock file, created readable by the owner only (it may hold the control secret)."""
    fd = os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "r+", encoding="utf-8")


def _write(handle: IO[str], info: dict[str, object]) -> None:
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps(info, ensure_ascii=False))
    handle.flush()


def _read(handle: IO[str]) -> Holder | None:
    try:
        handle.seek(0)
        data = json.loads(handle.read() or "{}")
        return Holder(pid=int(data["pid"]), command=str(data["command"]), host=str(data["host"]),
                      url=data.get("url"), token=data.get("token"))
    except (OSError, ValueError, KeyError, TypeError):
        return None  # being written, or left by an older version: the lock alone tells that it is held
