"""Progress of an ingestion run: a bar on a terminal (files, chunks, chunks/s, ETA), plain lines otherwise.

Everything goes to stderr, so `--json` output on stdout stays exactly one JSON object.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, Protocol


class Progress(Protocol):
    """What the pipeline reports while it works."""

    def start(self, files: int) -> None:
        """`files` documents are about to be processed."""

    def file_done(self, source: str, chunks: int, status: str) -> None:
        """One file finished with `chunks` chunks; status is added / updated / failed / duplicate."""

    def close(self) -> None:
        """The run is over."""


class SilentProgress:
    """Reports nothing (library use and tests)."""

    def start(self, files: int) -> None:
        """Nothing to show."""

    def file_done(self, source: str, chunks: int, status: str) -> None:
        """Nothing to show."""

    def close(self) -> None:
        """Nothing to show."""


class ConsoleProgress:
    """A tqdm bar when stderr is a terminal, else one plain line per file."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._files = 0
        self._done = 0
        self._chunks = 0
        self._started = time.monotonic()
        self._tty = sys.stderr.isatty()

    def start(self, files: int) -> None:
        """Open the bar for `files` documents."""
        self._files = files
        self._started = time.monotonic()
        if self._tty and files:
            from tqdm import tqdm

            self._bar = tqdm(total=files, unit="file", file=sys.stderr, dynamic_ncols=True)

    def file_done(self, source: str, chunks: int, status: str) -> None:
        """Advance by one file."""
        self._done += 1
        self._chunks += chunks
        elapsed = max(time.monotonic() - self._started, 1e-6)
        rate = self._chunks / elapsed
        if self._bar is not None:
            self._bar.set_postfix(chunks=self._chunks, chunks_per_s=f"{rate:.1f}")
            self._bar.update(1)
            return
        eta = (self._files - self._done) * elapsed / self._done
        print(
            f"[{self._done}/{self._files}] {status:<9} {source} ({chunks} chunks; total {self._chunks}, "
            f"{rate:.1f} chunks/s, ETA {eta:.0f} s)",
            file=sys.stderr,
            flush=True,
        )

    def close(self) -> None:
        """Close the bar."""
        if self._bar is not None:
            self._bar.close()


class JsonLinesProgress:
    """One JSON object per line on stderr, for a program that follows the run (the admin page's job runner):
    {"event": "start", "files": N}, then {"event": "file", "source", "status", "chunks", "done", "files",
    "chunks_total", "eta_s"} per file."""

    def __init__(self) -> None:
        self._files = 0
        self._done = 0
        self._chunks = 0
        self._started = time.monotonic()

    def start(self, files: int) -> None:
        """Announce the number of files to process."""
        self._files = files
        self._started = time.monotonic()
        self._emit({"event": "start", "files": files})

    def file_done(self, source: str, chunks: int, status: str) -> None:
        """One line per finished file, with the running totals and the estimated time left."""
        self._done += 1
        self._chunks += chunks
        elapsed = time.monotonic() - self._started
        eta = round((self._files - self._done) * elapsed / self._done, 1)
        self._emit({"event": "file", "source": source, "status": status, "chunks": chunks, "done": self._done,
                    "files": self._files, "chunks_total": self._chunks, "eta_s": eta})

    def close(self) -> None:
        """Nothing more to say: the summary goes to stdout."""

    @staticmethod
    def _emit(event: dict[str, Any]) -> None:
        print(json.dumps(event, ensure_ascii=False), file=sys.stderr, flush=True)
