"""The audit log through the real app and CLI: what is recorded for searches, answers, drafts and admin actions,
the admin views (filters, CSV, usage by department and task), retention, append-only behaviour, and the
`kotae user` / `kotae audit export` commands on a real store."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sqlite3
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from access_fixtures import SECRET_SOURCES, Tokens, add_users, bearer, build_store
from fastapi.testclient import TestClient
from kotae_env import clear_kotae_env

from cli.main import main
from kotae.settings import Settings, load_settings
from service.app import create_app
from service.audit import COLUMNS

RETENTION_DAYS = 30
COMPOSING = ("search", "ask", "draft", "draft_docx")  # the actions the usage report counts


@pytest.fixture(autouse=True)
def _no_kotae_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_kotae_env(monkeypatch)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("audit"))


@pytest.fixture(scope="module")
def tokens(store: Path) -> Tokens:
    return add_users(store)


def app_settings(store: Path) -> Settings:
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        mp.setenv("KOTAE_AUTH", "on")
        mp.setenv("KOTAE_RATE_LIMIT_PER_MINUTE", "0")
        mp.setenv("KOTAE_AUDIT_RETENTION_DAYS", str(RETENTION_DAYS))
        return load_settings(store)


@pytest.fixture(scope="module")
def client(store: Path, tokens: Tokens) -> Iterator[TestClient]:
    with TestClient(create_app(app_settings(store))) as test_client:
        yield test_client


def events(client: TestClient, tokens: Tokens, **query: Any) -> list[dict[str, Any]]:
    response = client.get("/api/admin/audit", params={"limit": 1000, **query}, headers=bearer(tokens.admin))
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["events"]
    return found


def last_event(client: TestClient, tokens: Tokens, user: str, action: str) -> dict[str, Any]:
    return events(client, tokens, user=user, action=action)[0]


def call(client: TestClient, path: str, token: str, body: dict[str, Any], status: int = 200) -> Any:
    response = client.post(path, json=body, headers=bearer(token))
    assert response.status_code == status, response.text
    return response.json() if "json" in response.headers["content-type"] else response.content


def audit_rows(store: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(store / "audit.sqlite") as db:
        return db.execute(f"SELECT {', '.join(COLUMNS)} FROM events ORDER BY id").fetchall()


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run `kotae ARGV...` in-process; returns (exit status, stdout, stderr)."""
    capsys.readouterr()
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


# --- what is recorded ---------------------------------------------------------------------------------------------


def test_ask_records_user_groups_composer_sources_status_and_task(client: TestClient, tokens: Tokens) -> None:
    """A grounded answer is recorded as ok with who asked, their groups, the composer, cited sources and task."""
    question = "コンビニ交付の手数料はいくらですか"
    answer = call(client, "/api/ask", tokens.soumu, {"question": question, "task": "research"})
    assert answer["grounded"]
    event = last_event(client, tokens, "soumu", "ask")
    assert event["user"] == "soumu" and event["groups"] == ["総務課"]
    assert (event["question"], event["composer"], event["status"], event["task"]) == (
        question, "extractive", "ok", "research")
    assert event["sources"] == [c["source"] for c in answer["citations"]] and event["sources"]
    assert event["model"] is None and event["at"]


def test_refused_answer_is_recorded_as_refused(client: TestClient, tokens: Tokens) -> None:
    """An answer the documents cannot give is recorded as refused, without sources."""
    answer = call(client, "/api/ask", tokens.soumu, {"question": "火星探査機の打ち上げ予算はいくらか"})
    assert not answer["grounded"]
    event = last_event(client, tokens, "soumu", "ask")
    assert (event["status"], event["sources"], event["task"]) == ("refused", [], None)


@pytest.mark.parametrize(("body", "status", "reason"), [
    ({"question": "窓口の受付時間", "filters": {"colour": "red"}}, 422, "unknown filter(s) colour"),
    ({"question": "窓口の受付時間", "composer": "llm"}, 400, "model"),
])
def test_failed_answer_is_recorded_as_an_error_with_its_reason(client: TestClient, tokens: Tokens,
                                                               body: dict[str, Any], status: int, reason: str) -> None:
    """A request that fails is recorded as 'error: <the reason the caller got>'."""
    response = client.post("/api/ask", json=body, headers=bearer(tokens.soumu))
    assert response.status_code == status
    event = last_event(client, tokens, "soumu", "ask")
    assert event["status"] == f"error: {response.json()['detail']}" and reason in event["status"]
    assert event["composer"] == body.get("composer", "extractive")


def test_search_records_the_hit_sources(client: TestClient, tokens: Tokens) -> None:
    """A search is recorded with its query and the sources of its hits, in rank order."""
    hits = call(client, "/api/search", tokens.hr, {"query": "生成ＡＩの試行利用", "k": 5})["hits"]
    event = last_event(client, tokens, "jinji", "search")
    assert (event["question"], event["status"], event["groups"]) == ("生成ＡＩの試行利用", "ok", ["人事課"])
    assert event["sources"] == [h["source"] for h in hits]


def test_drafts_and_word_exports_are_recorded(client: TestClient, tokens: Tokens) -> None:
    """Drafts and their Word exports are recorded under their own actions, with the cited sources."""
    body = {"question": "書かない窓口の拡大と職員配置について", "task": "draft"}
    draft = call(client, "/api/draft", tokens.hr, body)
    event = last_event(client, tokens, "jinji", "draft")
    assert (event["status"], event["task"], event["composer"]) == ("ok", "draft", "extractive")
    assert event["sources"] == [c["source"] for c in draft["citations"]]
    assert set(event["sources"]) & set(SECRET_SOURCES)  # 人事課 cites its own documents, and the log says so
    call(client, "/api/draft/docx", tokens.hr, body)
    exported = last_event(client, tokens, "jinji", "draft_docx")
    assert (exported["status"], exported["sources"]) == ("ok", event["sources"])


def test_admin_actions_are_recorded(client: TestClient, tokens: Tokens, tmp_path: Path) -> None:
    """Registering a folder and uploading files are recorded as admin actions with what they touched."""
    folder = tmp_path / "extra"
    folder.mkdir()
    response = client.post("/api/admin/folders", json={"path": str(folder)}, headers=bearer(tokens.admin))
    assert response.status_code == 201
    registered = last_event(client, tokens, "kanri", "admin.folder")
    assert (registered["question"], registered["status"], registered["groups"]) == (str(folder), "ok", ["DX推進課"])
    uploaded = client.post("/api/admin/upload", headers=bearer(tokens.admin),
                           files=[("files", ("お知らせ.txt", "図書館は月曜日が休館日です。".encode(), "text/plain"))])
    assert uploaded.json()["saved"] == ["お知らせ.txt"]
    assert last_event(client, tokens, "kanri", "admin.upload")["sources"] == ["お知らせ.txt"]


# --- the admin's views --------------------------------------------------------------------------------------------


def test_audit_filters_by_user_and_action(client: TestClient, tokens: Tokens) -> None:
    """?user= and ?action= narrow the log (newest first); together they combine."""
    call(client, "/api/search", tokens.soumu, {"query": "窓口の受付時間"})
    call(client, "/api/search", tokens.hr, {"query": "窓口の受付時間"})
    everything = events(client, tokens)
    by_user = events(client, tokens, user="soumu")
    by_action = events(client, tokens, action="search")
    both = events(client, tokens, user="soumu", action="search")
    assert by_user and {e["user"] for e in by_user} == {"soumu"}
    assert by_action and {e["action"] for e in by_action} == {"search"}
    assert both == [e for e in by_user if e["action"] == "search"]
    assert [e["id"] for e in everything] == sorted((e["id"] for e in everything), reverse=True)
    assert events(client, tokens, user="nobody") == []
    assert len(events(client, tokens, limit=2)) == 2


def test_csv_from_the_api_and_the_cli_are_the_same(client: TestClient, tokens: Tokens, store: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """/api/admin/audit.csv and `kotae audit export --format csv` give the same rows under the same header."""
    call(client, "/api/search", tokens.soumu, {"query": "コンビニ交付の手数料"})
    response = client.get("/api/admin/audit.csv", headers=bearer(tokens.admin))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    status, out, _ = cli(capsys, "audit", "export", "--format", "csv", "--store", str(store))
    assert status == 0
    from_api, from_cli = list(csv.reader(io.StringIO(response.text))), list(csv.reader(io.StringIO(out)))
    assert from_api == from_cli
    assert tuple(from_api[0]) == COLUMNS
    assert len(from_api) - 1 == len(audit_rows(store)) > 5
    last = dict(zip(COLUMNS, from_api[-1], strict=True))
    assert (last["user"], last["action"], last["question"]) == ("soumu", "search", "コンビニ交付の手数料")
    assert json.loads(last["groups"]) == ["総務課"]
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    status, out, _ = cli(capsys, "audit", "export", "--since", tomorrow, "--store", str(store))
    assert status == 0 and list(csv.reader(io.StringIO(out))) == [list(COLUMNS)]


def test_usage_counts_by_department_and_task(client: TestClient, tokens: Tokens) -> None:
    """/api/admin/usage counts composing requests per department (first group) and task (else the action)."""
    call(client, "/api/ask", tokens.soumu, {"question": "住民票の写しは誰が請求できますか", "task": "writing"})
    call(client, "/api/ask", tokens.soumu, {"question": "住民票の写しは郵送で請求できますか", "task": "writing"})
    call(client, "/api/search", tokens.hr, {"query": "マイナンバーカードの保有率"})
    logged = [e for e in events(client, tokens) if e["action"] in COMPOSING]
    expected = Counter((e["groups"][0], e["task"] or e["action"]) for e in logged)
    not_ok = Counter((e["groups"][0], e["task"] or e["action"]) for e in logged if e["status"] != "ok")
    response = client.get("/api/admin/usage", params={"period": "month"}, headers=bearer(tokens.admin))
    assert response.status_code == 200
    rows = response.json()["rows"]
    counted: Counter[tuple[str, str]] = Counter()
    failed: Counter[tuple[str, str]] = Counter()
    for row in rows:
        counted[(row["department"], row["task"])] += row["requests"]
        failed[(row["department"], row["task"])] += row["not_ok"]
    assert counted == expected and failed == not_ok
    assert counted[("総務課", "writing")] >= 2 and counted[("人事課", "search")] >= 1
    assert all(row["users"] == 1 for row in rows if row["department"] in ("総務課", "人事課"))
    assert "admin.folder" not in {row["task"] for row in rows}  # admin actions are not use of the tool
    bad = client.get("/api/admin/usage", params={"period": "year"}, headers=bearer(tokens.admin))
    assert bad.status_code == 422


def test_log_is_append_only_through_the_api(client: TestClient, tokens: Tokens, store: Path) -> None:
    """No route changes or deletes audit rows: the audit paths are read-only and earlier rows stay as written."""
    before = audit_rows(store)
    schema = client.get("/openapi.json").json()["paths"]
    audit_paths = {p: set(ops) for p, ops in schema.items() if "audit" in p}
    assert audit_paths == {"/api/admin/audit": {"get"}, "/api/admin/audit.csv": {"get"}}
    for method in ("DELETE", "PUT", "PATCH", "POST"):
        for path in audit_paths:
            assert client.request(method, path, headers=bearer(tokens.admin)).status_code == 405, (method, path)
    call(client, "/api/ask", tokens.soumu, {"question": "書かない窓口の効果は"})
    client.get("/api/admin/audit.csv", headers=bearer(tokens.admin))
    after = audit_rows(store)
    assert after[:len(before)] == before and len(after) == len(before) + 1


def test_rows_past_retention_are_purged_at_start_up(store: Path, tokens: Tokens) -> None:
    """Rows older than KOTAE_AUDIT_RETENTION_DAYS are deleted when the service starts; younger ones stay."""
    now = dt.datetime.now(dt.UTC)
    old, young = (now - dt.timedelta(days=RETENTION_DAYS + 5)), (now - dt.timedelta(days=RETENTION_DAYS - 5))
    with sqlite3.connect(store / "audit.sqlite") as db:
        for at, question in ((old, "古い質問"), (young, "最近の質問")):
            db.execute("INSERT INTO events(at, user, groups, action, question, sources, status)"
                       " VALUES (?, 'soumu', '[\"総務課\"]', 'ask', ?, '[]', 'ok')",
                       (at.isoformat(timespec="seconds"), question))
    with TestClient(create_app(app_settings(store))) as restarted:
        logged = {e["question"] for e in events(restarted, tokens, user="soumu", action="ask")}
    assert "最近の質問" in logged and "古い質問" not in logged
    assert all(row[1] >= (now - dt.timedelta(days=RETENTION_DAYS)).isoformat() for row in audit_rows(store))


# --- the user and audit commands -----------------------------------------------------------------------------------


def test_user_add_prints_a_working_token_last(client: TestClient, store: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """`kotae user add` prints the API token as the last line of stdout, and it signs the user in."""
    status, out, err = cli(capsys, "user", "add", "yamada", "--role", "staff", "--groups", "企画課,dx",
                           "--store", str(store))
    assert status == 0 and "yamada" in err
    token = out.strip().splitlines()[-1]
    me = client.get("/api/me", headers=bearer(token))
    assert me.status_code == 200
    assert me.json() == {"name": "yamada", "role": "staff", "groups": ["everyone", "企画課", "dx"], "auth": "on"}


def test_user_add_twice_is_refused(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Adding an existing user exits 2 with the reason, printing no token."""
    assert cli(capsys, "user", "add", "suzuki", "--role", "admin", "--store", str(store))[0] == 0
    status, out, err = cli(capsys, "user", "add", "suzuki", "--role", "staff", "--store", str(store))
    assert status == 2 and out == "" and "exists already" in err


def test_user_passwd_reads_stdin_and_enables_login(client: TestClient, store: Path,
                                                   capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """`kotae user passwd` takes the password from stdin; the web login then accepts it."""
    cli(capsys, "user", "add", "kimura", "--role", "staff", "--store", str(store))
    monkeypatch.setattr(sys, "stdin", io.StringIO("木村の長いパスワード123\n"))
    status, _, err = cli(capsys, "user", "passwd", "kimura", "--store", str(store))
    assert status == 0 and "kimura" in err
    browser = TestClient(client.app)  # the started app, with its own cookie jar
    login = browser.post("/api/login", json={"name": "kimura", "password": "木村の長いパスワード123"})
    assert login.status_code == 200 and browser.get("/api/me").json()["name"] == "kimura"


def test_user_passwd_refuses_a_short_password(client: TestClient, store: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A password under 10 characters is refused (exit 2, with the rule) and sets nothing."""
    cli(capsys, "user", "add", "mori", "--role", "staff", "--store", str(store))
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    status, _, err = cli(capsys, "user", "passwd", "mori", "--store", str(store))
    assert status == 2 and "at least 10 characters" in err
    assert TestClient(client.app).post("/api/login", json={"name": "mori", "password": "short"}).status_code == 401


def test_user_passwd_for_an_unknown_user_is_refused(store: Path, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Setting the password of a user that does not exist exits 2 naming the user."""
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough password\n"))
    status, _, err = cli(capsys, "user", "passwd", "ghost", "--store", str(store))
    assert status == 2 and "ghost" in err
