"""Jobs that write the index while the service serves it: ingestion, removal, repair and correction runs started
from the admin page or handed over by `kotae ingest` on the same machine.

They run inside the serving process (`ingest/jobs.py`): embedded Chroma is one process's store, so the process
that reads it is the only one that may write it (`kotae/index/owner.py`). This module holds what both sides
share: the `Job` record the admin API reports, and the `IngestionJobs` protocol the service is given at start-up
(the service never imports the writer side).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from kotae.errors import KotaeError

JobKind = Literal["ingest", "remove", "repair", "correct"]
JobStatus = Literal["running", "done", "failed", "cancelled"]


class JobBusy(KotaeError):
    """A job is already running on this store."""


@dataclass
class Job:
    """One run and what is known of it so far."""

    id: str
    kind: JobKind
    status: JobStatus = "running"
    files_total: int = 0
    files_done: int = 0
    chunks: int = 0
    eta_s: float | None = None
    current: str | None = None
    started_at: str = field(default_factory=lambda: now())
    finished_at: str | None = None
    summary: dict[str, Any] | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The job as JSON-ready data."""
        return asdict(self)


class IngestionJobs(Protocol):
    """Runs one job at a time on the served store; the latest jobs can be looked up by id."""

    def current(self) -> Job | None:
        """The running or last finished job (None before the first)."""

    def get(self, job_id: str) -> Job | None:
        """A recent job by id."""

    def ingest(self, paths: list[Path] | None) -> Job:
        """Ingest `paths` (None: every folder of the store and its uploads); raises `JobBusy`."""

    def remove(self, sources: list[str]) -> Job:
        """Remove documents from the index; raises `JobBusy`."""

    def repair(self, force: bool) -> Job:
        """Check the store and rebuild what is damaged; raises `JobBusy`."""

    def correct(self, source: str, changes: dict[str, str | None], by: str) -> Job:
        """Save an admin's corrections of a document's fields (None: drop one) and read the document again with
        them; raises `JobBusy`."""

    def cancel(self) -> Job | None:
        """Stop the running job (None when none runs)."""

    def close(self) -> None:
        """Cancel a running job and wait for it to end (at shutdown)."""


def now() -> str:
    """The time now, as the jobs report it."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
