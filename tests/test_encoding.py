"""Japanese encoding detection for plain-text files, and the Shift_JIS CRLF memo in the sample corpus."""

from __future__ import annotations

import codecs
import random
from pathlib import Path

import pytest

from ingest.chunking import chunk_document
from ingest.documents import build_document, content_hash, document_version
from ingest.loaders import load_file
from ingest.loaders.text_file import decode_japanese, load_text
from ingest.meta import Overrides
from kotae.errors import LoadError

REPO = Path(__file__).resolve().parent.parent
MEMO = REPO / "corpus" / "memos" / "窓口対応メモ.txt"
TEXT = "令和６年度の窓口対応について、生成ＡＩの利用ルールを定めます。\n市民課（電話０１２３）\nデータ連携・テスト"
CODECS = ("utf-8", "cp932", "euc_jp")


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932", "shift_jis", "euc_jp"])
def test_same_text_in_each_encoding_decodes_to_the_original(encoding: str) -> None:
    assert decode_japanese(TEXT.encode(encoding)) == TEXT


@pytest.mark.parametrize("text", ["会長\u3000伊東\u3000克朗", "\u3000"])
def test_valid_utf8_is_never_read_as_cp932(text: str) -> None:
    data = text.encode("utf-8")
    assert _decodes(data, "cp932")  # the bytes are valid CP932 too (as mojibake)
    assert decode_japanese(data) == text


def test_euc_jp_that_also_decodes_as_cp932_is_read_as_euc_jp() -> None:
    data = "データ連携のテスト".encode("euc_jp")
    assert _decodes(data, "cp932") and data.decode("cp932") != "データ連携のテスト"  # the ambiguity is real
    assert decode_japanese(data) == "データ連携のテスト"


def test_utf8_with_bom_drops_only_the_bom() -> None:
    data = codecs.BOM_UTF8 + TEXT.encode("utf-8")
    assert decode_japanese(data) == TEXT
    with pytest.raises(LoadError, match="BOM"):
        decode_japanese(codecs.BOM_UTF8 + b"\xff\xfe\xfd")


def test_random_invalid_bytes_raise() -> None:
    rng = random.Random(20240401)
    tried = 0
    while tried < 20:
        data = bytes(rng.randrange(0x80, 0x100) for _ in range(256))
        if any(_decodes(data, enc) for enc in CODECS):
            continue  # only bytes no candidate encoding accepts
        tried += 1
        with pytest.raises(LoadError, match="undecodable"):
            decode_japanese(data)


@pytest.mark.parametrize(
    "data",
    [
        b"\x00",
        "テキスト".encode() + b"\x00\x00",
        "text file".encode("utf-16-le"),  # UTF-16 of ASCII is full of NULs
        b"%PDF-1.7\n\x00\x01\x02",
    ],
)
def test_nul_bytes_raise(data: bytes) -> None:
    with pytest.raises(LoadError, match="NUL"):
        decode_japanese(data)


def test_empty_and_blank_files_raise(tmp_path: Path) -> None:
    for name, data in (("empty.txt", b""), ("blank.txt", " \r\n\u3000\n".encode())):
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(LoadError, match="empty"):
            load_text(path)


def test_shift_jis_crlf_memo_decodes_unchanged() -> None:
    data = MEMO.read_bytes()
    # What the file really is, checked independently of the loader.
    assert not _decodes(data, "utf-8")
    assert b"\r\n" in data
    expected = data.decode("shift_jis")
    assert decode_japanese(data) == expected
    extracted = load_text(MEMO)
    assert extracted.text == expected  # the decoded file text, newlines and widths untouched
    assert "窓口" in extracted.text
    assert "\r\n" in extracted.text
    assert extracted.text.count("\r\n") == data.count(b"\r\n")
    assert extracted.title == expected.splitlines()[0].strip()
    assert load_file(MEMO).text == expected


def test_memo_chunks_index_the_decoded_file() -> None:
    data = MEMO.read_bytes()
    version = document_version(content_hash(data), Overrides(), {"target": 400, "max": 800})
    doc = build_document(MEMO, MEMO.name, content_hash(data), version, Overrides())
    text = data.decode("shift_jis")
    chunks = chunk_document(doc, 400, 800)
    assert chunks
    for c in chunks:
        assert c.text == text[c.start : c.end]
        assert not c.text.startswith(("\r", "\n")) and not c.text.endswith(("\r", "\n"))


@pytest.mark.parametrize("encoding", ["utf-8", "cp932", "euc_jp"])
def test_load_text_from_files_in_each_encoding(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / f"memo-{encoding}.txt"
    path.write_bytes(("# 見出し\r\n" + TEXT).encode(encoding))
    extracted = load_text(path)
    assert extracted.text == "# 見出し\r\n" + TEXT
    assert extracted.title == "見出し"
