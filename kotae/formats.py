"""The file types Kotae reads: ingestion has a loader for each, and the admin page accepts only these."""

from __future__ import annotations

DOCUMENT_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx", ".xlsx", ".xlsm", ".csv")

# How a table (a sheet, a CSV file) reads as text: ingest/loaders/tables.py writes it, the reader's sentences and
# answers read its rows back (service/compose/sentences.py).
ROW_JOINER = "\t"  # between the cells of a row: full-width spaces are common inside Japanese cells (「伊東　克朗」)
SHEET_MARK = "【シート】"  # before a sheet's name, on the line a sheet's table starts with
