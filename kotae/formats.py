"""The file types Kotae reads: ingestion has a loader for each, and the admin page accepts only these."""

from __future__ import annotations

DOCUMENT_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx", ".xlsx", ".xlsm", ".csv")
