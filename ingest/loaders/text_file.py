"""Plain text and Markdown: decode the bytes, detecting the Japanese encoding from them.

The extracted text is the decoded file text unchanged (no newline or width normalisation), so that chunk
offsets index the file as read.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from kotae.errors import LoadError
from kotae.types import Extracted

# UTF-8 is strict and rarely decodes other encodings by accident, so bytes that are valid UTF-8 are UTF-8.
# Otherwise CP932 (the superset of Shift_JIS that Windows writes) and EUC-JP are both tried: EUC-JP bytes
# often decode as CP932 too, so the more plausible text wins.
_LEGACY_ENCODINGS = ("cp932", "euc_jp")


def decode_japanese(data: bytes) -> str:
    """Decode bytes as UTF-8 (with or without BOM), CP932/Shift_JIS or EUC-JP.

    Raises `LoadError` when no encoding decodes the bytes cleanly or the result is not text.
    """
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise LoadError(f"UTF-8 BOM but invalid UTF-8 at byte {exc.start}") from exc
    if b"\x00" in data:
        raise LoadError("binary content (NUL bytes), not a text file")
    try:
        # Never weighed against CP932: 「会長　伊東　克朗」 in UTF-8 also decodes as CP932 and scored higher.
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    decoded: list[str] = []
    for encoding in _LEGACY_ENCODINGS:
        try:
            decoded.append(data.decode(encoding))
        except UnicodeDecodeError:
            continue
    if not decoded:
        raise LoadError("undecodable bytes: not UTF-8, Shift_JIS/CP932 or EUC-JP")
    # EUC-JP bytes often also decode as CP932 (as half-width katakana soup): keep the most plausible.
    return max(decoded, key=_plausibility)


def _plausibility(text: str) -> float:
    """Share of characters that ordinary Japanese prose is made of, minus half-width katakana."""
    if not text:
        return 0.0
    good = sum(1 for ch in text if "\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" or ch.isascii())
    halfwidth_kana = sum(1 for ch in text if "\uff61" <= ch <= "\uff9f")
    return (good - 2 * halfwidth_kana) / len(text)


def load_text(path: Path) -> Extracted:
    """Load a .txt or .md file; the title is its first non-empty line."""
    text = decode_japanese(path.read_bytes())
    if not text.strip():
        raise LoadError("empty file (no text)")
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    title = first_line.lstrip("#").strip()[:120] or None
    return Extracted(text=text, title=title)
