"""Metadata overrides: `_meta.json` in a folder (applies to it and its subfolders, nearest folder wins) and
`NAME.meta.json` beside a file (wins over folders).

Allowed keys: `title`, `date` (ISO, 西暦 or 和暦), `doc_type`, `access_groups` (list of group names).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from kotae.errors import LoadError
from kotae.jdates import to_iso_date

FOLDER_META = "_meta.json"
FILE_META_SUFFIX = ".meta.json"
_KEYS = {"title", "date", "doc_type", "access_groups"}


@dataclass(frozen=True)
class Overrides:
    """Fields set by metadata files; None means "not set, use what the document says"."""

    title: str | None = None
    date: str | None = None
    doc_type: str | None = None
    access_groups: tuple[str, ...] | None = None


def is_meta_file(path: Path) -> bool:
    """True for `_meta.json` and `NAME.meta.json` files, which are read as metadata, not documents."""
    return path.name == FOLDER_META or path.name.endswith(FILE_META_SUFFIX)


def overrides_for(file: Path, root: Path) -> Overrides:
    """Merge the folder metadata from `root` down to the file's folder, then the file's own metadata.

    Raises `LoadError` naming the metadata file and field when one is invalid.
    """
    merged: dict[str, object] = {}
    folder = file.parent
    chain = [folder, *folder.parents]
    for directory in reversed([d for d in chain if d == root or d.is_relative_to(root)]):
        merged.update(_read(directory / FOLDER_META, root))
    merged.update(_read(file.with_name(file.name + FILE_META_SUFFIX), root))
    return Overrides(
        title=merged.get("title"),  # type: ignore[arg-type]
        date=merged.get("date"),  # type: ignore[arg-type]
        doc_type=merged.get("doc_type"),  # type: ignore[arg-type]
        access_groups=merged.get("access_groups"),  # type: ignore[arg-type]
    )


def _read(path: Path, root: Path) -> dict[str, object]:
    if not path.is_file():
        return {}
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
    for key in ("title", "doc_type"):
        if key in data:
            if not isinstance(data[key], str) or not data[key].strip():
                raise LoadError(f"invalid metadata file {where}: field '{key}' must be a non-empty string")
            out[key] = data[key].strip()
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
