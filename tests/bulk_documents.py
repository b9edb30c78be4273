"""Extra documents for tests that need an ingestion run to take several seconds."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MINUTES = "minutes/令和6年第3回定例会会議録.txt"


def add_bulk_documents(folder: Path, count: int) -> None:
    """`count` distinct text documents in `folder`, each sixty sentences of the corpus minutes."""
    sentences = [s + "。" for s in (REPO / "corpus" / MINUTES).read_text(encoding="utf-8").split("。") if s.strip()]
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        body = "".join(sentences[(i + j) % len(sentences)] for j in range(60))
        (folder / f"資料{i:03d}.txt").write_text(f"資料第{i}号\n{body}\n", encoding="utf-8")
