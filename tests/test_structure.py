"""Structure: speaker roles, 会議録 turns, document type / title / date, on hand-written and real documents."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from ingest.describe import classify
from ingest.documents import build_document, content_hash, document_version
from ingest.meta import Overrides
from ingest.structure import find_turns, speaker_role
from kotae.types import Document

TOKYO = "minutes/tokyo-2020"
MINUTES_0226 = f"{TOKYO}/2020-02-26_令和二年東京都議会会議録第二号.txt"
REIKI = "reiki/katsuragi/k518RG00000012.html"
# A turn header as the data README describes it: a line starting with ○ (counted independently of the code).
TURN_LINE = re.compile(r"^○", re.MULTILINE)


def _build(path: Path) -> Document:
    data = path.read_bytes()
    version = document_version(content_hash(data), Overrides(), {"target": 400, "max": 800})
    return build_document(path, path.name, content_hash(data), version, Overrides())


# ---------------------------------------------------------------- speaker roles


@pytest.mark.parametrize("title", ["議長", "副議長", "委員長"])
def test_chair_roles(title: str) -> None:
    assert speaker_role(title) == "chair"


@pytest.mark.parametrize("title", ["百十六番", "12番", "１２番", "六十七番"])
def test_member_roles(title: str) -> None:
    assert speaker_role(title) == "member"


@pytest.mark.parametrize(
    "title",
    [
        "知事",
        "副知事",
        "市長",
        "教育長",
        "福祉保健局長",
        "東京都技監",
        "警視総監",
        "総務部長",
        "消防総監",
        "中央卸売市場長",
    ],
)
def test_executive_roles(title: str) -> None:
    assert speaker_role(title) == "executive"


@pytest.mark.parametrize("title", ["議会局長", "議事部長", "議会局次長", "議会事務局長", "書記"])
def test_clerk_roles_are_other(title: str) -> None:
    # The assembly's own staff read out business; they answer no policy question.
    assert speaker_role(title) == "other"


@pytest.mark.parametrize(
    "title",
    ["選挙管理委員会事務局長", "監査事務局長", "人事委員会事務局長", "収用委員会事務局長", "労働委員会事務局長",
     "監査委員事務局長", "選挙管理委員会事務局次長", "交通局長職務代理者次長"],
)
def test_a_commissions_secretariat_head_is_an_executive(title: str) -> None:
    # They answer for their commission (選挙, 監査, 人事): the executive filter must keep their answers.
    assert speaker_role(title) == "executive"


@pytest.mark.parametrize("title", ["事務局長", "事務局次長", "議会事務局次長", "市議会事務局長", "議事課長"])
def test_the_assemblys_secretariat_is_other(title: str) -> None:
    # A bare 事務局長 in minutes is the assembly's own; so is every 議会…局 and 議事… title.
    assert speaker_role(title) == "other"


def test_role_ignores_surrounding_blanks() -> None:
    assert speaker_role(" 知事\u3000") == "executive"


# ---------------------------------------------------------------- find_turns on a hand-written text

HAND_MINUTES = (
    "令和六年第一回みずほ野市議会定例会会議録\n"
    "令和6年3月1日\n"
    "\n"
    "○議長（佐藤一郎君）　これより本日の会議を開きます。\n"
    "　十二番山田太郎君。\n"
    "〔十二番山田太郎君登壇〕\n"
    "○十二番（山田　太郎君）　生成ＡＩの利用について伺います。\n"
    "\n"
    "○市長（鈴木花子君）　お答えします。ガイドラインを定めました。\n"
    "○議長 (佐藤一郎君）　以上で質問を終わります。\n"
)


def test_find_turns_on_hand_written_minutes() -> None:
    turns = find_turns(HAND_MINUTES)
    assert [(t.title, t.speaker, t.role) for t in turns] == [
        ("議長", "佐藤一郎", "chair"),
        ("十二番", "山田太郎", "member"),  # the full-width space inside the name is dropped
        ("市長", "鈴木花子", "executive"),
        ("議長", "佐藤一郎", "chair"),  # a blank and a half-width bracket after the title
    ]
    headers = [m.start() for m in TURN_LINE.finditer(HAND_MINUTES)]
    assert [t.header_start for t in turns] == headers


def test_turn_text_starts_after_the_header_and_keeps_the_stage_note() -> None:
    turns = find_turns(HAND_MINUTES)
    chair = turns[0]
    speech = HAND_MINUTES[chair.start : chair.end]
    assert speech.startswith("これより本日の会議を開きます。")
    # The stage note stays in the chair's turn and is nobody's turn.
    assert speech.endswith("〔十二番山田太郎君登壇〕")
    assert all("登壇" not in t.speaker and not t.title.startswith("〔") for t in turns)
    assert HAND_MINUTES[turns[1].start : turns[1].end] == "生成ＡＩの利用について伺います。"
    assert HAND_MINUTES[turns[2].start : turns[2].end] == "お答えします。ガイドラインを定めました。"
    assert HAND_MINUTES[turns[3].start : turns[3].end] == "以上で質問を終わります。"


def test_turns_are_ordered_and_trimmed() -> None:
    turns = find_turns(HAND_MINUTES)
    for before, after in itertools.pairwise(turns):
        assert before.header_start < before.start < before.end <= after.header_start
    for t in turns:
        assert HAND_MINUTES[t.header_start] == "○"
        assert not HAND_MINUTES[t.end - 1].isspace()
    assert turns[-1].end == len(HAND_MINUTES.rstrip())


def test_text_without_headers_has_no_turns() -> None:
    assert find_turns("○かつらぎ町表彰規程\n第1条　この規程は、表彰について定める。\n") == []
    assert find_turns("市長（迫俊哉）は述べた。\n") == []  # not at the start of a line after ○


def test_a_manual_s_bullets_with_brackets_are_no_turns() -> None:
    text = ("○資料作成のための事務機器（パソコン、コピー機など）、消耗品等の購入費\n"
            "○会議に要する経費（会場費、資料代）\n○視察に要する経費（交通費、宿泊費）\n")
    assert find_turns(text) == []
    assert classify("政務活動費の手引き", text, find_turns(text), "手引き.pdf") == "manual"


def test_the_real_manual_is_not_minutes(shared_data: Path) -> None:
    doc = _build(shared_data / "pdf/nankoku/seimukatudouhi__政務活動費の手引き（H28.4.1）.pdf")
    assert doc.doc_type != "minutes"
    assert all(s.speaker is None for s in doc.segments)


def test_hand_written_minutes_build_as_minutes(tmp_path: Path) -> None:
    path = tmp_path / "minutes.txt"
    path.write_text(HAND_MINUTES, encoding="utf-8")
    doc = _build(path)
    assert doc.doc_type == "minutes"
    assert doc.title == "令和六年第一回みずほ野市議会定例会会議録"
    assert doc.date == "2024-03-01"
    assert classify(doc.title, HAND_MINUTES, find_turns(HAND_MINUTES), "minutes.txt") == "minutes"


# ---------------------------------------------------------------- real Tokyo minutes


@pytest.fixture(scope="module")
def minutes_0226(shared_data: Path) -> tuple[Path, str]:
    path = shared_data / MINUTES_0226
    return path, path.read_bytes().decode("utf-8")


def test_real_minutes_turn_count_equals_header_lines(minutes_0226: tuple[Path, str]) -> None:
    _, text = minutes_0226
    expected = len(TURN_LINE.findall(text))
    assert expected > 50  # the file really is minutes with many turns
    turns = find_turns(text)
    assert len(turns) == expected
    assert [t.header_start for t in turns] == [m.start() for m in TURN_LINE.finditer(text)]


def test_every_real_minutes_file_turn_count(shared_data: Path) -> None:
    files = sorted((shared_data / TOKYO).glob("*.txt"))
    assert len(files) == 10
    for path in files:
        text = path.read_bytes().decode("utf-8")
        headers = [m.start() for m in TURN_LINE.finditer(text)]
        assert [t.header_start for t in find_turns(text)] == headers, path.name


def test_real_minutes_known_speakers(minutes_0226: tuple[Path, str]) -> None:
    _, text = minutes_0226
    turns = find_turns(text)
    by_speaker: dict[str, set[tuple[str, str]]] = {}
    for t in turns:
        by_speaker.setdefault(t.speaker, set()).add((t.title, t.role))
    assert by_speaker["小池百合子"] == {("知事", "executive")}
    assert by_speaker["石川良一"] == {("議長", "chair")}
    assert by_speaker["増子ひろき"] == {("百十六番", "member")}
    # Each turn's header, as written, names its speaker.
    for t in turns:
        header = text[t.header_start : t.start]
        assert header.startswith("○" + t.title)
        assert re.sub(r"\s", "", header).find(t.speaker) > 0
    # The first question is answered by the governor right after it.
    first_question = next(i for i, t in enumerate(turns) if t.role == "member")
    assert turns[first_question + 1].speaker == "小池百合子"


def test_real_minutes_title_and_date(minutes_0226: tuple[Path, str]) -> None:
    path, text = minutes_0226
    doc = _build(path)
    first_line = text.splitlines()[0].strip()
    assert doc.title == first_line == "令和二年東京都議会会議録第二号"
    assert doc.date == path.name[:10] == "2020-02-26"
    assert doc.doc_type == "minutes"
    assert doc.text == text  # plain text: the extracted text is the decoded file


# ---------------------------------------------------------------- other real documents


def test_reiki_with_a_circle_title_is_not_minutes(shared_data: Path) -> None:
    path = shared_data / REIKI
    doc = _build(path)
    # The title line starts with ○, which alone must not make the text minutes.
    assert any(line.startswith("○") for line in doc.text.splitlines())
    assert find_turns(doc.text) == []
    assert doc.doc_type == "ordinance"
    assert doc.title == "かつらぎ町表彰規程"
    assert doc.date == "1968-09-10"  # 昭和43年9月10日
    assert all(s.speaker is None for s in doc.segments)


def test_otaru_speech(shared_data: Path) -> None:
    paths = sorted((shared_data / "speeches/otaru").glob("*R4*"))
    assert len(paths) == 1
    doc = _build(paths[0])
    assert doc.doc_type == "speech"
    turns = find_turns(doc.text)
    mayor = [t for t in turns if t.title == "市長"]
    assert mayor and all(t.speaker == "迫俊哉" and t.role == "executive" for t in mayor)
    segments = [s for s in doc.segments if s.speaker == "迫俊哉"]
    assert segments and all(s.speaker_role == "executive" and s.speaker_title == "市長" for s in segments)
    # The speech is long: the mayor's turn holds most of the text.
    assert sum(t.end - t.start for t in mayor) > 0.9 * len(doc.text.strip())


def test_real_minutes_commission_secretariat_heads_are_executives(shared_data: Path) -> None:
    """The Tokyo minutes list the commissions' 事務局長 among the 出席説明員 (the executive side that answers);
    none speaks in these ten sessions, but a turn of theirs must count as the executive's."""
    titles: set[str] = set()
    for path in sorted((shared_data / TOKYO).glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        block = text[text.index("出席説明員") :].split("\n")[1:]
        for line in itertools.takewhile(lambda ln: ln.endswith("君"), block):
            if "事務局長" in line:
                titles.add(line[: line.index("事務局長") + len("事務局長")])
    assert {"選挙管理委員会事務局長", "監査事務局長", "人事委員会事務局長", "収用委員会事務局長"} <= titles
    assert {title: speaker_role(title) for title in titles} == dict.fromkeys(titles, "executive")
    # Every speaker of the real minutes keeps the role it had: the assembly's own staff alone are "other".
    others = {t.title for path in (shared_data / TOKYO).glob("*.txt")
              for t in find_turns(path.read_text(encoding="utf-8")) if t.role == "other"}
    assert others == {"議事部長", "包括外部監査人"}
