"""A full disk: the run that hits it ends with one line saying so, searches go on, and once space is freed the
next run succeeds and ends in the state of a clean run. A run that lacks room is refused before it writes.

The store lives on a small tmpfs volume mounted for the test (skipped, with the reason, where mounting is not
permitted); the real `kotae` command runs in processes of its own and the disk is filled while it works.
"""

from __future__ import annotations

import contextlib
import errno
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from bulk_documents import add_bulk_documents
from kotae_env import clear_kotae_env
from store_checks import REPO, clean_env, hits, kotae, state

from ingest.pipeline import run_ingest
from kotae.settings import load_settings

pytestmark = pytest.mark.slow
VOLUME_MB = 64


@pytest.fixture
def volume(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of VOLUME_MB megabytes, unmounted afterwards."""
    mount = tmp_path / "volume"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={VOLUME_MB}m", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small volume here ({done.stderr.strip() or 'mount failed'}); needs root")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(folder: Path, leave: int = 0) -> Path:
    """Write a file until the disk has `leave` bytes free (0: until it is full)."""
    filler = folder / "filler.bin"
    block = b"\0" * (1 << 20)
    with open(filler, "wb", buffering=0) as out:
        try:
            while shutil.disk_usage(folder).free > leave + len(block):
                out.write(block)
            if leave == 0:
                while True:
                    out.write(block[:4096])
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
    return filler


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The corpus and 120 bulk documents, and a store a clean run built from them."""
    root = tmp_path_factory.mktemp("disk")
    shutil.copytree(REPO / "corpus", root / "docs")
    add_bulk_documents(root / "docs" / "bulk", 120)
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        assert run_ingest([root / "docs"], load_settings(root / "clean")).failed == []
    return root / "docs", root / "clean"


def test_a_run_that_fills_the_disk_says_so_and_the_next_one_ends_like_a_clean_run(
        volume: Path, docs: tuple[Path, Path]) -> None:
    folder, clean = docs
    store = volume / "store"
    run = subprocess.Popen([sys.executable, "-m", "cli.main", "ingest", str(folder), "--store", str(store),
                            "--progress", "jsonl", "--json"], cwd=REPO, env=clean_env(), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    assert run.stderr is not None
    lines: list[str] = []
    filler = None
    for line in run.stderr:
        lines.append(line)
        with contextlib.suppress(ValueError):
            if json.loads(line).get("done", 0) >= 10 and filler is None:
                filler = _fill(volume)
    code = run.wait(timeout=300)
    assert filler is not None, "the run ended before the disk could be filled"
    errors = [line for line in lines if line.startswith("kotae: error:")]
    assert code == 2 and len(errors) == 1, "".join(lines[-5:])
    assert "is full" in errors[0] and "Traceback" not in "".join(lines)

    # While it is full, searches answer (from what was committed).
    searched = kotae("search", "書かない窓口の実績", "--store", str(store), "--json")
    assert "Traceback" not in searched.stderr
    assert searched.returncode == 0 or "is full" in searched.stderr or "database" in searched.stderr

    filler.unlink()
    again = kotae("ingest", str(folder), "--store", str(store), "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["failed"] == []
    assert state(store) == state(clean)
    assert hits(store) == hits(clean)


def test_a_run_without_room_is_refused_before_it_writes(volume: Path, tmp_path: Path) -> None:
    small = tmp_path / "small"
    shutil.copytree(REPO / "corpus", small)
    store = volume / "store"
    assert kotae("ingest", str(small), "--store", str(store)).returncode == 0
    before = state(store)
    filler = _fill(volume, leave=8 << 20)  # less than the room a run keeps spare (KOTAE_STORE_MIN_FREE_MB 20)
    (small / "追加のお知らせ.txt").write_text("追加のお知らせ\n\n窓口の受付時間を変更します。\n", encoding="utf-8")
    refused = kotae("ingest", str(small), "--store", str(store))
    assert refused.returncode == 2
    assert "not enough free space" in refused.stderr and "KOTAE_STORE_MIN_FREE_MB" in refused.stderr
    assert state(store) == before
    filler.unlink()
    done = kotae("ingest", str(small), "--store", str(store), "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["added"] == 1
