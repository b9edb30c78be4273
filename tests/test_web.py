"""The web pages in a real browser: Playwright (Python) driving Debian's Chromium against `kotae serve` on
loopback, over a copy of the sample corpus. Skipped, with the reason, when Chromium is not installed (the dev
setup installs it)."""

from __future__ import annotations

import io
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import require_chromium, serving_corpus

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`kotae serve` over a fresh copy of the corpus; yields its base URL."""
    require_chromium()
    with serving_corpus(tmp_path_factory.mktemp("web")) as base:
        yield base


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="ja-JP", accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    yield tab
    context.close()


def ask(page: Any, server: str, question: str) -> None:
    page.goto(server + "/")
    page.fill("#question", question)
    page.click("#submit")


def test_ask_and_open_a_citation_with_its_span_highlighted(page: Any, server: str) -> None:
    """Ask over the corpus; a citation mark opens the passage with exactly the cited span highlighted."""
    ask(page, server, "書かない窓口の効果は")
    page.wait_for_selector("#answer .cite")
    mark = page.locator("#answer .cite").first
    n = mark.get_attribute("data-n")
    mark.click()
    dialog = page.locator("#passage-dialog")
    dialog.wait_for(state="visible")
    highlighted = page.locator("#passage-dialog mark").first.inner_text()
    answer = _post(server, "/api/ask", {"question": "書かない窓口の効果は"})
    quote = next(c["quote"] for c in answer["citations"] if str(c["n"]) == n)
    assert _compact(highlighted) == _compact(quote)
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")


FACT_MARKS = """sel => Array.from(document.querySelectorAll(sel)).map(mark => {
  const box = mark.closest('.source-quote, .sentence');
  const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
  let offset = 0;
  for (let node = walker.nextNode(); node && !mark.contains(node); node = walker.nextNode()) {
    if (!node.parentElement.closest('.visually-hidden')) offset += node.data.length;
  }
  return {text: mark.textContent, offset, title: mark.title};
})"""


def test_asked_facts_are_highlighted_in_the_answer_and_in_its_quote(page: Any, server: str) -> None:
    """The facts /api/ask returns (the fees asked, 「300円」 several times) show as mark.fact in the answer and,
    at their own offsets, in the cited quote, labelled with their kind; an answer without facts, or a response
    without the key, shows none and still renders."""
    question = "住民票の写しの手数料はいくらですか"
    answer = _post(server, "/api/ask", {"question": question})
    facts = answer["facts"]
    assert facts and answer["grounded"], answer
    ask(page, server, question)
    page.wait_for_selector("#result-body mark.fact")
    shown = page.evaluate(FACT_MARKS, "#result-body mark.fact")
    assert shown[0]["text"] == facts[0]["text"]
    assert sorted(m["text"] for m in shown) == sorted(f["text"] for f in facts)
    assert {m["title"] for m in shown} == {"質問の答え（金額）"}
    for c in answer["citations"]:
        own = sorted((f for f in facts if f["citation"] == c["n"]), key=lambda f: f["start"])
        quoted = page.evaluate(FACT_MARKS, f'#sources li[data-n="{c["n"]}"] .source-quote mark.fact')
        assert [(m["text"], m["offset"]) for m in quoted] == [(f["text"], f["start"] - c["start"]) for f in own]
    assert page.locator("#closest mark.fact").count() == 0

    ask(page, server, "書かない窓口の効果は")  # grounded, no asked fact
    page.wait_for_selector("#result-question:has-text('書かない窓口の効果は')")
    page.wait_for_selector("#answer .cite")
    assert _post(server, "/api/ask", {"question": "書かない窓口の効果は"})["facts"] == []
    assert page.locator("mark.fact").count() == 0

    def without_facts(route: Any) -> None:  # the real server's answer, minus the key (an older server)
        import json

        body = route.fetch().json()
        body.pop("facts", None)
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route("**/api/ask", without_facts)
    ask(page, server, question)
    page.wait_for_selector("#result-question:has-text('住民票')")
    page.wait_for_selector("#answer .cite")
    assert page.locator("mark.fact").count() == 0
    assert not page.locator("#error").is_visible()


def test_no_answer_state(page: Any, server: str) -> None:
    """A question the documents cannot answer shows the calm no-answer state, not an error."""
    ask(page, server, "公園へのドッグラン整備の考えは")
    page.wait_for_selector("#no-answer", state="visible")
    assert "資料からは回答できません" in page.inner_text("#no-answer")
    assert not page.locator("#error").is_visible()


def test_starter_fills_the_box_and_keyboard_submits(page: Any, server: str) -> None:
    """A starter card fills the question; Ctrl+Enter in the box asks it."""
    page.goto(server + "/")
    page.click(".starter[data-kind=counter]")
    assert page.input_value("#question").strip()
    page.focus("#question")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#answer .cite, #no-answer")


def test_draft_and_download_docx(page: Any, server: str, tmp_path: Path) -> None:
    """Draft a 答弁案 and download it as Word; the file opens and holds the opening and the sources."""
    import docx

    page.goto(server + "/")
    for mode in ("#mode-notice", "#mode-ask", "#mode-draft"):  # each radio takes its own click (none covers another)
        page.check(mode)
        assert page.is_checked(mode)
    page.fill("#question", "書かない窓口の拡大について")
    page.fill("#questioner", "早瀬亮介")
    page.click("#submit")
    page.wait_for_selector("#answer .cite")
    # earlier answers marked where the draft's 方針 differs, and the 再質問 members asked next
    assert "本案と相違" in page.inner_text("#past-answers .difference")
    assert "繁忙期の待ち時間対策" in page.inner_text("#followups-block")
    page.screenshot(path=str(tmp_path / "draft.png"), full_page=True)
    with page.expect_download() as download_info:
        page.click("#download-docx")
    target = tmp_path / "draft.docx"
    download_info.value.save_as(target)
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(target.read_bytes())).paragraphs)
    assert "早瀬亮介議員のご質問に、市民部長からお答えいたします。" in text and "出典" in text


def test_admin_upload_is_indexed(page: Any, server: str, tmp_path: Path) -> None:
    """Upload a document on the admin page; ingestion runs with progress and the document shows as indexed."""
    notice = tmp_path / "プール開放のお知らせ.txt"
    notice.write_text("市民プールは七月二十日から八月三十一日まで開放いたします。\n", encoding="utf-8")
    page.goto(server + "/admin")
    page.wait_for_selector("#documents")
    page.set_input_files("#upload-input", str(notice))
    page.click("#upload-button")
    page.wait_for_selector("#job-summary", state="visible", timeout=120_000)
    row = page.locator("#documents tr", has_text=notice.name)
    row.wait_for(timeout=60_000)
    assert "登録済み" in row.inner_text()


def test_readable_at_phone_width(browser: Any, server: str) -> None:
    """At 375 px nothing scrolls sideways, on either page."""
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="ja-JP")
    tab = context.new_page()
    for path in ("/", "/admin"):
        tab.goto(server + path)
        tab.wait_for_load_state("networkidle")
        assert tab.evaluate("document.documentElement.scrollWidth") <= 375, path
    context.close()


def _post(server: str, path: str, body: dict[str, Any]) -> Any:
    import json

    request = urllib.request.Request(server + path, data=json.dumps(body).encode("utf-8"),
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read().decode("utf-8"))


def _compact(text: str) -> str:
    return "".join(text.split())


LABEL_CHECK = """() => Array.from(document.querySelectorAll('input, select, textarea, button'))
  .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
  .filter(el => {
    const named = (el.labels && el.labels.length) || el.getAttribute('aria-label')
      || el.getAttribute('aria-labelledby') || (el.tagName === 'BUTTON' && el.textContent.trim());
    return !named;
  })
  .map(el => el.outerHTML.slice(0, 80))"""


def test_every_visible_control_has_a_name(page: Any, server: str) -> None:
    """Screen readers can name every control on both pages (label, aria-label or button text)."""
    for path in ("/", "/admin"):
        page.goto(server + path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate(LABEL_CHECK) == [], path


def test_keyboard_alone_reaches_the_question_and_asks(page: Any, server: str) -> None:
    """Tab reaches the question box; typing and Ctrl+Enter ask without a mouse."""
    page.goto(server + "/")
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == "question":
            break
    else:
        raise AssertionError("Tab never reached #question")
    page.keyboard.type("書かない窓口の効果は")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#answer .cite")
