"""Handing a command-line run to the `kotae serve` that holds the store.

Embedded Chroma is one process's store (`kotae/index/owner.py`): while a server holds it, `kotae ingest`,
`kotae remove` and `kotae repair` on the same machine do not open it but start the run as a job of the server
(`POST /api/admin/jobs`), follow it, and end as a local run would (same output, same exit status). They
authenticate with the server's control secret, read from the store's lock file, which only the store's owner can
read. A run the server is busy with is waited for.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import httpx

from kotae.errors import KotaeError, StoreError
from kotae.index.owner import Holder

POLL_S = 0.5
TIMEOUT_S = 30.0  # one request (a job itself may take hours)


def run_via_server(holder: Holder, body: dict[str, Any]) -> dict[str, Any]:
    """Run a job on the server `holder` describes and return its summary; raises `KotaeError` with the job's
    reason when it failed or was cancelled."""
    assert holder.url is not None and holder.token is not None
    headers = {"Authorization": f"Bearer {holder.token}"}
    print(f"kotae: the store is held by {holder.describe()}: running this as one of its jobs", file=sys.stderr)
    with httpx.Client(base_url=holder.url, headers=headers, timeout=TIMEOUT_S) as client:
        job = _start(client, body)
        shown = -1
        while job["status"] == "running":
            if job["files_done"] != shown and job["files_total"]:
                shown = job["files_done"]
                print(f"[{shown}/{job['files_total']}] {job.get('current') or ''}", file=sys.stderr, flush=True)
            time.sleep(POLL_S)
            job = _get(client, f"/api/admin/jobs/{job['id']}")
    if job["status"] != "done" or job["summary"] is None:
        raise KotaeError(job.get("error") or f"the server's {job['kind']} job ended {job['status']}")
    summary: dict[str, Any] = job["summary"]
    return summary


def _start(client: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    """Start the job, waiting while the server runs another one."""
    waited = False
    while True:
        response = _call(client, "POST", "/api/admin/jobs", json=body)
        if response.status_code != 409:
            break
        if not waited:
            print(f"kotae: waiting for the server's running job to finish ({_detail(response)})", file=sys.stderr)
            waited = True
        time.sleep(POLL_S * 4)
    if response.status_code != 202:
        raise KotaeError(f"the server refused the job ({response.status_code}): {_detail(response)}")
    job: dict[str, Any] = response.json()
    return job


def _get(client: httpx.Client, path: str) -> dict[str, Any]:
    response = _call(client, "GET", path)
    if response.status_code != 200:
        raise KotaeError(f"the server lost track of the job ({response.status_code}): {_detail(response)}")
    job: dict[str, Any] = response.json()
    return job


def _call(client: httpx.Client, method: str, path: str, **kwargs: Any) -> httpx.Response:
    try:
        return client.request(method, path, **kwargs)
    except httpx.HTTPError as exc:
        raise StoreError(f"the server holding the store did not answer at {client.base_url} ({exc}); if it has "
                         "stopped, run the command again") from exc


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", response.text))
    except (ValueError, AttributeError):
        return response.text[:200]


def as_json(summary: dict[str, Any]) -> str:
    """The summary as the local run prints it with `--json`."""
    return json.dumps(summary, ensure_ascii=False)
