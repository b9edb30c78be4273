"""Search filters: what a caller may restrict hits to, validated, and applied as numpy masks and Chroma clauses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kotae.errors import KotaeError
from kotae.jdates import to_iso_date
from kotae.types import SPEAKER_ROLES, doc_type_of

LIST_KEYS = ("doc_type", "speaker_role", "speaker", "municipality")
SINGLE_KEYS = ("source_prefix", "date_from", "date_to")
ROLES = SPEAKER_ROLES


class FilterError(KotaeError):
    """A filter key or value is invalid; the message names it."""


@dataclass(frozen=True)
class Filters:
    """Restrictions on hits; empty means "any". Dates are ISO (和暦 and 西暦 are accepted on input)."""

    doc_type: tuple[str, ...] = ()
    speaker_role: tuple[str, ...] = ()
    speaker: tuple[str, ...] = ()
    municipality: tuple[str, ...] = ()  # 自治体名 as documents carry it (南国市, 東京都)
    source_prefix: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    # Who is asking, not what they ask for: only documents sharing one of these access groups (None: all).
    # Set by the service from the signed-in user, never parsed from a request.
    access_groups: tuple[str, ...] | None = None


def parse_filters(raw: Mapping[str, Any] | None) -> Filters:
    """Build `Filters` from a JSON object or CLI pairs; raises `FilterError` naming the bad key or value."""
    if not raw:
        return Filters()
    unknown = set(raw) - set(LIST_KEYS) - set(SINGLE_KEYS)
    if unknown:
        raise FilterError(
            f"unknown filter(s) {', '.join(sorted(unknown))}; allowed: {', '.join(LIST_KEYS + SINGLE_KEYS)}"
        )
    values: dict[str, Any] = {}
    for key in LIST_KEYS:
        if key in raw and raw[key] not in (None, "", []):
            items = raw[key] if isinstance(raw[key], list) else [raw[key]]
            if not all(isinstance(v, str) and v.strip() for v in items):
                raise FilterError(f"filter '{key}' must be a string or a list of strings")
            values[key] = tuple(v.strip() for v in items)
    if "doc_type" in values:  # a legacy name means today's kind (the index says which kinds it has)
        values["doc_type"] = tuple(dict.fromkeys(doc_type_of(v) or v for v in values["doc_type"]))
    for role in values.get("speaker_role", ()):
        if role not in ROLES:
            raise FilterError(f"filter 'speaker_role' must be one of {', '.join(ROLES)}, not {role!r}")
    if raw.get("source_prefix"):
        if not isinstance(raw["source_prefix"], str):
            raise FilterError("filter 'source_prefix' must be a string")
        values["source_prefix"] = raw["source_prefix"]
    for key in ("date_from", "date_to"):
        if raw.get(key):
            # A month alone (令和6年9月, 2024年9月) means its first day as a start and its last day as an end.
            iso = to_iso_date(str(raw[key]), end_of_month=key == "date_to")
            if iso is None:
                raise FilterError(f"filter '{key}' is not a date: {raw[key]!r} (use 2020-01-31 or 令和2年1月31日)")
            values[key] = iso
    if values.get("date_from") and values.get("date_to") and values["date_from"] > values["date_to"]:
        raise FilterError(f"filter 'date_from' ({values['date_from']}) is after 'date_to' ({values['date_to']})")
    return Filters(**values)
