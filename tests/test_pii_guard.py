"""The personal-information guard covers everything sent to a model, end to end: a store ingested from files in
tmp_path whose titles, dates, speakers (name and title) and text carry personal information, plain and disguised
(invisible characters, middle dots, spaced-out and kanji digits, full-width forms), and the real app answering
/api/ask and /api/draft with the LLM composer. The only stand-in is the external model: the loopback stub of an
OpenAI-compatible server (`llm_stub.py`), whose record of each request is searched for every item.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from kotae_env import clear_kotae_env
from llm_stub import StubLLM, reply, user_message

from ingest.pipeline import run_ingest
from kotae.settings import GuardSettings, Settings, load_settings
from kotae.types import Chunk, Hit
from service.app import create_app
from service.audit import AuditLog
from service.compose.guard import PersonalInfoBlocked, guard
from service.compose.llm import build_messages

MODEL = "stub-model"
QUESTION = "書かない窓口での転入届の手続"
PROBE_TITLE = "山田花子様（090-8765-4321、hanako@example.jp）からの相談記録"
MASKED_PROBE_TITLE = "［個人情報：氏名］様（［個人情報：電話番号］、［個人情報：メールアドレス］）からの相談記録"
MY_NUMBER = "432198765012"  # its check digit is right: found without a label too

# The probe's document: its exact title line, a birth date above the real dating line, and a body with the
# probe's dotted マイナンバー and disguised contact details.
PROBE_TEXT = f"""{PROBE_TITLE}
生年月日：昭和45年3月2日
令和6年5月10日　福祉課
　書かない窓口で転入届の手続をした際の相談である。マイナンバーは1234.5678.9012、個人番号カードの番号も1234・5678・9012。
　折り返しの連絡先は０９０\u200b８７６５\u200b４３２１、メールはhanako\u200b@example.jp、控えの番号は{MY_NUMBER[:4]}\u200c・{MY_NUMBER[4:8]}\u200c・{MY_NUMBER[8:]}とのこと。
"""
# A record from a store ingested before birth dates were refused as document dates: its `_meta` date is the
# birth date its text gives (what the old date guess produced). Its title hides a name and a spaced-out phone.
OLD_TEXT = """鈴\u2060木一郎様（0 9 0 - 8 7 6 5 - 4 3 2 1）の転入届相談票
相談者：鈴木一郎
誕生日：1980年4月1日
　書かない窓口で転入届の手続を受け付けた。連絡先は〇九〇八七六五四三二一（日中）。
"""
OLD_DATE = "1980-04-01"
# Minutes-like turns: a member of the public named in the speaker's name, a phone number in an official's title
# (an executive: the draft draws on it). Three turns make it minutes; with no preamble the store has 5 chunks.
HEARING_TEXT = (
    "○十二番（桑原美穂君）　書かない窓口の転入届の手続について伺います。\n"
    "○相談者（山田花子様）　書かない窓口で転入届の手続をしましたが、早く終わりました。"
    "連絡は０９０・８７６５・４３２１へ。\n"
    "○相談窓口０９０―８７６５―４３２１担当部長（浅見典子君）　"
    "書かない窓口では、転入届の手続を職員が聞き取って申請書を作成しております。\n"
)

# Every personal-data item of the documents, as it would show however it was written: names, the phone, the
# マイナンバー (valid and the probe's), the e-mail address and the birth dates (as written, and as ISO dates).
NAMES = ("山田花子", "鈴木一郎")
DIGITS = ("09087654321", MY_NUMBER, "123456789012", "19700302", "19800401")
WORDS = ("hanako", "example.jp", "昭和45年", "1970-03-02", OLD_DATE, "1980年4月")


@pytest.fixture(autouse=True)
def _no_kotae_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_kotae_env(monkeypatch)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The three documents ingested into a store of their own; the two records count as guidelines, so a draft
    takes them as rule passages beside the executive's answer."""
    root = tmp_path_factory.mktemp("pii_guard")
    docs = root / "docs"
    docs.mkdir()
    (docs / "相談記録.txt").write_text(PROBE_TEXT, encoding="utf-8")
    (docs / "相談記録.txt.meta.json").write_text(json.dumps({"doc_type": "guideline"}), encoding="utf-8")
    (docs / "旧相談票.txt").write_text(OLD_TEXT, encoding="utf-8")
    (docs / "旧相談票.txt.meta.json").write_text(json.dumps({"doc_type": "guideline", "date": OLD_DATE}),
                                                 encoding="utf-8")
    (docs / "窓口聞き取り記録.txt").write_text(HEARING_TEXT, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        summary = run_ingest([docs], load_settings(root / "store"))
    assert summary.failed == [] and summary.documents == 3, summary
    return root / "store"


@pytest.fixture(scope="module")
def llm() -> Iterator[StubLLM]:
    with StubLLM() as stub:
        yield stub


def settings_with(store: Path, llm: StubLLM, **env: str) -> Settings:
    """Settings for `store` with the stub as the one model, plus `env`."""
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        for name, value in {"KOTAE_LLM_BASE_URL": llm.base_url, "KOTAE_LLM_MODEL": MODEL, **env}.items():
            mp.setenv(name, value)
        return load_settings(store)


@pytest.fixture(scope="module")
def client(store: Path, llm: StubLLM) -> Iterator[TestClient]:
    """The app on default guard settings (question: block, sources: mask)."""
    with TestClient(create_app(settings_with(store, llm))) as test_client:
        yield test_client


def post(client: TestClient, route: str, question: str = QUESTION) -> Any:
    body: dict[str, Any] = {"question": question, "composer": "llm"}
    if route == "/api/draft":
        body["stance"] = "推進"
    return client.post(route, json=body)


# --- reading what the model received ------------------------------------------------------------------------------

_KANJI_DIGITS = str.maketrans("〇一二三四五六七八九", "0123456789")
_BETWEEN_DIGITS = re.compile(r"(?<=[0-9])[\s\-.・･·‐‑‒–—―−ー－]+(?=[0-9])")


def plain(text: str) -> str:
    """`text` as a reader sees it, written independently of kotae.pii: invisible (format) characters dropped,
    compatibility forms folded (NFKC: full-width, mathematical letters)."""
    shown = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return unicodedata.normalize("NFKC", shown)


def leaks(body: Any) -> list[str]:
    """Every personal-data item found anywhere in a request body (all its fields, not only the prompt)."""
    text = plain(json.dumps(body, ensure_ascii=False))
    digits = _BETWEEN_DIGITS.sub("", text.translate(_KANJI_DIGITS))
    found = [n for n in NAMES if n in text] + [w for w in WORDS if w.lower() in text.lower()]
    return found + [d for d in DIGITS if d in digits]


def headers(body: Any) -> list[str]:
    """The attribute part of each <資料 …> block of the prompt."""
    return re.findall(r"<資料 ([^>\n]*)>", user_message(body))


def only_request(llm: StubLLM) -> Any:
    assert len(llm.requests) == 1, llm.requests
    return llm.requests[0].body


# --- the items are there to be found ----------------------------------------------------------------------------


def test_the_checker_sees_every_item_in_the_unguarded_prompt(store: Path, llm: StubLLM) -> None:
    """With the guard off, everything goes as is: the check below would catch every kind of item in it."""
    llm.script(reply("資料からは回答できません。"))
    with TestClient(create_app(settings_with(store, llm, KOTAE_PII_SOURCES="off"))) as c:
        assert post(c, "/api/ask").status_code == 200
    body = only_request(llm)
    assert len(headers(body)) == 5  # every chunk of the store went to the model
    assert set(leaks(body)) >= {"山田花子", "鈴木一郎", "09087654321", MY_NUMBER, "123456789012", "hanako",
                                "昭和45年", OLD_DATE}
    assert f'文書="{PROBE_TITLE}"' in user_message(body)


# --- mask (the default for sources) -------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ["/api/ask", "/api/draft"])
def test_masked_request_holds_no_personal_data_anywhere(client: TestClient, llm: StubLLM, route: str) -> None:
    """Titles, dates, speakers, passages: what the model receives holds placeholders, never the values."""
    llm.script(reply("資料からは回答できません。"))
    response = post(client, route)
    assert response.status_code == 200, response.text
    body = only_request(llm)
    assert leaks(body) == []
    sent = user_message(body)
    assert f'文書="{MASKED_PROBE_TITLE}"' in sent
    assert "マイナンバーは［個人情報：マイナンバー］、個人番号カードの番号も［個人情報：マイナンバー］。" in sent
    note = response.json()["guard"]
    assert note.startswith("資料（") and "を伏せて送信" in note
    for kind in ("氏名", "電話番号", "メールアドレス", "マイナンバー", "生年月日"):
        assert kind in note, (kind, note)


def test_ask_masks_every_attribute_of_every_passage(client: TestClient, llm: StubLLM) -> None:
    """Each kind of attribute is masked in place, with the placeholders of passage text."""
    llm.script(reply("資料からは回答できません。"))
    response = post(client, "/api/ask")
    attrs = headers(only_request(llm))
    assert len(attrs) == 5
    assert any(f'文書="{MASKED_PROBE_TITLE}"' in a and '日付="2024-05-10"' in a for a in attrs)  # the dating line
    assert any('文書="［個人情報：氏名］様（［個人情報：電話番号］）の転入届相談票"' in a
               and '日付="［個人情報：生年月日］"' in a for a in attrs)  # an old store's birth date as a date
    assert any('発言者="相談者 ［個人情報：氏名］様"' in a for a in attrs)
    assert any('発言者="相談窓口［個人情報：電話番号］担当部長 浅見典子"' in a for a in attrs)
    note = response.json()["guard"]
    assert note.startswith("資料（文書名・日付・発言者・本文）の"), note


@pytest.mark.parametrize("route", ["/api/ask", "/api/draft"])
def test_the_audit_log_says_what_was_masked(client: TestClient, llm: StubLLM, store: Path, route: str) -> None:
    llm.script(reply("資料からは回答できません。"))
    note = post(client, route).json()["guard"]
    event = AuditLog(store, 365).events(limit=1)[0]
    assert event["action"] == route.removeprefix("/api/") and event["guard"] == note
    assert "山田花子" not in json.dumps(event, ensure_ascii=False)


def test_the_draft_sends_the_executive_answer_and_the_records_masked(client: TestClient, llm: StubLLM) -> None:
    llm.script(reply("資料からは回答できません。"))
    assert post(client, "/api/draft").status_code == 200
    attrs = headers(only_request(llm))
    assert any('発言者="相談窓口［個人情報：電話番号］担当部長 浅見典子"' in a for a in attrs)
    assert any(f'文書="{MASKED_PROBE_TITLE}"' in a for a in attrs)


# --- block ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ["/api/ask", "/api/draft"])
def test_block_refuses_naming_kinds_and_fields_never_values(store: Path, llm: StubLLM, route: str) -> None:
    llm.script(reply("資料からは回答できません。"))
    with TestClient(create_app(settings_with(store, llm, KOTAE_PII_SOURCES="block"))) as c:
        response = post(c, route)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert "personal information" in detail and "nothing was sent" in detail
    for kind in ("氏名", "電話番号", "メールアドレス"):
        assert kind in detail, detail
    assert "titles" in detail and "speakers" in detail and "text" in detail, detail
    assert llm.requests == []
    assert leaks({"detail": detail}) == []
    event = AuditLog(store, 365).events(limit=1)[0]
    assert event["status"].startswith("error: the passages") and "電話番号" in event["status"]


def test_a_disguised_question_is_blocked_by_default_and_never_sent(client: TestClient, llm: StubLLM) -> None:
    llm.script(reply("資料からは回答できません。"))
    for question in (f"{QUESTION}。連絡先は０９０\u200b８７６５\u200b４３２１",
                     f"{QUESTION}（個人番号1234・5678・9012）", f"{QUESTION}。hanako @ example.jp から"):
        response = post(client, "/api/ask", question)
        assert response.status_code == 422, (question, response.text)
        assert "the question contains personal information" in response.json()["detail"]
    assert llm.requests == []


def test_a_masked_question_goes_with_placeholders(store: Path, llm: StubLLM) -> None:
    llm.script(reply("資料からは回答できません。"))
    with TestClient(create_app(settings_with(store, llm, KOTAE_PII_QUESTION="mask"))) as c:
        response = post(c, "/api/draft", f"{QUESTION}。連絡先は０９０・８７６５・４３２１")
    assert response.status_code == 200, response.text
    body = only_request(llm)
    assert leaks(body) == [] and user_message(body).endswith(f"質問: {QUESTION}。連絡先は［個人情報：電話番号］")
    assert response.json()["guard"].startswith("質問の電話番号 1件を伏せて送信、資料（")


# --- the guard on its own: every field of a passage, the page label too ------------------------------------------


def test_every_attribute_is_scanned_and_masked() -> None:
    text = "生年月日：昭和45年3月2日。書かない窓口で相談。"
    chunk = Chunk("c1", "a.pdf", 0, len(text), text, 0, "document", PROBE_TITLE, "1970-03-02", page=3,
                  speaker="山田花子様", speaker_title="連絡先090・8765・4321", speaker_role="other")
    guarded = guard(QUESTION, [Hit(chunk, 1, 1.0)], GuardSettings(question="block", sources="mask"))
    (passage,) = guarded.passages
    assert passage.title == MASKED_PROBE_TITLE
    assert passage.date == "［個人情報：生年月日］"
    assert passage.speaker == "連絡先［個人情報：電話番号］ ［個人情報：氏名］様"
    assert passage.page == "p.3"
    assert passage.text == "生年月日：［個人情報：生年月日］。書かない窓口で相談。"
    messages = build_messages(guarded.question, guarded.passages)
    assert leaks(messages) == [] and '箇所="p.3"' in messages[1]["content"]
    with pytest.raises(PersonalInfoBlocked) as blocked:
        guard(QUESTION, [Hit(chunk, 1, 1.0)], GuardSettings(question="block", sources="block"))
    assert "in their titles, dates, speakers and text)" in str(blocked.value)
    assert leaks(str(blocked.value)) == []


def test_a_date_with_no_birth_date_beside_it_is_sent_as_is() -> None:
    text = "令和6年5月10日、書かない窓口で相談を受けた。"
    chunk = Chunk("c1", "a.txt", 0, len(text), text, 0, "document", "相談記録", "2024-05-10")
    guarded = guard(QUESTION, [Hit(chunk, 1, 1.0)], GuardSettings(question="block", sources="mask"))
    assert guarded.passages[0].date == "2024-05-10" and guarded.note == ""


@pytest.mark.parametrize(
    ("attributes", "where", "label"),
    [({"title": PROBE_TITLE}, "titles", "文書名"),
     ({"speaker": "山田花子様", "speaker_title": "相談者"}, "speakers", "発言者"),  # after 市民部長: an official
     ({"speaker_title": "連絡先０９０\u200b８７６５\u200b４３２１"}, "speakers", "発言者")],
)
def test_personal_data_only_in_an_attribute_is_blocked(attributes: dict[str, str], where: str, label: str) -> None:
    """The passage text is clean; the attribute alone makes block mode refuse and mask mode mask."""
    text = "書かない窓口で転入届の手続を受け付けた。"
    values = {"title": "相談記録", "speaker": "浅見典子", "speaker_title": "市民部長", **attributes}
    chunk = Chunk("c1", "a.txt", 0, len(text), text, 0, "minutes", values["title"], "2024-05-10",
                  speaker=values["speaker"], speaker_title=values["speaker_title"], speaker_role="executive")
    with pytest.raises(PersonalInfoBlocked, match=f"in their {where}\\)") as blocked:
        guard(QUESTION, [Hit(chunk, 1, 1.0)], GuardSettings(question="block", sources="block"))
    assert leaks(str(blocked.value)) == []
    guarded = guard(QUESTION, [Hit(chunk, 1, 1.0)], GuardSettings(question="block", sources="mask"))
    assert leaks(build_messages(guarded.question, guarded.passages)) == []
    assert guarded.passages[0].text == text and guarded.note.startswith(f"資料（{label}）の")
