"""What one file may cost the loaders: unpacked size of a zip package, OCR pages and seconds.

The loaders run in the ingestion worker process, which gets each file's path but not the run's settings, so
they read the limits from the environment (as `KOTAE_OCR` always was); `load_settings` has already checked
the same variables at start-up, so a bad value never gets this far. Tests and callers pass a `Budget`.
"""

from __future__ import annotations

from dataclasses import dataclass

from kotae.settings import IngestSettings


@dataclass(frozen=True)
class Budget:
    """Per-file limits: `max_unpacked_bytes` for zip packages, `ocr_max_pages` and `ocr_max_seconds` for OCR."""

    max_unpacked_bytes: int
    ocr_max_pages: int
    ocr_max_seconds: float

    @classmethod
    def from_settings(cls, ingest: IngestSettings) -> Budget:
        """The limits of one settings section."""
        return cls(max_unpacked_bytes=int(ingest.max_unpacked_mb * 1_000_000), ocr_max_pages=ingest.ocr_max_pages,
                   ocr_max_seconds=ingest.ocr_max_seconds)


def current_budget() -> Budget:
    """The limits in force in this process (KOTAE_INGEST_MAX_UNPACKED_MB, KOTAE_OCR_MAX_PAGES/SECONDS)."""
    return Budget.from_settings(IngestSettings())
