"""Council-answer drafts (答弁案) on the project's own `corpus/`: the real `Drafter` over a real store, Word export
read back with python-docx, the real FastAPI app through `TestClient` and the real `kotae draft` CLI.

Nothing of ours is mocked. The store is built once per module and only read.
"""

from __future__ import annotations

import io
import json
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docx
import pytest
from fastapi.testclient import TestClient
from kotae_env import clear_kotae_env

from cli.main import main as kotae_main
from ingest.loaders.text_file import decode_japanese
from kotae.settings import load_settings
from kotae.types import Citation
from service.answer import Answerer
from service.app import create_app
from service.compose.sentences import display_text
from service.docx_export import VERIFY_NOTE, check_docx_path, write_docx
from service.draft import SECTIONS, Draft, Drafter, section_of
from service.drafting.clean import without_note
from service.drafting.stance import contradicts, leans_only
from service.drafting.voice import opening_line
from service.filters import parse_filters
from service.reader.search import Searcher

REPO_ROOT = Path(__file__).resolve().parent.parent
CORPUS = REPO_ROOT / "corpus"
QUESTION = "生成ＡＩの全庁導入について"
QUESTIONER = "桑原美穂"
OPENING = "桑原美穂議員のご質問にお答えいたします。"
UNRELATED = "市内の公園におけるドッグランの整備について"
REFUSAL = "資料からは回答できません"
STANCE_WORDS = {"推進": "推進", "検討": "検討", "慎重": "慎重"}
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DRAFT_FIELDS = {"question", "draft", "grounded", "opening", "sections", "closing", "citations", "past_answers"}
CONTRACT_FIELDS = {"n", "chunk_id", "source", "title", "page", "date", "speaker", "start", "end", "quote"}


@pytest.fixture(autouse=True)
def _no_kotae_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings come from defaults."""
    clear_kotae_env(monkeypatch)


@pytest.fixture(scope="module")
def store(corpus_store: Path) -> Path:
    """`corpus/` ingested once for the run; tests only read it."""
    return corpus_store


@pytest.fixture(scope="module")
def drafter(store: Path) -> Drafter:
    """One drafter (models loaded once) for the module."""
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        return Drafter(Answerer(Searcher(load_settings(store))))


@pytest.fixture(scope="module")
def drafts(drafter: Drafter) -> dict[str, Draft]:
    """The draft on 生成ＡＩの全庁導入 for each stance."""
    return {stance: drafter.draft(QUESTION, QUESTIONER, stance) for stance in STANCE_WORDS}


@pytest.fixture(scope="module")
def client(store: Path) -> Iterator[TestClient]:
    """The app, started once for the module."""
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        settings = load_settings(store)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def assert_valid_quote(c: Citation, drafter: Drafter) -> None:
    """The quote is the stored chunk's text at its offsets, and for .txt/.md also the file's text."""
    if c.source.endswith((".txt", ".md")):
        assert decode_japanese((CORPUS / c.source).read_bytes())[c.start:c.end] == c.quote, (c.source, c.start)
    chunk = drafter.answerer.searcher.catalog.chunks([c.chunk_id])[c.chunk_id]
    assert chunk.source == c.source and chunk.start <= c.start < c.end <= chunk.end
    assert chunk.text[c.start - chunk.start:c.end - chunk.start] == c.quote


def docx_text(document: Any) -> str:
    """All paragraph text of a python-docx document, one paragraph a line."""
    return "\n".join(p.text for p in document.paragraphs)


# --- the draft's form ----------------------------------------------------------------------------------------------


def test_draft_opens_with_the_members_name(drafts: dict[str, Draft]) -> None:
    for draft in drafts.values():
        assert draft.opening == OPENING
        assert draft.text.startswith(OPENING + "\n")
        assert draft.question == QUESTION


@pytest.mark.parametrize(("questioner", "opening"), [
    ("桑原美穂", OPENING),
    ("桑原美穂議員", OPENING),
    ("  桑原美穂議員 ", OPENING),
    ("桑原美穂君", OPENING),
    (None, "ご質問にお答えいたします。"),
    ("", "ご質問にお答えいたします。"),
])
def test_opening_line(questioner: str | None, opening: str) -> None:
    assert opening_line(questioner) == opening


def test_draft_has_the_three_sections_in_order(drafts: dict[str, Draft]) -> None:
    for draft in drafts.values():
        assert draft.grounded
        assert tuple(s.heading for s in draft.sections) == SECTIONS == ("現状", "これまでの取組", "今後の方針")
        positions = [draft.text.index(f"【{h}】") for h in SECTIONS]
        assert positions == sorted(positions)
        assert sum(len(s.sentences) for s in draft.sections) >= 3


def test_each_stance_closes_the_last_section(drafts: dict[str, Draft]) -> None:
    closings = {stance: d.closing for stance, d in drafts.items()}
    assert len(set(closings.values())) == 3  # one closing per stance
    for stance, draft in drafts.items():
        assert STANCE_WORDS[stance] in draft.closing and draft.closing.endswith("。")
        assert draft.text.endswith(draft.closing)
        last = draft.text.split("【今後の方針】\n", 1)[1]
        assert "\n" not in last and last.endswith(draft.closing)
        assert draft.closing not in draft.text.split("【今後の方針】")[0]
        # The closing never contradicts the section before it (a commitment to expand before 慎重).
        policy = draft.sections[-1].sentences
        assert not any(contradicts(s.text, stance) for s in policy), (stance, policy)
    # What the city has done is the same whatever line the answer takes; the policy section is the stance's.
    done = {tuple(d.sections[1].sentences) for d in drafts.values()}
    assert len(done) == 1
    # The stance changes what 今後の方針 says, not only its closing: 推進 keeps the sentences that promote
    # (「…本格導入を図ってまいります」), 慎重 leaves them out.
    push, careful = drafts["推進"].sections[-1].sentences, drafts["慎重"].sections[-1].sentences
    assert {s.text for s in push} != {s.text for s in careful}
    assert any(leans_only(s.text, "推進") for s in push)
    assert not any(leans_only(s.text, "推進") for s in careful)


@pytest.mark.parametrize(("sentence", "stance", "only"), [
    ("来年一月から、全庁での本格導入を図ってまいります。", "推進", True),
    ("財源の確保が課題でございます。", "慎重", True),
    ("国の動向を注視してまいります。", "検討", True),
    ("課題を整理しながら、着実に推進してまいります。", "推進", False),  # 推進 and 慎重 both: neither alone
    ("窓口は午前八時半に開きます。", "推進", False),
])
def test_leans_only(sentence: str, stance: str, only: bool) -> None:
    assert leans_only(sentence, stance) is only


def test_every_statement_is_cited_exactly(drafts: dict[str, Draft], drafter: Drafter) -> None:
    draft = drafts["推進"]
    by_n = {c.n: c for c in draft.citations}
    assert set(by_n) == set(range(1, len(draft.citations) + 1))
    cited = set()
    for section in draft.sections:
        for s in section.sentences:
            assert s.citations, s.text  # only the opening and the closing are set phrases, and they are no sentences
            for n in s.citations:
                assert n in by_n
                text = without_note(s.text)  # a dated note follows the quote, outside its span
                assert text in display_text(by_n[n].quote)
                assert f"{s.text}[{n}]" in draft.text
                cited.add(n)
            # each sentence sits in the section its ending names
            assert section_of(without_note(s.text)) == section.heading
    assert cited == set(by_n)
    for c in draft.citations:
        assert_valid_quote(c, drafter)
    assert any("令和７年１月６日" in display_text(c.quote) or "令和七年一月六日" in display_text(c.quote)
               for c in draft.citations)


def test_past_answers_are_executive_turns_newest_first(drafts: dict[str, Draft], drafter: Drafter) -> None:
    past = [p.citation for p in drafts["検討"].past_answers]
    assert past
    assert {c.speaker_role for c in past} == {"executive"}
    assert all(c.speaker and c.speaker_title and c.source.startswith("minutes/") for c in past)
    dates = [c.date or "" for c in past]
    assert dates == sorted(dates, reverse=True)
    assert len({c.chunk_id for c in past}) == len(past)  # one sentence per answer passage
    for c in past:
        assert_valid_quote(c, drafter)


@pytest.mark.parametrize(("sentence", "section"), [
    ("本年一月九日から、市民課において、十二の手続を対象として書かない窓口を開始いたしました。", "これまでの取組"),
    ("令和五年度は二十四回開催し、延べ三百十人の方にご参加いただきました。", "これまでの取組"),
    ("各課に一人ずつＤＸ推進リーダーを置き、具体的な活用例を共有してまいります。", "今後の方針"),
    ("令和七年度中に市立小中学校二十一校共通の方針を取りまとめてまいります。", "今後の方針"),
    ("本格導入に向け、令和九年度までに年間一万二千時間の削減を目指します。", "今後の方針"),
    ("文例集として庁内の掲示板で公開する予定でございます。", "今後の方針"),
    ("令和七年度に対象を三十手続とする予定です。", "今後の方針"),
    ("令和五年度の交付件数は四万二千百件で、交付件数全体の二八・四％となっております。", "現状"),
    ("本市のマイナンバーカードの保有率は、本年七月末現在で七六・二％でございます。", "現状"),
])
def test_section_of(sentence: str, section: str) -> None:
    assert section_of(sentence) == section


def test_an_unanswerable_question_gives_no_invented_statements(drafter: Drafter) -> None:
    draft = drafter.draft(UNRELATED, QUESTIONER, "慎重")
    assert draft.grounded is False
    assert draft.citations == ()
    assert all(s.sentences == () for s in draft.sections)
    lines = draft.text.split("\n")
    assert lines[0] == OPENING and lines[-1] == draft.closing
    assert len(lines) == 3 and REFUSAL in lines[1]  # a note for the drafter, nothing presented as fact
    assert all(p.citation.speaker_role == "executive" for p in draft.past_answers)


def test_filters_restrict_the_draft(drafter: Drafter) -> None:
    draft = drafter.draft(QUESTION, filters=parse_filters({"doc_type": ["manual"]}))
    assert draft.grounded and draft.citations
    assert {c.doc_type for c in draft.citations} == {"manual"}
    assert draft.past_answers == ()  # no minutes pass the filter


@pytest.mark.parametrize(("question", "stance", "named"), [
    ("", "検討", "empty"),
    ("   ", "検討", "empty"),
    (QUESTION, "反対", "反対"),
    (QUESTION, "", "stance"),
])
def test_bad_arguments_are_value_errors(drafter: Drafter, question: str, stance: str, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        drafter.draft(question, QUESTIONER, stance)


# --- Word export ---------------------------------------------------------------------------------------------------


def test_write_docx_holds_the_draft_sources_and_note(drafts: dict[str, Draft], tmp_path: Path) -> None:
    draft = drafts["推進"]
    path = write_docx(draft, tmp_path / "答弁案.docx", QUESTIONER, "推進")
    assert path == tmp_path / "答弁案.docx" and path.stat().st_size > 0
    text = docx_text(docx.Document(str(path)))
    assert OPENING in text and VERIFY_NOTE in text
    assert QUESTION in text and QUESTIONER in text and "推進" in text
    for heading in SECTIONS:
        assert f"【{heading}】" in text
    assert draft.closing in text
    for s in (s for section in draft.sections for s in section.sentences):
        assert s.text in text
    for c in (*draft.citations, *(p.citation for p in draft.past_answers)):
        assert c.source in text and c.title in text
        assert " ".join(c.quote.split()) in text  # the quote, its line breaks shown as spaces


def test_write_docx_for_an_ungrounded_draft(drafter: Drafter, tmp_path: Path) -> None:
    draft = drafter.draft(UNRELATED)
    text = docx_text(docx.Document(str(write_docx(draft, tmp_path / "empty.docx"))))
    assert "ご質問にお答えいたします。" in text and VERIFY_NOTE in text and "（引用なし）" in text


def test_check_docx_path_names_the_path(tmp_path: Path) -> None:
    check_docx_path(tmp_path / "ok.docx")
    check_docx_path(tmp_path / "OK.DOCX")
    wrong = tmp_path / "draft.txt"
    with pytest.raises(ValueError, match=r"\.docx") as name_error:
        check_docx_path(wrong)
    assert str(wrong) in str(name_error.value)
    missing = tmp_path / "no-such-folder" / "draft.docx"
    with pytest.raises(ValueError) as folder_error:
        check_docx_path(missing)
    assert str(missing) in str(folder_error.value) and "does not exist" in str(folder_error.value)
    folder = tmp_path / "folder.docx"
    folder.mkdir()
    with pytest.raises(ValueError, match="folder"):
        check_docx_path(folder)


def test_write_docx_refuses_a_bad_path(drafts: dict[str, Draft], tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"draft\.doc"):
        write_docx(drafts["検討"], tmp_path / "draft.doc")
    assert not (tmp_path / "draft.doc").exists()


# --- HTTP: POST /api/draft, /api/draft/docx -------------------------------------------------------------------------


def test_api_draft(client: TestClient, drafter: Drafter) -> None:
    body = {"question": QUESTION, "questioner": QUESTIONER, "stance": "推進"}
    response = client.post("/api/draft", json=body)
    assert response.status_code == 200, response.text
    payload = response.json()
    assert set(payload) >= DRAFT_FIELDS
    assert payload["question"] == QUESTION and payload["grounded"] is True
    assert payload["opening"] == OPENING and payload["draft"].startswith(OPENING)
    assert payload["draft"].endswith(payload["closing"]) and "推進" in payload["closing"]
    assert [s["heading"] for s in payload["sections"]] == list(SECTIONS)
    numbers = {c["n"] for c in payload["citations"]}
    for section in payload["sections"]:
        for s in section["sentences"]:
            assert s["citations"] and set(s["citations"]) <= numbers
    for c in payload["citations"] + payload["past_answers"]:
        assert set(c) >= CONTRACT_FIELDS
        assert_valid_quote(Citation(**{k: v for k, v in c.items() if k != "differences"}), drafter)
    assert {c["speaker_role"] for c in payload["past_answers"]} == {"executive"}


def test_api_draft_docx(client: TestClient) -> None:
    response = client.post("/api/draft/docx", json={"question": QUESTION, "questioner": QUESTIONER})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(DOCX_TYPE)
    assert "attachment" in response.headers["content-disposition"]
    assert response.content[:2] == b"PK"  # a zip container
    text = docx_text(docx.Document(io.BytesIO(response.content)))
    assert OPENING in text and VERIFY_NOTE in text and "検討" in text  # the default stance


@pytest.mark.parametrize("path", ["/api/draft", "/api/draft/docx"])
@pytest.mark.parametrize(("body", "named"), [
    ({"question": ""}, "question"),
    ({"question": "。、！？"}, "question"),
    ({"stance": "推進"}, "question"),
    ({"question": QUESTION, "stance": "反対"}, "stance"),
    ({"question": QUESTION, "filters": {"speaker_name": "花子"}}, "speaker_name"),
    ({"question": QUESTION, "questioner": "桑" * 101}, "questioner"),
    ({"question": QUESTION, "format": "docx"}, "format"),
])
def test_api_draft_bad_input_is_422(client: TestClient, path: str, body: dict[str, Any], named: str) -> None:
    response = client.post(path, json=body)
    assert response.status_code == 422, response.text
    assert named in json.dumps(response.json()["detail"], ensure_ascii=False)


# --- CLI: kotae draft ----------------------------------------------------------------------------------------------


def test_cli_draft_docx_and_json(store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "答弁案.docx"
    status = kotae_main(["draft", QUESTION, "--questioner", QUESTIONER, "--stance", "慎重", "--docx", str(out_file),
                         "--json", "--store", str(store)])
    assert status == 0
    captured = capsys.readouterr()
    payload = json.loads(captured.out)
    assert set(payload) >= DRAFT_FIELDS
    assert payload["opening"] == OPENING and "慎重" in payload["closing"]
    assert str(out_file) in captured.err
    text = docx_text(docx.Document(str(out_file)))
    assert OPENING in text and payload["closing"] in text
    for c in payload["citations"]:
        assert " ".join(c["quote"].split()) in text


def test_cli_draft_text(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert kotae_main(["draft", QUESTION, "--questioner", "桑原美穂議員", "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(OPENING + "\n")
    assert all(f"【{h}】" in out for h in SECTIONS)
    assert "出典:" in out and "  [1] " in out


def test_cli_draft_bad_docx_name_is_status_2(store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wrong = tmp_path / "draft.pdf"
    assert kotae_main(["draft", QUESTION, "--docx", str(wrong), "--store", str(store)]) == 2
    err = capsys.readouterr().err
    assert str(wrong) in err and ".docx" in err
    assert not wrong.exists()


def test_cli_draft_bad_stance_is_a_usage_error(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        kotae_main(["draft", QUESTION, "--stance", "反対", "--store", str(store)])
    assert exit_info.value.code == 2
    assert "反対" in capsys.readouterr().err


# --- past answers as a consistency list, and the 再質問 to expect -----------------------------------------------------

WINDOW = "書かない窓口の拡大について"


def test_past_answers_are_marked_where_the_policy_names_another_target_year(drafter: Drafter) -> None:
    """On 書かない窓口 the corpus holds 令和七年度 (the 市民部長) and 令和九年度 (the 企画部長, the DX plan) for
    拡大: whichever the draft's 方針 says, the statement naming the other year is marked, each difference quoting
    what the past statement and the draft say (after NFKC, as compared)."""
    draft = drafter.draft(WINDOW, QUESTIONER, "検討")
    policy = unicodedata.normalize("NFKC", " ".join(s.text for s in draft.sections[-1].sentences) + draft.closing)
    marked = [p for p in draft.past_answers if p.differences]
    assert marked, [p.citation.quote for p in draft.past_answers]
    for past in marked:
        assert_valid_quote(past.citation, drafter)
        for d in past.differences:
            assert d.past in unicodedata.normalize("NFKC", past.citation.quote) and d.draft in policy
    years = [d for p in marked for d in p.differences if d.kind == "year"]
    assert years and all({d.past, d.draft} <= {"令和七年度", "令和九年度", "令和9年度", "令和7年度"} for d in years)


def test_followups_are_what_members_asked_next_in_that_sitting(drafter: Drafter) -> None:
    """Each 再質問 is a member's question sentence in the sitting of a past answer, after it in the file."""
    draft = drafter.draft(WINDOW, QUESTIONER, "検討")
    assert draft.followups
    for c in draft.followups:
        assert_valid_quote(c, drafter)
        assert c.speaker_role == "member" and c.quote.rstrip().endswith(("伺います。", "か。", "ください。"))
        assert any(p.citation.source == c.source and p.citation.start < c.start for p in draft.past_answers)
    assert "繁忙期の待ち時間対策について、具体的な取組を伺います。" in [c.quote for c in draft.followups]


def test_api_docx_and_cli_show_differences_and_followups(client: TestClient, store: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    payload = client.post("/api/draft", json={"question": WINDOW, "questioner": QUESTIONER}).json()
    differences = [d for p in payload["past_answers"] for d in p["differences"]]
    assert differences and all(set(d) == {"kind", "past", "draft", "text"} for d in differences)
    assert all(d["past"] in d["text"] and d["draft"] in d["text"] for d in differences)
    assert payload["followups"] and all(set(c) >= CONTRACT_FIELDS for c in payload["followups"])
    word = client.post("/api/draft/docx", json={"question": WINDOW, "questioner": QUESTIONER})
    text = docx_text(docx.Document(io.BytesIO(word.content)))
    lines = text.splitlines()
    assert lines.index("これまでの答弁") < lines.index("想定される再質問")
    assert f"【要確認】本案と相違：{differences[0]['text']}" in lines
    assert any(payload["followups"][0]["quote"] in line for line in lines[lines.index("想定される再質問"):])
    assert kotae_main(["draft", WINDOW, "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert "想定される再質問:" in out and f"※本案と相違：{differences[0]['text']}" in out
