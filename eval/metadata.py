"""How well ingestion reads a document's title, date, kind and municipality from the document itself, against a
gold table (`eval/metadata-gold-shared.jsonl`, checked against the files by `tests/test_metadata_gold.py`).

    python -m eval.metadata [--data ../shared/data] [--gold eval/metadata-gold-shared.jsonl] [--show-misses]

A title is right when it equals the gold title or one of its alternatives (NFKC, blanks ignored); a date when it
is the gold date (for a month- or year-precision gold, the same month or year); kind and municipality exactly.
"""

from __future__ import annotations

import argparse
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ingest.describe import Description, describe
from ingest.loaders import load_file
from ingest.structure import find_turns
from kotae.types import DESCRIBED_FIELDS

FIELDS = DESCRIBED_FIELDS
DEFAULT_GOLD = Path(__file__).with_name("metadata-gold-shared.jsonl")


@dataclass(frozen=True)
class Miss:
    """One field read wrong: what was read and what the gold says."""

    path: str
    field: str
    got: str | None
    gold: str | None


def _norm(text: str | None) -> str:
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", text or ""))


def _date_right(got: str | None, gold: str | None, precision: str | None) -> bool:
    if gold is None or got is None:
        return got == gold
    size = {"year": 4, "month": 7}.get(precision or "day", 10)
    return got[:size] == gold[:size]


def misses(row: dict[str, object], found: Description) -> list[Miss]:
    """The fields of `found` that disagree with the gold `row`."""
    path = str(row["path"])
    titles = {_norm(str(row["title"])), *(_norm(str(t)) for t in row.get("title_alternatives") or [])}  # type: ignore[attr-defined]
    out: list[Miss] = []
    if _norm(found.title) not in titles:
        out.append(Miss(path, "title", found.title, str(row["title"])))
    if not _date_right(found.date, row["date"], row.get("date_precision")):  # type: ignore[arg-type]
        out.append(Miss(path, "date", found.date, row["date"]))  # type: ignore[arg-type]
    if found.doc_type != row["doc_type"]:
        out.append(Miss(path, "doc_type", found.doc_type, str(row["doc_type"])))
    if found.municipality != row["municipality"]:
        out.append(Miss(path, "municipality", found.municipality, row["municipality"]))  # type: ignore[arg-type]
    return out


def evaluate(data: Path, gold: Path = DEFAULT_GOLD) -> tuple[int, list[Miss]]:
    """The number of gold documents and every field read wrong."""
    rows = [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    found: list[Miss] = []
    for row in rows:
        path = data / row["path"]
        extracted = load_file(path)
        found.extend(misses(row, describe(extracted, find_turns(extracted.text), path.name)))
    return len(rows), found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--gold", type=Path, default=DEFAULT_GOLD)
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    n, found = evaluate(args.data, args.gold)
    print("| field | right | share |\n| --- | --- | --- |")
    for name in FIELDS:
        right = n - sum(1 for m in found if m.field == name)
        print(f"| {name} | {right} / {n} | {right / n:.3f} |")
    if args.show_misses:
        for m in found:
            print(f"{m.path}: {m.field} read {m.got!r}, gold {m.gold!r}")


if __name__ == "__main__":
    main()
