"""Metadata overrides: `_meta.json` in a folder (applies to it and its subfolders, nearest folder wins) and
`NAME.meta.json` beside a file (wins over folders).

Folders count by where a file really is, up to the file system's root, not only from the folder given to
ingest: a restricted folder's sub-folder ingested (or registered) on its own keeps the parent's access groups,
and a folder reached through a link gets the metadata of where it really lies. Access control fails closed.

Allowed keys: `title`, `date` (ISO, 西暦 or 和暦), `doc_type` (one of `kotae.types.DOC_TYPES` or a city's own
kind; the names used before them, guideline / report / document, are read as manual / other / other),
`municipality`, `access_groups` (list of group names).

An admin's corrections (kept in the catalogue, `kotae.index.catalog.Correction`) win over both
(`with_corrections`): they are the newest decision a person made about the document. Access groups cannot be
corrected that way; they stay with the files.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from kotae.errors import LoadError
from kotae.jdates import to_iso_date
from kotae.types import DESCRIBED_FIELDS, doc_type_of

FOLDER_META = "_meta.json"
FILE_META_SUFFIX = ".meta.json"
_KEYS = {"title", "date", "doc_type", "municipality", "access_groups"}


@dataclass(frozen=True)
class Overrides:
    """Fields set by metadata files; None means "not set, use what the document says"."""

    title: str | None = None
    date: str | None = None
    doc_type: str | None = None  # one of DOC_TYPES, or a city's own kind
    access_groups: tuple[str, ...] | None = None
    municipality: str | None = None
    doc_type_written: str | None = None  # `doc_type` as the file spells it (a legacy name), for the version hash
    corrected: tuple[str, ...] = ()  # the fields whose value is an admin's correction, not a metadata file's


def is_meta_file(path: Path) -> bool:
    """True for `_meta.json` and `NAME.meta.json` files, which are read as metadata, not documents."""
    return path.name == FOLDER_META or path.name.endswith(FILE_META_SUFFIX)


def overrides_for(file: Path, root: Path) -> Overrides:
    """Merge the folder metadata from the file system's root down to the file's real folder, then the file's own
    metadata (`root`, the folder given to ingest, only shortens the names in messages).

    Raises `LoadError` naming the metadata file and field when one is invalid.
    """
    merged: dict[str, object] = {}
    real = Path(os.path.realpath(file))
    real_root = Path(os.path.realpath(root))
    for directory in reversed([real.parent, *real.parent.parents]):
        merged.update(_read(directory / FOLDER_META, real_root))
    merged.update(_read(file.with_name(file.name + FILE_META_SUFFIX), root))
    return Overrides(
        title=merged.get("title"),  # type: ignore[arg-type]
        date=merged.get("date"),  # type: ignore[arg-type]
        doc_type=merged.get("doc_type"),  # type: ignore[arg-type]
        access_groups=merged.get("access_groups"),  # type: ignore[arg-type]
        municipality=merged.get("municipality"),  # type: ignore[arg-type]
        doc_type_written=merged.get("doc_type_written"),  # type: ignore[arg-type]
    )


def with_corrections(overrides: Overrides, corrections: Mapping[str, str]) -> Overrides:
    """`overrides` with an admin's corrected fields (field -> value: title, date, doc_type, municipality) put over
    what the metadata files set."""
    known = {k: v for k, v in corrections.items() if k in DESCRIBED_FIELDS and v}
    if not known:
        return overrides
    merged = replace(overrides, **known, corrected=tuple(sorted(known)))  # type: ignore[arg-type]
    if "doc_type" in known:
        merged = replace(merged, doc_type_written=known["doc_type"])
    return merged


def _read(path: Path, root: Path) -> dict[str, object]:
    try:
        if not path.is_file():
            return {}
    except OSError as exc:  # a folder above that may not be looked into: its groups cannot be known
        raise LoadError(f"cannot check for metadata file {path}: {exc.strerror or exc}") from exc
    where = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LoadError(f"invalid metadata file {where}: {exc}") from exc
    if not isinstance(data, dict):
        raise LoadError(f"invalid metadata file {where}: expected a JSON object")
    unknown = set(data) - _KEYS
    if unknown:
        raise LoadError(f"invalid metadata file {where}: unknown field(s) {', '.join(sorted(unknown))}")
    out: dict[str, object] = {}
    for key in ("title", "doc_type", "municipality"):
        if key in data:
            if not isinstance(data[key], str) or not data[key].strip():
                raise LoadError(f"invalid metadata file {where}: field '{key}' must be a non-empty string")
            out[key] = data[key].strip()
    if "doc_type" in out:  # a legacy name is read as today's; a city's own kind (人事内示) is kept as written
        out["doc_type_written"] = out["doc_type"]
        out["doc_type"] = doc_type_of(str(out["doc_type"])) or out["doc_type"]
    if "date" in data:
        iso = to_iso_date(data["date"]) if isinstance(data["date"], str) else None
        if iso is None:
            raise LoadError(f"invalid metadata file {where}: field 'date' is not a date ({data['date']!r})")
        out["date"] = iso
    if "access_groups" in data:
        groups = data["access_groups"]
        if not isinstance(groups, list) or not groups or not all(isinstance(g, str) and g for g in groups):
            raise LoadError(
                f"invalid metadata file {where}: field 'access_groups' must be a non-empty list of names"
            )
        out["access_groups"] = tuple(sorted(set(groups)))
    return out
