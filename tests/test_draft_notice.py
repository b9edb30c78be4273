"""The 通告 workflow end to end on the project's own `corpus/`: a 一般質問通告書 of three items through the real
FastAPI app (`POST /api/draft/notice`, `/docx`, `/read`) and the real `kotae draft --notice` CLI, and the
answerer a draft speaks as. The parser itself is tested in test_notice.py."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import docx
import pytest
from fastapi.testclient import TestClient
from kotae_env import clear_kotae_env

from cli.main import main as kotae_main
from kotae.settings import load_settings
from service.app import create_app

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTICE_FILE = REPO_ROOT / "eval" / "notices" / "corpus-3items.txt"
TITLES = ["生成ＡＩの全庁導入について", "書かない窓口の拡大について", "個人情報の取扱いについて"]
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture(autouse=True)
def _no_kotae_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_kotae_env(monkeypatch)


@pytest.fixture(scope="module")
def client(corpus_store: Path) -> Iterator[TestClient]:
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        settings = load_settings(corpus_store)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def notice_text() -> str:
    return NOTICE_FILE.read_text(encoding="utf-8")


def test_api_draft_notice_drafts_every_item(client: TestClient) -> None:
    response = client.post("/api/draft/notice", json={"notice": notice_text(), "stance": "推進"})
    assert response.status_code == 200, response.text
    payload = response.json()
    assert payload["questioner"] == "桑原美穂"
    assert payload["answerers"] == ["市長"]
    assert [i["title"] for i in payload["items"]] == TITLES
    assert len(payload["drafts"]) == 3 and [i["draft"] for i in payload["items"]] == payload["drafts"]
    for item, draft in zip(payload["items"], payload["drafts"], strict=True):
        assert draft["opening"] == "桑原美穂議員のご質問にお答えいたします。"  # the notice's member, the 市長's voice
        assert draft["answerer"] == "市長" and draft["stance"] == "推進" and "推進" in draft["closing"]
        assert item["title"].removesuffix("について") in draft["question"]
    assert payload["drafts"][0]["grounded"] and payload["drafts"][0]["citations"]
    questions = {d["question"] for d in payload["drafts"]}
    assert len(questions) == 3  # each item its own draft


def test_api_draft_notice_docx_is_one_file_with_a_heading_per_item(client: TestClient) -> None:
    response = client.post("/api/draft/notice/docx", json={"notice": notice_text()})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(DOCX_TYPE)
    name = unquote(response.headers["content-disposition"].split("filename*=UTF-8''")[1])
    assert name.endswith(".docx") and "答弁案" in name and "桑原美穂" in name
    document = docx.Document(io.BytesIO(response.content))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    items = [h for h in headings if any(h.endswith(title) for title in TITLES)]
    assert len(items) == 3 and all(h.endswith(t) for h, t in zip(items, TITLES, strict=True))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)  # A4 portrait


def test_api_draft_notice_without_items_is_422(client: TestClient) -> None:
    response = client.post("/api/draft/notice", json={"notice": "質問者　山田太郎\nよろしくお願いします。"})
    assert response.status_code == 422, response.text
    assert "item" in response.text


def test_api_draft_speaks_as_the_answerer_asked(client: TestClient) -> None:
    response = client.post("/api/draft", json={"question": TITLES[0], "questioner": "桑原美穂",
                                               "answerer": "総務部長"})
    assert response.status_code == 200, response.text
    payload = response.json()
    assert payload["answerer"] == "総務部長"
    assert payload["opening"] == "桑原美穂議員のご質問に、総務部長からお答えいたします。"
    assert payload["draft"].startswith(payload["opening"])


def test_api_notice_read_returns_the_files_text(client: TestClient) -> None:
    files = {"file": ("通告書.txt", notice_text().encode("cp932"), "text/plain")}
    response = client.post("/api/draft/notice/read", files=files)
    assert response.status_code == 200, response.text
    payload = response.json()
    assert payload["filename"] == "通告書.txt"  # read as CP932: the text is the file's, not mojibake
    assert all(title in payload["notice"] for title in TITLES) and "桑原美穂" in payload["notice"]


def test_api_notice_read_refuses_a_kind_it_cannot_read(client: TestClient) -> None:
    response = client.post("/api/draft/notice/read", files={"file": ("通告書.xls", b"\xd0\xcf\x11\xe0", "")})
    assert response.status_code == 422, response.text
    assert "通告書.xls" in response.json()["detail"]


def test_cli_draft_notice_text_json_and_docx(corpus_store: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "通告.docx"
    status = kotae_main(["draft", "--notice", str(NOTICE_FILE), "--stance", "慎重", "--docx", str(out_file),
                         "--json", "--store", str(corpus_store)])
    assert status == 0
    payload = json.loads(capsys.readouterr().out)
    assert [i["title"] for i in payload["items"]] == TITLES
    assert all("慎重" in d["closing"] for d in payload["drafts"])
    text = "\n".join(p.text for p in docx.Document(str(out_file)).paragraphs)
    assert all(title in text for title in TITLES)
    assert kotae_main(["draft", "--notice", str(NOTICE_FILE), "--store", str(corpus_store)]) == 0
    out = capsys.readouterr().out
    assert [line for line in out.splitlines() if line.startswith("■ ")] == [
        f"■ {n}　{t}" for n, t in zip("123", TITLES, strict=True)]


@pytest.mark.parametrize("args", [[], ["生成ＡＩについて", "--notice", str(NOTICE_FILE)]])
def test_cli_draft_needs_a_question_or_a_notice(corpus_store: Path, args: list[str],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert kotae_main(["draft", *args, "--store", str(corpus_store)]) == 2
    assert "--notice" in capsys.readouterr().err


def test_cli_draft_notice_missing_file_names_it(corpus_store: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "ない.txt"
    assert kotae_main(["draft", "--notice", str(missing), "--store", str(corpus_store)]) == 2
    assert "ない.txt" in capsys.readouterr().err
