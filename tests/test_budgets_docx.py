"""Word files are measured before python-docx opens them: unpacked size (declared and actual), compression ratio,
XML depth and DTDs. Real crafted files built in tmp_path: a zip bomb (~0.4 MB on disk, 150 MB of XML, which
took minutes at 1.4 GB before), one that lies about its sizes, deep nesting; the run goes on past them."""

from __future__ import annotations

import io
import re
import struct
import tracemalloc
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import docx
import pytest
from kotae_env import clear_kotae_env

from ingest.loaders.docx_file import load_docx
from ingest.loaders.zipcheck import MAX_XML_DEPTH, ZipLimits, check_zip
from ingest.pipeline import run_ingest
from kotae.errors import LoadError
from kotae.settings import load_settings

MB = 1_000_000
W = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
HEAD = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document ' + W + b"><w:body>"
FOOT = b"</w:body></w:document>"
PARAGRAPH = "<w:p><w:r><w:t>窓口のご案内です。</w:t></w:r></w:p>".encode()


@pytest.fixture(autouse=True)
def _no_kotae_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_kotae_env(monkeypatch)


def word_file(path: Path, body: Iterable[bytes], extra: dict[str, bytes] | None = None) -> Path:
    """A real .docx (python-docx's template) whose word/document.xml is `body`, written as it is made."""
    template = io.BytesIO()
    docx.Document().save(template)
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for entry in source.infolist():
            if entry.filename != "word/document.xml":
                out.writestr(entry, source.read(entry.filename))
                continue
            info = zipfile.ZipInfo("word/document.xml")
            info.compress_type = zipfile.ZIP_DEFLATED
            with out.open(info, "w", force_zip64=True) as part:
                for piece in body:
                    part.write(piece)
        for name, data in (extra or {}).items():
            out.writestr(zipfile.ZipInfo(name), data)  # stored: photos do not compress
    return path


def paragraphs(size: int) -> Iterator[bytes]:
    """A document.xml of about `size` bytes of paragraphs."""
    yield HEAD
    block = PARAGRAPH * 10_000
    for _ in range(max(size // len(block), 1)):
        yield block
    yield FOOT


def nested_tables(depth: int) -> Iterator[bytes]:
    """A table in a cell of a table ... `depth` times: 3 elements a level (tbl, tr, tc)."""
    yield HEAD
    yield b"<w:tbl><w:tr><w:tc>" * depth + PARAGRAPH + b"</w:tc></w:tr></w:tbl>" * depth
    yield FOOT


def peak_memory(action: Callable[[], object]) -> tuple[int, BaseException | None]:
    """The peak of Python allocations while `action` runs, and what it raised."""
    tracemalloc.start()
    raised: BaseException | None = None
    try:
        action()
    except Exception as exc:
        raised = exc
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, raised


def test_zip_bomb_is_refused_from_its_declared_size_in_little_memory(tmp_path: Path) -> None:
    """150 MB of XML in a file of under a megabyte: refused before any of it is unpacked."""
    bomb = word_file(tmp_path / "bomb.docx", paragraphs(150 * MB))
    assert bomb.stat().st_size < MB
    peak, raised = peak_memory(lambda: load_docx(bomb))
    assert isinstance(raised, LoadError), raised
    expected = r"zip package declares 15\d MB unpacked, over the 100 MB limit \(KOTAE_INGEST_MAX_UNPACKED_MB\)"
    assert re.fullmatch(expected, str(raised)), raised
    assert peak < 5 * MB, peak  # python-docx took 1.4 GB on such a file


def test_zip_bomb_under_the_size_limit_is_refused_by_its_ratio(tmp_path: Path) -> None:
    """60 MB (under the 100 MB limit) from a few hundred KB is no document: the ratio check refuses it."""
    bomb = word_file(tmp_path / "bomb.docx", paragraphs(60 * MB))
    peak, raised = peak_memory(lambda: load_docx(bomb))
    assert isinstance(raised, LoadError), raised
    assert "zip bomb: entry word/document.xml unpacks" in str(raised) and "the limit is 200:1" in str(raised)
    assert peak < 5 * MB, peak


def test_zip_that_lies_about_its_sizes_is_refused_in_little_memory(tmp_path: Path) -> None:
    """The central directory says 5 KB, the entry holds 150 MB: its bytes are never trusted past the claim."""
    bomb = word_file(tmp_path / "liar.docx", paragraphs(150 * MB))
    data = bytearray(bomb.read_bytes())
    at = data.find(b"PK\x01\x02")
    while at != -1:  # each central directory record: patch the document's uncompressed size
        name_length = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46:at + 46 + name_length]) == b"word/document.xml":
            struct.pack_into("<I", data, at + 24, 5000)
        at = data.find(b"PK\x01\x02", at + 4)
    bomb.write_bytes(bytes(data))
    peak, raised = peak_memory(lambda: load_docx(bomb))
    assert isinstance(raised, LoadError) and "not a valid zip package" in str(raised), raised
    assert peak < 5 * MB, peak


def test_unpacked_bytes_are_counted_while_reading(tmp_path: Path) -> None:
    """Each entry's actual bytes count against the limit as they are read, whatever was declared before."""
    path = word_file(tmp_path / "big.docx", paragraphs(3 * MB))
    limits = ZipLimits(max_unpacked_bytes=2 * MB)
    with pytest.raises(LoadError, match=r"over the 2\.0 MB limit \(KOTAE_INGEST_MAX_UNPACKED_MB\)"):
        check_zip(path, limits)
    check_zip(path, ZipLimits(max_unpacked_bytes=4 * MB))  # under the limit: no complaint


def test_limit_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """KOTAE_INGEST_MAX_UNPACKED_MB is what the loader uses when it is not given limits (as in the worker)."""
    photo = bytes(range(256)) * 12_000  # ~3 MB stored, as a photo would be
    path = word_file(tmp_path / "photos.docx", paragraphs(1000), {"word/media/image1.jpeg": photo})
    assert load_docx(path).text.startswith("窓口のご案内です。")  # within the default 100 MB
    monkeypatch.setenv("KOTAE_INGEST_MAX_UNPACKED_MB", "1")
    with pytest.raises(LoadError, match=r"over the 1\.0 MB limit \(KOTAE_INGEST_MAX_UNPACKED_MB\)"):
        load_docx(path)


def test_deep_nesting_is_refused_naming_the_limit(tmp_path: Path) -> None:
    """60 nested tables (~185 levels; libxml2 itself would accept up to 256) are refused by depth."""
    deep = word_file(tmp_path / "deep.docx", nested_tables(60))
    with pytest.raises(LoadError, match=f"nested more than {MAX_XML_DEPTH} elements deep"):
        load_docx(deep)
    shallow = word_file(tmp_path / "shallow.docx", nested_tables(10))
    assert load_docx(shallow).text == "窓口のご案内です。"  # nested tables as Word makes them still load


def test_dtd_in_a_part_is_refused(tmp_path: Path) -> None:
    """Office files never declare a DTD; entity-expansion attacks need one."""
    laughs = (b'<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;">]>'
              b"<w:document " + W + b"><w:body>" + PARAGRAPH + b"</w:body></w:document>")
    path = word_file(tmp_path / "dtd.docx", [laughs])
    with pytest.raises(LoadError, match="declares a DTD"):
        load_docx(path)


def test_check_zip_on_any_package(tmp_path: Path) -> None:
    """The helper is not Word's: an .xlsx-like package is checked the same way (entries, then XML)."""
    path = tmp_path / "book.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for i in range(5):
            package.writestr(f"xl/worksheets/sheet{i}.xml", "<worksheet><row><c>1</c></row></worksheet>")
    check_zip(path, ZipLimits(max_unpacked_bytes=MB))
    with pytest.raises(LoadError, match="5 entries, over the limit of 3"):
        check_zip(path, ZipLimits(max_unpacked_bytes=MB, max_entries=3))
    with pytest.raises(LoadError, match="nested more than 2 elements deep"):
        check_zip(path, ZipLimits(max_unpacked_bytes=MB, max_xml_depth=2))


def test_ingest_run_reports_the_bomb_and_indexes_the_rest(tmp_path: Path) -> None:
    """Through the pipeline: the bomb fails with a one-line reason naming the limit; the other files are indexed."""
    docs = tmp_path / "docs"
    docs.mkdir()
    word_file(docs / "bomb.docx", paragraphs(150 * MB))
    word_file(docs / "deep.docx", nested_tables(60))
    word_file(docs / "案内.docx", paragraphs(1000))
    (docs / "窓口.txt").write_text("窓口のご案内\n窓口は午前八時三十分に開きます。\n", encoding="utf-8")
    summary = run_ingest([docs], load_settings(tmp_path / "store"))
    failed = {f["source"]: f["reason"] for f in summary.failed}
    assert set(failed) == {"bomb.docx", "deep.docx"}, failed
    assert "KOTAE_INGEST_MAX_UNPACKED_MB" in failed["bomb.docx"] and "\n" not in failed["bomb.docx"]
    assert "nested more than" in failed["deep.docx"]
    assert summary.added == 2 and summary.documents == 2
