"""Ingestion jobs started from the admin page. The writer side runs in its own process (`kotae ingest` /
`kotae remove`), as from a terminal: the service never imports it, a crash there cannot take the service
down, and the store's ingestion lock still allows one run at a time. Progress arrives as JSON lines on the
child's stderr; the summary is its stdout.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import threading
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kotae.errors import KotaeError


class JobBusy(KotaeError):
    """A job is already running on this store."""


@dataclass
class Job:
    """One ingestion or removal run and what is known of it so far."""

    id: str
    kind: str  # ingest | remove
    status: str = "running"  # running | done | failed | cancelled
    files_total: int = 0
    files_done: int = 0
    chunks: int = 0
    eta_s: float | None = None
    current: str | None = None
    started_at: str = field(default_factory=lambda: _now())
    finished_at: str | None = None
    summary: dict[str, Any] | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The job as JSON-ready data."""
        return asdict(self)


class JobRunner:
    """Runs one job at a time for the store at `store_dir`; `current` is the latest job."""

    def __init__(self, store_dir: Path) -> None:
        self.store_dir = store_dir
        self._lock = threading.Lock()
        self._job: Job | None = None
        self._process: subprocess.Popen[str] | None = None
        self._cancelled = False

    def current(self) -> Job | None:
        """The running or last finished job (None before the first)."""
        return self._job

    def ingest_all(self) -> Job:
        """Re-run ingestion over every folder of the store and its uploads."""
        return self._start("ingest", ["ingest", "--all", "--progress", "jsonl"])

    def remove(self, sources: list[str]) -> Job:
        """Remove documents from the index."""
        return self._start("remove", ["remove", *sources])

    def _start(self, kind: str, args: list[str]) -> Job:
        with self._lock:
            if self._job is not None and self._job.status == "running":
                raise JobBusy(f"a {self._job.kind} job is already running (started {self._job.started_at})")
            job = Job(id=uuid.uuid4().hex[:12], kind=kind)
            command = [sys.executable, "-m", "cli.main", *args, "--store", str(self.store_dir), "--json"]
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                       encoding="utf-8", errors="replace")
            self._job = job
            self._process = process
            self._cancelled = False
        threading.Thread(target=self._follow, args=(job, process), daemon=True, name=f"job-{job.id}").start()
        return job

    def cancel(self) -> Job | None:
        """Stop the running job. The writer is crash-safe: what it had not committed is invisible to searches and
        removed by the next run, so the index stays as it was before the job (or as far as it had committed)."""
        with self._lock:
            if self._job is None or self._job.status != "running" or self._process is None:
                return None
            self._cancelled = True
            self._process.terminate()
            return self._job

    def _follow(self, job: Job, process: subprocess.Popen[str]) -> None:
        """Update `job` from the child's progress lines until it exits, then record the summary or the error."""
        last_line = ""
        assert process.stderr is not None and process.stdout is not None
        stdout = process.stdout
        output_parts: list[str] = []
        # Read stdout alongside: a summary larger than the pipe buffer must not block the child.
        reader = threading.Thread(target=lambda: output_parts.append(stdout.read()), daemon=True)
        reader.start()
        for line in process.stderr:
            line = line.strip()
            if not line:
                continue
            event = _event(line)
            if event is None:
                last_line = line
            elif event.get("event") == "start":
                job.files_total = int(event.get("files", 0))
            elif event.get("event") == "file":
                job.files_done = int(event.get("done", 0))
                job.chunks = int(event.get("chunks_total", 0))
                job.eta_s = float(event.get("eta_s", 0.0))
                job.current = str(event.get("source", ""))
        code = process.wait()
        reader.join()
        output = "".join(output_parts)
        job.summary = _event(output.strip().splitlines()[-1]) if output.strip() else None
        job.current = None
        job.eta_s = 0.0 if code in (0, 1) else None
        if self._cancelled:
            job.status = "cancelled"
            job.error = "cancelled by an admin; documents it had not committed are unchanged"
        elif code in (0, 1) and job.summary is not None:  # 1: some files failed; they are listed in the summary
            job.status = "done"
        else:
            job.status = "failed"
            job.error = last_line.removeprefix("kotae: error: ") or f"the {job.kind} run exited with status {code}"
        job.finished_at = _now()


def _event(line: str) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
