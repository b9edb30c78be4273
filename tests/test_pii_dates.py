"""A birth date is never a document date: the ingestion's date guess skips dates written as someone's birth date
(生年月日：…, …生まれ, …生, (生)) and takes the real dating line, or no date at all. Files are real files in tmp_path,
built into documents by the ingestion's own `build_document`."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.documents import build_document, content_hash, document_version
from ingest.meta import Overrides
from kotae.jdates import find_date, to_iso_date
from kotae.types import Document


def built(path: Path, text: str, encoding: str = "utf-8") -> Document:
    """`text` written to `path` and built into a document as ingestion does."""
    path.write_bytes(text.encode(encoding))
    digest = content_hash(path.read_bytes())
    return build_document(path, path.name, digest, document_version(digest, Overrides(), {}), Overrides())


COUNTER_RECORD = """相談記録（福祉課）
相談者：山田花子様
生年月日：昭和45年3月2日
令和6年5月10日　福祉課　受付
　書かない窓口での転入届の手続について相談があった。
"""

FORM = """児童手当認定請求書
申請者氏名：鈴木一郎
生年月日
１９８０年４月１日
請求日　令和６年１０月３日
"""


@pytest.mark.parametrize(
    ("name", "text", "date"),
    [
        ("相談記録.txt", COUNTER_RECORD, "2024-05-10"),
        ("請求書.txt", FORM, "2024-10-03"),  # the label in the cell above the value's
        ("面談メモ.md", "# 面談メモ\n\n山田花子（昭和45年3月2日生）\n\n令和6年6月1日に面談した。\n", "2024-06-01"),
        ("経歴.txt", "経歴\n1980年4月1日生まれ。\n2024年7月1日 作成\n", "2024-07-01"),
        ("聞き取り.txt", "聞き取り\n昭和四十五年三月二日（生）\n誕生日は平成元年5月5日\n令和六年八月一日\n",
         "2024-08-01"),
        ("名簿.txt", "名簿\n氏名　山田太郎\n誕生日：2001/04/01\n作成日：2024/09/01\n", "2024-09-01"),
    ],
)
def test_the_dating_line_wins_over_a_birth_date_above_it(tmp_path: Path, name: str, text: str, date: str) -> None:
    assert built(tmp_path / name, text).date == date


def test_a_document_with_only_a_birth_date_has_no_date(tmp_path: Path) -> None:
    doc = built(tmp_path / "相談票.txt", "相談票\n相談者：山田花子様\n生年月日：昭和45年3月2日\n内容：転入届について\n")
    assert doc.date is None
    assert doc.title == "相談票"


def test_with_only_a_birth_date_the_file_name_dates_the_document(tmp_path: Path) -> None:
    doc = built(tmp_path / "2024-05-10_相談票.txt", "相談票\n生年月日：1980年4月1日\n内容：転入届について\n")
    assert doc.date == "2024-05-10"


def test_a_birth_date_line_is_no_title(tmp_path: Path) -> None:
    """A form whose first line is the birth date: the line is skipped as a title like a dateline would be."""
    doc = built(tmp_path / "届出.txt", "生年月日：昭和45年3月2日\n転入届の記入例\n令和6年4月1日\n")
    assert doc.title == "転入届の記入例" and doc.date == "2024-04-01"


def test_a_cp932_file_is_dated_the_same(tmp_path: Path) -> None:
    assert built(tmp_path / "memo.txt", COUNTER_RECORD, encoding="cp932").date == "2024-05-10"


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("令和6年9月10日（火曜日）午前10時開議", "2024-09-10"),
        ("2024年4月1日生活保護法の改正に伴い", "2024-04-01"),  # 生活: not 生
        ("出生届　令和6年4月1日受付", "2024-04-01"),  # a 出生届 filed that day, not a birth date
        ("令和2年4月1日に誕生した新しい制度", "2020-04-01"),
        ("生まれ育った町で令和6年4月1日に講演した。", "2024-04-01"),
    ],
)
def test_ordinary_dates_still_date_a_document(text: str, date: str) -> None:
    assert find_date(text) == date


def test_a_birth_date_is_still_a_date_when_asked_for() -> None:
    assert find_date("生年月日：昭和45年3月2日") is None
    assert find_date("生年月日：昭和45年3月2日", birth_dates=True) == "1970-03-02"
    assert to_iso_date("昭和45年3月2日生") == "1970-03-02"  # a date given on its own is what it says
