"""Ingestion, removal, repair and correction jobs run inside the serving process, one at a time, each in a thread.

Why inside: embedded Chroma is one process's store. When the service read it while an ingestion child process
wrote it, re-ingestions failed with `Error getting embedding` and broke the store for good; a thread of the
serving process shares the service's one Chroma client instead (`kotae/index/owner.py`). Documents are still
parsed in a worker process (`prepare.py`), so a parser's crash cannot take the service down.

Cancelling sets a flag the run checks between documents; what it had committed stays (see `pipeline.py`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ingest.pipeline import Cancelled, correct_document, remove_documents, run_ingest, run_repair, store_folders
from ingest.prepare import one_line
from kotae.errors import KotaeError
from kotae.jobs import Job, JobBusy, JobKind, now
from kotae.settings import Settings

KEPT = 20  # finished jobs that can still be looked up by id
log = logging.getLogger(__name__)


JOB_NICENESS = 10  # a run gives way to searches and answers for the two cores (the worker it starts inherits it)


def _yield_to_requests() -> None:
    """Lower this thread's scheduling priority (Linux schedules threads one by one), so staff's requests are
    served first while a run works and the run takes whatever the cores have left."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), JOB_NICENESS)


class _JobProgress:
    """The pipeline's progress, written into the job the admin page polls."""

    def __init__(self, job: Job) -> None:
        self._job = job
        self._started = time.monotonic()

    def start(self, files: int) -> None:
        """`files` documents are about to be processed."""
        self._job.files_total = files
        self._started = time.monotonic()

    def file_done(self, source: str, chunks: int, status: str) -> None:
        """One more file done: counts, the file, and the time left at the pace so far."""
        job = self._job
        job.files_done += 1
        job.chunks += chunks
        job.current = source
        elapsed = time.monotonic() - self._started
        job.eta_s = round((job.files_total - job.files_done) * elapsed / job.files_done, 1)

    def close(self) -> None:
        """Nothing to close."""


class JobRunner:
    """Runs the jobs of the store `settings` names; `current` is the latest."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._thread: threading.Thread | None = None
        self._cancel = threading.Event()

    def current(self) -> Job | None:
        """The running or last finished job (None before the first)."""
        with self._lock:
            return next(reversed(self._jobs.values()), None)

    def get(self, job_id: str) -> Job | None:
        """A recent job by id."""
        with self._lock:
            return self._jobs.get(job_id)

    def ingest(self, paths: list[Path] | None) -> Job:
        """Ingest `paths`, or (None) every folder of the store and its uploads; only what changed is redone."""
        return self._start("ingest", lambda job: run_ingest(
            paths if paths is not None else store_folders(self.settings), self.settings, _JobProgress(job),
            self._cancel).as_dict())

    def remove(self, sources: list[str]) -> Job:
        """Remove documents from the index and from later runs."""
        return self._start("remove", lambda job: remove_documents(sources, self.settings).as_dict())

    def repair(self, force: bool) -> Job:
        """Check the store and rebuild what is damaged from the catalogue."""
        return self._start("repair", lambda job: run_repair(self.settings, force).as_dict())

    def correct(self, source: str, changes: dict[str, str | None], by: str) -> Job:
        """Save an admin's corrections of a document's fields and read the document again with them."""
        return self._start("correct", lambda job: correct_document(
            source, dict(changes), by, self.settings, _JobProgress(job), self._cancel).as_dict())

    def cancel(self) -> Job | None:
        """Ask the running job to stop at the next document (None when none runs)."""
        job = self.current()
        if job is None or job.status != "running":
            return None
        self._cancel.set()
        return job

    def close(self) -> None:
        """Cancel a running job and wait for it to end."""
        self.cancel()
        thread = self._thread
        if thread is not None:
            thread.join()

    def _start(self, kind: JobKind, work: Callable[[Job], dict[str, Any]]) -> Job:
        with self._lock:
            running = next((j for j in self._jobs.values() if j.status == "running"), None)
            if running is not None:
                raise JobBusy(f"a {running.kind} job is already running (started {running.started_at})")
            job = Job(id=uuid.uuid4().hex[:12], kind=kind)
            self._jobs[job.id] = job
            while len(self._jobs) > KEPT:
                self._jobs.popitem(last=False)
            self._cancel.clear()
            self._thread = threading.Thread(target=self._run, args=(job, work), daemon=True, name=f"job-{job.id}")
        self._thread.start()
        return job

    def _run(self, job: Job, work: Callable[[Job], dict[str, Any]]) -> None:
        """Do the work and record how it ended: done (files that failed are listed in the summary), cancelled,
        or failed with a one-line reason."""
        _yield_to_requests()
        try:
            job.summary = work(job)
            job.status = "done"
        except Cancelled as exc:
            job.status, job.error = "cancelled", str(exc)
        except KotaeError as exc:
            job.status, job.error = "failed", one_line(exc)
        except Exception as exc:  # a bug: the service goes on, the admin sees the job failed, the log has it
            log.exception("the %s job %s failed", job.kind, job.id)
            job.status, job.error = "failed", f"unexpected error ({type(exc).__name__}): {exc}"
        job.current = None
        job.eta_s = 0.0 if job.status == "done" else None
        job.finished_at = now()
