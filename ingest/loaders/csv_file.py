"""CSV: decode the bytes as the text loader does, parse the records, read them as one table (`tables.py`).

The encoding is detected from the bytes (`text_file.decode_japanese`: UTF-8 with or without BOM, CP932/Shift_JIS,
EUC-JP). The delimiter is the one of `,` tab `;` that splits the first lines into the same number of fields,
more than one (a comma when none does). Row n is the n-th record, as Excel numbers the rows when it opens the
file (a quoted field may hold line breaks, so a record can span lines); column A is the first field. The text is
the table's text, not the file's: one line per non-empty record, fields joined by a tab, no sheet line.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

from kotae.errors import LoadError
from kotae.types import Extracted

from .tables import TableText, cell_text
from .text_file import decode_japanese

DELIMITERS = (",", "\t", ";")  # in order of preference when two split the sample equally well
SAMPLE_LINES = 20


def load_csv(path: Path) -> Extracted:
    """Load a .csv file as one table (header: its first non-empty record); no title of its own.

    Raises `LoadError` for bytes that are not text, a file without values, or a record csv cannot parse.
    """
    text = decode_japanese(path.read_bytes())
    if not text.strip():
        raise LoadError("empty file (no text)")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    out = TableText()
    try:
        out.add_table((number, [cell_text(field) for field in record]) for number, record in enumerate(reader, 1))
    except csv.Error as exc:  # e.g. a field over csv.field_size_limit(), a NUL character
        raise LoadError(f"not a readable CSV file: {exc} (record {reader.line_num})") from exc
    if not out.tables:
        raise LoadError("empty file (no values)")
    return Extracted(text=out.text, tables=tuple(out.tables))


def sniff_delimiter(text: str) -> str:
    """The delimiter of `DELIMITERS` that splits most of the first lines into one same number (>1) of fields."""
    sample = "\n".join(text.splitlines()[:SAMPLE_LINES])
    best, best_score = DELIMITERS[0], 0
    for delimiter in DELIMITERS:
        try:
            widths = Counter(len(r) for r in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter) if r)
        except csv.Error:
            continue
        width, score = widths.most_common(1)[0] if widths else (0, 0)
        if width > 1 and score > best_score:
            best, best_score = delimiter, score
    return best
