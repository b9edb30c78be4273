"""Zip packages (Word .docx, Excel .xlsx/.xlsm) checked against a budget before a parser sees them.

A few hundred kilobytes of zip can unpack to gigabytes (a "zip bomb"), and python-docx holds every part in
memory and builds a tree of ~10x the XML's size, so the package is measured first, cheaply and in order:

1. the number of entries;
2. the uncompressed sizes the central directory declares, added up, against the unpacked-size limit;
3. each entry's compression ratio (declared, then actual): beyond `max_ratio` an entry is not a document;
4. the bytes themselves, read in 1 MB pieces and counted, so that no claim of the directory is trusted; the
   XML parts are fed through expat on the way to measure their nesting depth (and to refuse a DTD, which
   Office files never have: it is how entity-expansion attacks are written).

Each check stops at the first piece over its limit, so a bomb costs what the limit allows, not what it holds.
"""

from __future__ import annotations

import xml.parsers.expat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from kotae.errors import LoadError

# A Word file of photos has a few hundred entries; 10,000 leaves room for any real package.
MAX_ENTRIES = 10_000
# Deflate reaches ~1000:1 on repeated bytes. Real Word XML compresses 5-45:1 (a generated 2.7 MB document.xml
# of repeated runs and tables: 42:1); the probe's bomb was 317:1.
MAX_RATIO = 200.0
# Below this an entry cannot hurt, whatever its ratio (a 100 KB styles.xml of repeated markup may be 150:1).
RATIO_FLOOR_BYTES = 10_000_000
# Word nests body/table/row/cell/paragraph/run/text, text boxes and alternate content: real files stay under
# ~40 levels. libxml2 stops at 256 anyway, with a message that names no limit of ours.
MAX_XML_DEPTH = 128
XML_SUFFIXES = (".xml", ".rels", ".vml")
_PIECE = 1 << 20


@dataclass(frozen=True)
class ZipLimits:
    """What one package may hold; `setting` is the variable an admin raises `max_unpacked_bytes` with."""

    max_unpacked_bytes: int
    max_entries: int = MAX_ENTRIES
    max_ratio: float = MAX_RATIO
    ratio_floor_bytes: int = RATIO_FLOOR_BYTES
    max_xml_depth: int = MAX_XML_DEPTH
    setting: str = "KOTAE_INGEST_MAX_UNPACKED_MB"


def check_zip(path: Path, limits: ZipLimits) -> None:
    """Raise `LoadError` (one line, naming the limit) when the package at `path` is over `limits`.

    A file that is not a zip at all raises `zipfile.BadZipFile` (the caller names its own format), a damaged
    entry whatever zipfile or zlib raise; a file that passes is read once more by its parser.
    """
    with zipfile.ZipFile(path) as package:
        entries = package.infolist()
        if len(entries) > limits.max_entries:
            raise LoadError(f"zip package with {len(entries):,} entries, over the limit of {limits.max_entries:,}")
        declared = sum(entry.file_size for entry in entries)
        if declared > limits.max_unpacked_bytes:
            _over_size(declared, limits, "declares")
        for entry in entries:
            _check_ratio(entry, entry.file_size, limits)
        unpacked = 0
        for entry in entries:
            unpacked = _read_entry(package, entry, unpacked, limits)


def _read_entry(package: zipfile.ZipFile, entry: zipfile.ZipInfo, unpacked: int, limits: ZipLimits) -> int:
    """Read one entry piece by piece, counting its bytes (and measuring XML depth); returns the new total."""
    depth = _DepthGauge(entry.filename, limits.max_xml_depth) if _is_xml(entry.filename) else None
    size = 0
    with package.open(entry) as stream:
        while piece := stream.read(_PIECE):
            size += len(piece)
            if unpacked + size > limits.max_unpacked_bytes:
                _over_size(unpacked + size, limits, "unpacks to more than")
            _check_ratio(entry, size, limits)
            if depth is not None:
                depth.feed(piece)
    return unpacked + size


def _check_ratio(entry: zipfile.ZipInfo, size: int, limits: ZipLimits) -> None:
    """Refuse an entry that unpacks to `size` bytes from far fewer, once it is big enough to matter."""
    if size > limits.ratio_floor_bytes and size > limits.max_ratio * max(entry.compress_size, 1):
        ratio = size / max(entry.compress_size, 1)
        raise LoadError(f"zip bomb: entry {entry.filename[:80]} unpacks {ratio:,.0f} times its packed size "
                        f"(the limit is {limits.max_ratio:,.0f}:1)")


def _over_size(size: int, limits: ZipLimits, verb: str) -> NoReturn:
    raise LoadError(f"zip package {verb} {_mb(size)} MB unpacked, over the {_mb(limits.max_unpacked_bytes)} MB "
                    f"limit ({limits.setting})")


def _mb(size: int) -> str:
    return f"{size / 1_000_000:,.0f}" if size >= 10_000_000 else f"{size / 1_000_000:.1f}"


def _is_xml(name: str) -> bool:
    return name.lower().endswith(XML_SUFFIXES)


class _DepthGauge:
    """Feeds one XML part through expat, counting element depth; a `LoadError` past the limit or at a DTD.

    XML expat cannot parse is left to the real parser to report (a part python-docx never reads may be odd
    without harm), so a syntax error only ends the measuring of that part.
    """

    def __init__(self, name: str, limit: int) -> None:
        self.name, self.limit = name, limit
        self.depth = 0
        self.parser: xml.parsers.expat.XMLParserType | None = xml.parsers.expat.ParserCreate()
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.StartDoctypeDeclHandler = self._doctype

    def feed(self, piece: bytes) -> None:
        if self.parser is None:
            return
        try:
            self.parser.Parse(piece, False)
        except xml.parsers.expat.ExpatError:
            self.parser = None

    def _start(self, _tag: str, _attributes: dict[str, str]) -> None:
        self.depth += 1
        if self.depth > self.limit:
            raise LoadError(f"XML part {self.name[:80]} is nested more than {self.limit} elements deep "
                            f"(the limit for Office files)")

    def _end(self, _tag: str) -> None:
        self.depth -= 1

    def _doctype(self, name: str, *_: object) -> None:
        raise LoadError(f"XML part {self.name[:80]} declares a DTD ({name[:40]}), which Office files never do")
