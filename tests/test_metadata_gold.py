"""The hand-checked document metadata gold (eval/metadata-gold-shared.jsonl) holds against ../shared/data.

One row per document under minutes/, pdf/, reiki/ and speeches/ of the data root. Each row's evidence snippets
occur in the document's text, read independently of Kotae's loaders (txt as is; HTML with the tags stripped;
PDFs via pypdf's plain `extract_text`, which spaces out most Nankoku pages), all whitespace dropped from both
sides before comparing. Each date agrees with its date evidence (和暦 and full-width digits converted by
`kotae.jdates`). The schema checks need no data; the others skip, with the reason, when ../shared/data is absent.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from kotae.jdates import ERAS, era_year, find_date, to_iso_date

REPO_ROOT = Path(__file__).resolve().parent.parent
GOLD = REPO_ROOT / "eval" / "metadata-gold-shared.jsonl"
DOCUMENT_DIRS = ("minutes", "pdf", "reiki", "speeches")
DOC_TYPES = {"minutes", "ordinance", "bill", "speech", "plan", "manual", "faq", "notice", "other"}
PRECISIONS = {"day", "month", "year"}
REQUIRED_KEYS = {"path", "title", "title_alternatives", "date", "date_precision", "doc_type", "municipality",
                 "evidence"}
OPTIONAL_KEYS = {"notes"}
EVIDENCE_KEYS = {"title", "date", "date_file_name"}  # date_file_name: 「2022_03」 in the file name
MAX_SNIPPET = 60
MUNICIPALITY = re.compile(r".+[都道府県市区町村]")

_BLANKS = re.compile(r"\s+")
_HIDDEN = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->", re.S | re.I)
_TAG = re.compile(r"<[^>]*>")
_NUM = r"[0-9０-９〇一二三四五六七八九十百千]+|元"
_ERA_YEAR = re.compile(rf"({'|'.join(ERAS)})\s*({_NUM})\s*年")
_WESTERN_YEAR = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})\s*年")
_HALF_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")

Row = dict[str, Any]


def squash(text: str) -> str:
    """What the evidence check compares: the text with every whitespace character removed."""
    return _BLANKS.sub("", text)


def load_gold() -> list[Row]:
    lines = GOLD.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


ROWS = load_gold()


def _pdf_text(path: Path) -> str:
    """pypdf's plain text of every page, squashed (module level so spawned workers can run it)."""
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    return squash("".join(page.extract_text() or "" for page in PdfReader(path).pages))


def document_text(path: Path) -> str:
    """The squashed visible text of a txt or HTML document."""
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in {".html", ".htm"}:
        text = html.unescape(_TAG.sub(" ", _HIDDEN.sub(" ", text)))
    return squash(text)


def documents(root: Path) -> list[str]:
    """Every file in the data root's document folders, relative to `root` (posix), hidden files left out."""
    found = []
    for folder in DOCUMENT_DIRS:
        for path in sorted((root / folder).rglob("*")):
            rel = path.relative_to(root)
            if path.is_file() and not any(part.startswith(".") for part in rel.parts):
                found.append(rel.as_posix())
    return found


@pytest.fixture(scope="module")
def texts(shared_data: Path) -> dict[str, str]:
    """Squashed text of every gold row's document, each read once (PDFs in up to four spawned processes)."""
    paths = [shared_data / row["path"] for row in ROWS if (shared_data / row["path"]).is_file()]
    pdfs = [p for p in paths if p.suffix.lower() == ".pdf"]
    out = {p.relative_to(shared_data).as_posix(): document_text(p) for p in paths if p not in pdfs}
    workers = min(4, os.cpu_count() or 1, max(1, len(pdfs)))
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        for path, text in zip(pdfs, pool.map(_pdf_text, pdfs), strict=True):
            out[path.relative_to(shared_data).as_posix()] = text
    return out


def years_in(text: str) -> set[int]:
    """Every year (西暦) that `text` names, in 和暦 or 西暦."""
    years = set()
    for m in _ERA_YEAR.finditer(text):
        try:
            years.add(era_year(m.group(1), m.group(2)))
        except ValueError:
            continue
    years.update(int(m.group(1)) for m in _WESTERN_YEAR.finditer(text.translate(_HALF_WIDTH)))
    return years


def date_problems(row: Row) -> list[str]:
    """How the row's date disagrees with its precision and its date evidence (empty when it holds)."""
    date, precision, evidence = row["date"], row["date_precision"], row["evidence"].get("date")
    if date is None:
        problems = [] if precision is None else [f"null date with precision {precision!r}"]
        if evidence is not None:
            problems.append("null date with date evidence")
        if not row.get("notes"):
            problems.append("null date without notes saying why")
        return problems
    try:
        day = dt.date.fromisoformat(date)
    except (TypeError, ValueError):
        return [f"date {date!r} is not an ISO date"]
    if precision not in PRECISIONS:
        return [f"date_precision {precision!r} not in {sorted(PRECISIONS)}"]
    if (precision == "month" and day.day != 1) or (precision == "year" and (day.month, day.day) != (1, 1)):
        return [f"a {precision}-precision date must be the first day of its {precision}: {date}"]
    named = row["evidence"].get("date_file_name")
    if evidence is None and named is not None:
        m = re.fullmatch(r"((?:19|20)[0-9]{2})_([01][0-9])", named)
        found = f"{m.group(1)}-{m.group(2)}-01" if m else f"unreadable {named!r}"
        return [] if precision == "month" and found == date else [f"file-name date {named!r} gives {found}"]
    if evidence is None:
        # Only a document without a text layer may be dated from outside its text (its notes say how).
        return [] if row["evidence"] == {} and row.get("notes") else ["dated without date evidence"]
    if precision == "day":
        found = find_date(evidence)
    elif precision == "month":
        found = to_iso_date(evidence)
    else:
        found = date if day.year in years_in(evidence) else f"years {sorted(years_in(evidence))}"
    return [] if found == date else [f"date evidence {evidence!r} gives {found}, gold says {date}"]


def schema_problems(row: Row) -> list[str]:
    problems = []
    missing, unknown = REQUIRED_KEYS - set(row), set(row) - REQUIRED_KEYS - OPTIONAL_KEYS
    if missing or unknown:
        problems.append(f"keys missing {sorted(missing)}, unknown {sorted(unknown)}")
        return problems
    if not isinstance(row["title"], str) or not row["title"] or row["title"] != row["title"].strip():
        problems.append(f"title {row['title']!r} is empty or padded")
    alts = row["title_alternatives"]
    if not isinstance(alts, list) or not all(isinstance(a, str) and a.strip() for a in alts):
        problems.append(f"title_alternatives {alts!r} is not a list of strings")
    if row["doc_type"] not in DOC_TYPES:
        problems.append(f"doc_type {row['doc_type']!r} not in {sorted(DOC_TYPES)}")
    if not isinstance(row["municipality"], str) or not MUNICIPALITY.fullmatch(row["municipality"]):
        problems.append(f"municipality {row['municipality']!r} lacks its 都道府県市区町村 suffix")
    evidence = row["evidence"]
    if not isinstance(evidence, dict) or set(evidence) - EVIDENCE_KEYS:
        problems.append(f"evidence {evidence!r} is not an object of {sorted(EVIDENCE_KEYS)}")
        return problems
    for key, snippet in evidence.items():
        if not isinstance(snippet, str) or not squash(snippet) or len(snippet) > MAX_SNIPPET:
            problems.append(f"evidence {key} {snippet!r} is empty or longer than {MAX_SNIPPET} characters")
    if not row.get("notes"):
        # A title not stated as such in its evidence (from a file name, composed, read off a scan) is explained.
        ev_title = squash(evidence.get("title", ""))
        if not ev_title or not any(squash(t) in ev_title for t in [row["title"], *alts] if squash(t)):
            problems.append("title is not in its title evidence and no notes say where it comes from")
    return problems + date_problems(row)


def test_gold_rows_are_well_formed() -> None:
    problems = [f"{row.get('path')}: {p}" for row in ROWS for p in schema_problems(row)]
    paths = [row.get("path") for row in ROWS]
    problems += [f"{p}: {n} rows" for p in sorted(set(paths), key=str) if (n := paths.count(p)) > 1]
    assert not problems, "\n".join(problems)


def test_every_document_has_exactly_one_row(shared_data: Path) -> None:
    on_disk = set(documents(shared_data))
    in_gold = [row["path"] for row in ROWS]
    assert len(in_gold) == len(set(in_gold)), "duplicate paths in the gold"
    assert not on_disk - set(in_gold), f"documents without a gold row: {sorted(on_disk - set(in_gold))}"
    assert not set(in_gold) - on_disk, f"gold rows for no document: {sorted(set(in_gold) - on_disk)}"


@pytest.mark.parametrize("row", ROWS, ids=[row["path"] for row in ROWS])
def test_evidence_occurs_in_the_document(row: Row, texts: dict[str, str]) -> None:
    assert row["path"] in texts, f"{row['path']} is not a file under the data root"
    text = texts[row["path"]]
    if row["date"] is not None and "date" not in row["evidence"] and "date_file_name" not in row["evidence"]:
        assert not text, f"{row['path']} has text, yet its date {row['date']} has no date evidence"
    if not row["evidence"]:
        return  # no checkable text (a scan) or nothing stated (no title, no date): the notes say which
    assert text, f"{row['path']} has no text layer, yet the gold quotes evidence from it"
    for key, snippet in row["evidence"].items():
        if key == "date_file_name":
            assert snippet in Path(row["path"]).name, f"{snippet!r} is not in the file name of {row['path']}"
            continue
        assert squash(snippet) in text, f"{key} evidence {snippet!r} does not occur in {row['path']}"
