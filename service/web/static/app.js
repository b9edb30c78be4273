// Staff page: ask a question or draft a council answer, and show every sentence with its sources.
// Plain ES module, no build step: the office machines are offline.
//
// Security rule: text from the server or from people (document text, questions, answers, citations, reasons,
// file names, user names, server messages) is never inserted as HTML. Build nodes with el()/createElement and
// set text with textContent or append(string); never innerHTML, outerHTML, insertAdjacentHTML or document.write.
// Links built from server data go through safeHref() (same-origin paths only, never javascript:).

import { docTypeLabel } from "./kinds.js";
import { goToLogin, loadMe, showUser } from "./session.js";

const MODE_TEXT = {
  ask: { label: "質問を入力してください", submit: "調べる", result: "回答",
         hint: "質問：資料から答えと出典を探します。", placeholder: "例：生成AIに個人情報を入力してよいですか" },
  draft: { label: "答弁する質問の要旨（通告の内容）を入力してください", submit: "答弁案を作る", result: "答弁案",
           hint: "答弁案：これまでの答弁と規則をもとに、議会答弁の案を作ります。",
           placeholder: "例：書かない窓口の拡大について" },
  notice: { label: "一般質問通告書の内容を貼り付けてください（またはファイルを選んでください）", submit: "項目ごとに答弁案を作る",
            result: "通告への答弁案", hint: "通告から答弁案：通告書の番号のついた項目ごとに、答弁案を作ります。",
            placeholder: "例：\n質問者　山田太郎\n１　子育て支援について\n　(1) 保育所の待機児童対策について\n２　防災対策について" },
};
const QUESTION_LIMIT = { ask: 2000, draft: 2000, notice: 20000 };

const $ = (id) => document.getElementById(id);
const form = $("ask-form");
const question = $("question");
const submitButton = $("submit");
const errorBox = $("error");
const answerBox = $("answer");
const dialog = $("passage-dialog");

let lastRequest = null; // { mode, body } of the shown result: copy and Word export use it, not the edited form
let lastResult = null;
let inFlight = null; // AbortController of the running request, so a new question cancels the old one
let starterKind = null; // research | writing | draft | counter: the starter last picked, for the usage report

// ---------- talking to the server ----------

class ApiError extends Error {
  constructor(status, detail, retryAfter = null) {
    super(`HTTP ${status}`); this.status = status; this.detail = detail; this.retryAfter = retryAfter;
  }
}

/** Retry-After as whole seconds (it may be seconds or an HTTP date), or null. */
function retryAfterSeconds(value) {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(1, Math.ceil((at - Date.now()) / 1000));
}

/** fetch that throws ApiError (status 0 = no connection) with the server's `detail`.
 *  401 (not signed in, or the session ended) goes to the sign-in page instead. */
async function api(path, options = {}) {
  let response;
  try {
    response = await fetch(path, options);
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, null);
  }
  if (response.status === 401) return goToLogin();
  if (!response.ok) {
    let detail = null;
    try { detail = (await response.json()).detail; } catch { /* not JSON: keep null */ }
    throw new ApiError(response.status, detail, retryAfterSeconds(response.headers.get("Retry-After")));
  }
  return response;
}

const postJson = (path, body, signal) => api(path, {
  method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), signal,
});

// Pydantic's validation messages are English; the common ones get Japanese words here.
const FIELD_NAMES = { question: "質問", questioner: "質問者", stance: "方針", model: "生成AIモデル", filters: "絞り込み",
  notice: "通告", answerer: "答弁者" };
function validationMessage(item) {
  const field = FIELD_NAMES[(item.loc || []).at(-1)] || "入力";
  if (item.type === "string_too_short" || item.type === "missing") return `${field}が入力されていません。`;
  if (item.type === "string_too_long") return `${field}が長すぎます（${item.ctx?.max_length ?? ""}文字まで）。`;
  if (/has no words/.test(item.msg || "")) return `${field}に文字が含まれていません。`;
  return `${field}: ${item.msg}`;
}

/** An error in words a member of staff can act on; never a bare status code. */
function describeError(err) {
  const detail = Array.isArray(err.detail) ? err.detail.map(validationMessage).join(" ")
    : (err.detail ? String(err.detail) : "");
  const withDetail = (lead) => (detail ? `${lead}（詳細：${detail}）` : lead);
  const llmHint = "「生成AIモデル」で「使わない」を選ぶと、資料の文をそのまま引用して回答します。";
  switch (err.status) {
    case 0: return "サーバーに接続できません。しばらくしてからもう一度お試しください。";
    case 422: return `入力を確認してください: ${detail || "入力内容に誤りがあります。"}`;
    case 413: return "入力が大きすぎます。質問や絞り込みの条件を短くしてください。";
    case 429: return err.retryAfter != null
      ? `短時間に多くの質問が送られました。${err.retryAfter}秒後にもう一度お試しください。`
      : "短時間に多くの質問が送られました。しばらくしてからもう一度お試しください。";
    case 400: return withDetail("この条件では処理できませんでした。") + llmHint;
    case 403: return withDetail("選んだ生成AIモデルは、市の方針により利用できません。") + llmHint;
    case 404: return withDetail("お探しの資料が見つかりませんでした。資料が更新された可能性があります。");
    case 502: return withDetail("生成AIの応答でエラーが起きました。") + llmHint;
    case 504: return withDetail("生成AIの応答が時間内にありませんでした。") + llmHint;
    default: return withDetail("処理中に問題が起きました。しばらくしてからもう一度お試しください。");
  }
}

function showError(message) { errorBox.textContent = message; }
function clearError() { errorBox.textContent = ""; }

// ---------- formatting ----------

const eraFormat = (() => {
  try { return new Intl.DateTimeFormat("ja-JP-u-ca-japanese", { era: "long", year: "numeric", month: "long", day: "numeric" }); }
  catch { return null; }
})();

/** "2024-09-10" → 令和6年9月10日: staff read 和暦 (the copied text keeps the ISO date). */
function formatDate(iso) {
  if (!iso) return "";
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) return iso;
  const date = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return eraFormat ? eraFormat.format(date) : `${m[1]}年${Number(m[2])}月${Number(m[3])}日`;
}

/** A link target from server data: only same-origin paths ("/api/files/…"), never javascript: or other sites. */
function safeHref(url) {
  if (typeof url !== "string" || !url.startsWith("/") || url.startsWith("//") || url.startsWith("/\\")) return null;
  try {
    const parsed = new URL(url, location.origin);
    return parsed.origin === location.origin ? parsed.pathname + parsed.search + parsed.hash : null;
  } catch {
    return null;
  }
}

const speakerText = (c) => [c.speaker_title, c.speaker].filter(Boolean).join(" ");

/** Where a fetched document is published: an http(s) address only (never javascript: or data:). */
function publishedHref(url) {
  if (typeof url !== "string") return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

/** Where in its document a passage stands, as kotae/locations.py says it: 「第7条」「手数料 B3:D3」「3ページ」
 *  (an article of a 例規 the document holds with its name: 「南国市議会…規則 第5条」). */
function locationText(c) {
  const article = c.article && c.law && c.law !== c.title ? `${c.law} ${c.article}` : c.article || "";
  return [article, [c.sheet, c.cells].filter(Boolean).join(" "), c.page ? `${c.page}ページ` : ""]
    .filter(Boolean).join("、");
}

/** One line of facts about a source, as text: 「第7条 ／ 令和6年9月10日 ／ 総務部長 小野寺直樹」. */
function sourceFacts(c) {
  return [locationText(c), formatDate(c.date), speakerText(c)].filter(Boolean).join(" ／ ");
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child != null && child !== "") node.append(child);
  return node;
}

// ---------- set-up: models and document types ----------

async function loadModels() {
  try {
    const data = await (await api("/api/models")).json();
    if (!data.models?.length) return; // only the offline composer: keep the choice hidden
    const select = $("model");
    for (const m of data.models) select.append(el("option", { value: m.name }, m.label ? `${m.label}（${m.name}）` : m.name));
    $("model-field").hidden = false;
  } catch { /* without the list, the offline composer still works */ }
}

async function loadDocTypes() {
  const box = $("doc-types");
  try {
    const data = await (await api("/api/documents")).json();
    box.replaceChildren();
    if (!data.doc_types?.length) { box.append(el("p", { class: "hint" }, "登録されている資料がまだありません。")); return; }
    for (const t of data.doc_types) {
      const id = `doc-type-${t}`;
      box.append(el("div", { class: "check" },
        el("input", { type: "checkbox", id, name: "doc_type", value: t }),
        el("label", { for: id }, docTypeLabel(t))));
    }
  } catch {
    box.replaceChildren(el("p", { class: "hint" }, "文書の種類を読み込めませんでした。すべての種類から探します。"));
  }
}

// ---------- mode and starters ----------

const currentMode = () => form.querySelector('input[name="mode"]:checked')?.value || "ask";

function applyMode() {
  const text = MODE_TEXT[currentMode()];
  $("question-label").textContent = text.label;
  $("mode-hint").textContent = text.hint;
  question.placeholder = text.placeholder;
  submitButton.textContent = text.submit;
  $("draft-fields").hidden = currentMode() === "ask";
  $("notice-file-field").hidden = currentMode() !== "notice";
  $("questioner").closest(".field").hidden = currentMode() === "notice"; // the notice names its member
  question.maxLength = QUESTION_LIMIT[currentMode()];
  question.rows = currentMode() === "notice" ? 10 : 4;
}

function useStarter(button) {
  starterKind = button.dataset.kind;
  const mode = starterKind === "draft" ? "mode-draft" : "mode-ask";
  $(mode).checked = true;
  applyMode();
  question.value = button.dataset.example;
  question.focus();
  question.setSelectionRange(question.value.length, question.value.length);
}

// ---------- building the request ----------

function readFilters() {
  const filters = {};
  const types = [...form.querySelectorAll('input[name="doc_type"]:checked')].map((i) => i.value);
  if (types.length) filters.doc_type = types;
  if ($("executive-only").checked) filters.speaker_role = ["executive"];
  if ($("date-from").value) filters.date_from = $("date-from").value;
  if ($("date-to").value) filters.date_to = $("date-to").value;
  return filters;
}

/** The request body, or a Japanese message when the form cannot be sent as it is. */
function buildRequest() {
  const text = question.value.trim();
  if (!text) return { problem: "質問を入力してください。" };
  if (!/[\p{L}\p{N}]/u.test(text)) return { problem: "質問に文字が含まれていません。言葉で入力してください。" };
  const filters = readFilters();
  if (filters.date_from && filters.date_to && filters.date_from > filters.date_to) {
    return { problem: "期間の開始日が終了日より後になっています。" };
  }
  const model = $("model-field").hidden ? "" : $("model").value;
  const mode = currentMode();
  // What the user is doing, for the usage report: the starter they picked, else what the mode implies.
  const task = starterKind || (mode === "draft" ? "draft" : "research");
  const body = mode === "notice" ? { notice: text, filters, composer: model ? "llm" : "extractive", task: "draft" }
    : { question: text, filters, composer: model ? "llm" : "extractive", task };
  if (model) body.model = model;
  if (mode !== "ask") {
    const who = $("questioner").value.trim();
    if (who && mode === "draft") body.questioner = who;
    const answerer = $("answerer").value.trim();
    if (answerer) body.answerer = answerer;
    body.stance = $("stance").value;
  }
  return { mode, body };
}

function setBusy(busy) {
  form.setAttribute("aria-busy", String(busy));
  answerBox.setAttribute("aria-busy", String(busy));
  submitButton.disabled = busy;
  $("busy").replaceChildren(busy ? el("span", { class: "spinner", "aria-hidden": "true" }) : "",
    busy ? "資料を調べています…" : "");
}

async function submit() {
  if (inFlight) inFlight.abort();
  clearError();
  const request = buildRequest();
  if (request.problem) { showError(request.problem); question.focus(); return; }
  const controller = new AbortController();
  inFlight = controller;
  setBusy(true);
  try {
    const path = { ask: "/api/ask", draft: "/api/draft", notice: "/api/draft/notice" }[request.mode];
    const result = await (await postJson(path, request.body, controller.signal)).json();
    lastRequest = request;
    lastResult = result;
    render(request.mode, result);
  } catch (err) {
    if (err.name !== "AbortError") {
      showError(describeError(err));
      answerBox.hidden = true; // an older answer under a new question's error would read as its answer
      lastResult = null;
    }
  } finally {
    if (inFlight === controller) { inFlight = null; setBusy(false); }
  }
}

// ---------- rendering ----------

/** A citation mark: a real button that opens the cited passage. */
function citeButton(n, citation) {
  const button = el("button", { type: "button", class: "cite", "data-n": String(n), "aria-label": `出典${n}を表示` }, `[${n}]`);
  if (citation) button.addEventListener("click", () => openPassage(citation, button));
  else button.disabled = true; // a number the server did not list: keep it visible, but nothing to open
  return button;
}

/** Sentences with their marks, in one paragraph; `byN` finds a citation by its number. `factRanges` (from
 *  answerFactRanges) holds, per sentence index, the spans of its text to highlight as asked facts. */
function sentencesParagraph(sentences, byN, className = "answer-text", factRanges = new Map()) {
  const p = el("p", { class: className });
  sentences.forEach((s, i) => {
    p.append(appendWithFacts(el("span", { class: "sentence" }), s.text, factRanges.get(i) || []));
    for (const n of s.citations) p.append(citeButton(n, byN.get(n)));
  });
  return p;
}

// ---------- the asked facts (an amount, a date, a rule…) ----------

const FACT_TYPE_LABELS = {
  amount: "金額", date: "日付・期間", count: "数値", person: "担当・人", place: "場所", permission: "可否",
  reason: "理由", definition: "定義・目的",
};
const factLabel = (type) => (FACT_TYPE_LABELS[type] ? `質問の答え（${FACT_TYPE_LABELS[type]}）` : "質問の答え");
const validFacts = (facts) => (Array.isArray(facts) ? facts : []).filter((f) =>
  f && typeof f.text === "string" && f.text && Number.isInteger(f.citation) && Number.isInteger(f.start));

/** A Python (code point) offset into `text` as a JS string index, so astral characters cannot shift a mark. */
function utf16Index(text, cp) {
  if (!/[\uD800-\uDBFF]/.test(text)) return cp;
  let i = 0;
  for (let n = 0; n < cp && i < text.length; n += 1) i += text.codePointAt(i) > 0xffff ? 2 : 1;
  return i;
}

/** Where `needle` starts in `text`, left to right, without overlaps. */
function occurrences(text, needle) {
  const found = [];
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length)) found.push(at);
  return found;
}

const overlaps = (ranges, a, b) => ranges.some((r) => a < r.b && r.a < b);

/** Where each fact of citation `c` sits in its quote, as [{a, b, fact}]: at the fact's own offsets (document
 *  offsets, like the citation's start/end), else, when they disagree with the quote, its first free occurrence. */
function quoteFactRanges(c, facts) {
  const quote = c.quote || "";
  const ranges = [];
  for (const f of facts) {
    if (f.citation !== c.n) continue;
    let a = f.start >= c.start ? utf16Index(quote, f.start - c.start) : -1;
    if (a < 0 || quote.slice(a, a + f.text.length) !== f.text) {
      a = occurrences(quote, f.text).find((x) => !overlaps(ranges, x, x + f.text.length)) ?? -1;
    }
    if (a >= 0 && !overlaps(ranges, a, a + f.text.length)) ranges.push({ a, b: a + f.text.length, fact: f });
  }
  return ranges;
}

/** The facts in the answer's sentences: Map(sentence index → [{a, b, fact}]). A fact is marked once, only in a
 *  sentence that cites its citation: the same occurrence of its text as in the quote (the second 「300円」 of
 *  the quote → the second one of those sentences), else the first occurrence not marked yet; a fact the
 *  sentences do not word as the source (a model's paraphrase) is marked only in the source list. */
function answerFactRanges(sentences, citations, facts) {
  const marks = new Map();
  for (const c of citations) {
    const quote = c.quote || "";
    const inQuote = quoteFactRanges(c, facts);
    const cited = sentences.map((s, i) => i).filter((i) => (sentences[i].citations || []).includes(c.n));
    for (const { a, fact } of inQuote) {
      const nth = occurrences(quote, fact.text).filter((x) => x < a).length;
      const spots = cited.flatMap((i) => occurrences(sentences[i].text, fact.text).map((x) => ({ i, a: x })));
      const free = (spot) => !overlaps(marks.get(spot.i) || [], spot.a, spot.a + fact.text.length);
      const spot = spots[nth] && free(spots[nth]) ? spots[nth] : spots.find(free);
      if (!spot) continue;
      if (!marks.has(spot.i)) marks.set(spot.i, []);
      marks.get(spot.i).push({ a: spot.a, b: spot.a + fact.text.length, fact });
    }
  }
  return marks;
}

/** Append `text` to `node` as text nodes, the [a, b) spans of `ranges` as <mark class="fact"> with a label a
 *  screen reader says after them (the title shows it on hover). Never HTML: document text stays text. */
function appendWithFacts(node, text, ranges) {
  let at = 0;
  for (const r of [...ranges].sort((x, y) => x.a - y.a)) {
    if (r.a < at) continue;
    const label = factLabel(r.fact.type);
    if (r.a > at) node.append(text.slice(at, r.a));
    const short = r.b - r.a <= 12; // 「300円」「令和九年度」 kept on one line; a long rule may wrap
    node.append(el("mark", { class: short ? "fact nowrap" : "fact", title: label, "data-type": String(r.fact.type || "") },
      text.slice(r.a, r.b)),
      el("span", { class: "visually-hidden" }, `［${label}］`));
    at = r.b;
  }
  if (at < text.length) node.append(text.slice(at));
  return node;
}

/** A list item for a source: its title opens the passage; the facts and the quote are plain text.
 *  `past` (earlier answers): who said it and when come first, since every one is from the minutes.
 *  `answerFacts`: the answer's asked facts; those of this citation are highlighted in its quote. */
function sourceItem(c, { showN = true, past = false, answerFacts = [] } = {}) {
  // 「かつらぎ町駐車場等設置条例 第7条」: an article is named with its 例規, the other places go with the facts
  const name = past ? [formatDate(c.date), speakerText(c)].filter(Boolean).join("　") || c.title
    : c.article && c.law && c.law !== c.title ? `${c.title}（${c.law} ${c.article}）`
      : [c.title || c.source, c.article].filter(Boolean).join(" ");
  const open = el("button", { type: "button", class: "source-open" },
    showN ? el("span", { class: "source-n" }, `[${c.n}] `) : "", name,
    el("span", { class: "visually-hidden" }, "（該当箇所を表示）"));
  open.addEventListener("click", () => openPassage(c, open));
  const facts = past ? c.title : [docTypeLabel(c.doc_type), sourceFacts({ ...c, article: null })].filter(Boolean)
    .join(" ／ ");
  return el("li", { "data-n": String(c.n) },
    open,
    el("p", { class: "source-facts" }, facts),
    c.quote ? appendWithFacts(el("blockquote", { class: "source-quote" }), c.quote, quoteFactRanges(c, answerFacts)) : "",
    el("p", { class: "source-path" }, el("span", { class: "visually-hidden" }, "ファイル："), c.source),
    ...(c.differences || []).map((d) => el("p", { class: "difference" }, el("strong", {}, "本案と相違："), d.text)));
}

/** これまでの答弁 (each earlier answer with where the draft differs) and 想定される再質問, for one draft. */
function pastAndFollowups(d) {
  const parts = [];
  if (d.past_answers.length) {
    parts.push(el("h4", {}, "これまでの答弁"),
      el("ol", { class: "source-list" }, ...d.past_answers.map((c) => sourceItem(c, { showN: false, past: true }))));
  }
  if ((d.followups || []).length) {
    parts.push(el("h4", {}, "想定される再質問"),
      el("ol", { class: "source-list" }, ...d.followups.map((c) => sourceItem(c, { showN: false, past: true }))));
  }
  return parts;
}

const fillList = (id, citations, options) => $(id).replaceChildren(...citations.map((c) => sourceItem(c, options)));

// Reasons from the support check are English; the known ones are said in Japanese here.
const REASONS = [
  [/^no citation mark/, () => "出典の番号が付いていませんでした。"],
  [/^cites \[(\d+)\]/, (m) => `示していない資料番号［${m[1]}］を引用していました。`],
  [/addresses an AI with instructions/, () => "引用した資料にAIへの指示のような文があり、根拠として扱えません。"],
  [/^figure\(s\) (.+) not in the cited passages/, (m) => `数字「${m[1]}」が出典にありません。`],
  [/^word\(s\) (.+) not in the cited passages/, (m) => `言葉「${m[1]}」が出典にありません。`],
  [/opposite of the cited sentence/, () => "出典と反対の意味になっていました（否定の有無が違います）。"],
  [/do not say this/, () => "出典にこの内容が書かれていません。"],
];
function reasonText(reason) {
  for (const [pattern, say] of REASONS) { const m = pattern.exec(reason); if (m) return say(m); }
  return reason;
}

function render(mode, result) {
  answerBox.hidden = false;
  $("notice-items").replaceChildren();
  if (mode === "notice") return renderNotice(result);
  const grounded = result.grounded;
  $("result-title").textContent = MODE_TEXT[mode].result;
  $("result-question").textContent = `ご質問：${result.question}`;
  $("result-method").textContent = result.model
    ? `生成AIモデル「${result.model}」が資料をもとに書いた文です。出典と照らして確認してください。`
    : "資料の文をそのまま引用しています。";
  const byN = new Map(result.citations.map((c) => [c.n, c]));
  const answerFacts = grounded && mode === "ask" ? validFacts(result.facts) : [];
  const body = $("result-body");
  body.replaceChildren();
  if (grounded && mode === "ask") {
    const factRanges = answerFactRanges(result.sentences, result.citations, answerFacts);
    body.append(sentencesParagraph(result.sentences, byN, "answer-text", factRanges));
    if (answerFacts.length) {
      body.append(el("p", { class: "hint fact-legend" }, el("span", { class: "fact-swatch", "aria-hidden": "true" }, "強調"),
        "は質問の答えにあたる箇所です（出典の引用の中でも同じ箇所を強調しています）。"));
    }
  }
  if (grounded && mode === "draft") body.append(renderDraft(result, byN));

  // Sentences a model wrote that its sources did not support: listed, collapsed, so nothing is hidden silently.
  const unsupported = result.unsupported || [];
  $("unsupported").hidden = unsupported.length === 0;
  $("unsupported").open = false;
  $("unsupported-count").textContent = String(unsupported.length);
  $("unsupported-list").replaceChildren(...unsupported.map((u) =>
    el("li", {}, el("span", { class: "sentence" }, u.sentence), el("span", { class: "reason" }, `理由：${reasonText(u.reason)}`))));

  fillList("sources", result.citations, { answerFacts });
  $("sources-block").hidden = !grounded;
  const past = mode === "draft" ? result.past_answers || [] : [];
  fillList("past-answers", past, { showN: false, past: true });
  $("past-block").hidden = !grounded || past.length === 0;
  const followups = mode === "draft" ? result.followups || [] : [];
  fillList("followups", followups, { showN: false, past: true });
  $("followups-block").hidden = followups.length === 0;

  // Not grounded: a calm refusal plus what came closest (for a draft, the earlier answers on the topic).
  const closest = mode === "draft" ? past : result.closest || [];
  $("no-answer").hidden = grounded;
  fillList("closest", closest, { showN: false, past: mode === "draft" });
  $("closest").previousElementSibling.hidden = closest.length === 0;

  $("result-title").hidden = !grounded;
  $("result-question").hidden = false;
  $("copy-answer").hidden = !grounded;
  $("download-docx").hidden = !(grounded && mode === "draft");
  $("copy-status").textContent = "";
  (grounded ? $("result-title") : $("no-answer-title")).focus();
}

/** 通告から答弁案: a heading per numbered item, its draft, its sources and earlier answers. */
function renderNotice(result) {
  const grounded = result.drafts.some((d) => d.grounded);
  $("result-title").textContent = MODE_TEXT.notice.result;
  $("result-title").hidden = false;
  $("result-question").textContent = `質問者：${result.questioner || "（通告書に記載なし）"}　項目：${result.items.length}件`
    + (result.answerers.length ? `　答弁者：${result.answerers.join("、")}` : "");
  $("result-question").hidden = false;
  $("result-method").textContent = "資料の文をそのまま引用しています。項目ごとに出典を確認してください。";
  $("result-body").replaceChildren();
  for (const id of ["unsupported", "sources-block", "past-block", "followups-block", "no-answer"]) $(id).hidden = true;
  const box = $("notice-items");
  result.items.forEach((item, i) => {
    const d = item.draft;
    const byN = new Map(d.citations.map((c) => [c.n, c]));
    const section = el("section", { class: "notice-item", "aria-labelledby": `notice-item-${i}` },
      el("h3", { class: "notice-item-title", id: `notice-item-${i}` }, `${item.number}　${item.title}`));
    if (item.points.length) section.append(el("ul", { class: "notice-points" }, ...item.points.map((p) => el("li", {}, p))));
    if (d.grounded) section.append(renderDraft(d, byN));
    else section.append(el("p", { class: "draft-text empty" }, "資料からは回答できません。この項目は担当課で記載してください。"));
    if (d.citations.length) {
      section.append(el("h4", {}, "出典"), el("ol", { class: "source-list" }, ...d.citations.map((c) => sourceItem(c))));
    }
    section.append(...pastAndFollowups(d));
    box.append(section);
  });
  $("copy-answer").hidden = !grounded;
  $("download-docx").hidden = !grounded;
  $("copy-status").textContent = "";
  $("result-title").focus();
}

/** 答弁案: the opening, one heading per section, and the stance's closing line under 今後の方針. */
function renderDraft(result, byN) {
  const box = el("div", { class: "draft" });
  if (result.opening) box.append(el("p", { class: "draft-opening" }, result.opening));
  result.sections.forEach((section, i) => {
    box.append(el("h3", { class: "draft-heading" }, `【${section.heading}】`));
    if (section.sentences.length) box.append(sentencesParagraph(section.sentences, byN, "draft-text"));
    else box.append(el("p", { class: "draft-text empty" }, "（該当する資料が見つかりませんでした。担当課で記載してください。）"));
    if (i === result.sections.length - 1 && result.closing) box.append(el("p", { class: "draft-text draft-closing" }, result.closing));
  });
  return box;
}

// ---------- the passage dialog ----------

let opener = null;

/** Split text at Python string offsets (code points), so astral characters cannot shift the highlight. */
function splitAt(text, a, b) {
  const chars = /[\uD800-\uDBFF]/.test(text) ? Array.from(text) : text;
  const part = (x, y) => (typeof chars === "string" ? chars.slice(x, y) : chars.slice(x, y).join(""));
  return [part(0, a), part(a, b), part(b)];
}

async function openPassage(citation, from) {
  opener = from;
  $("passage-title").textContent = citation.title || citation.source;
  $("passage-meta").replaceChildren();
  $("passage-text").replaceChildren();
  $("passage-link-row").hidden = true;
  $("passage-status").textContent = "資料を読み込んでいます…";
  if (!dialog.open) dialog.showModal();
  try {
    const p = await (await api(`/api/passages/${encodeURIComponent(citation.chunk_id)}`)).json();
    $("passage-status").textContent = "";
    const facts = [["種類", docTypeLabel(p.doc_type)], ["箇所", locationText(p)], ["自治体", p.municipality || ""],
      ["日付", formatDate(p.date)], ["発言者", speakerText(p)], ["ファイル", p.source]];
    for (const [name, value] of facts) if (value) $("passage-meta").append(el("dt", {}, name), el("dd", {}, value));
    const fromUrl = publishedHref(p.url);
    if (fromUrl) { // fetched by a connector: where it is published, and when it was read
      const fetched = p.fetched_at ? `（${formatDate(p.fetched_at.slice(0, 10))}取得）` : "";
      $("passage-meta").append(el("dt", {}, "取得元"),
        el("dd", {}, el("a", { href: fromUrl, target: "_blank", rel: "noopener" }, p.url), fetched));
    }
    let [before, quote, after] = splitAt(p.text, citation.start - p.start, citation.end - p.start);
    if (citation.quote && quote !== citation.quote) { // offsets disagree (re-ingested?): find the words instead
      const at = p.text.indexOf(citation.quote);
      [before, quote, after] = at >= 0 ? [p.text.slice(0, at), citation.quote, p.text.slice(at + citation.quote.length)]
        : [p.text, "", ""];
    }
    const mark = quote ? el("mark", {}, quote) : null;
    $("passage-text").append(before, mark || "", after);
    const fileUrl = safeHref(p.file_url);
    if (fileUrl) {
      $("passage-link").href = p.page && /\.pdf$/i.test(p.source) ? `${fileUrl}#page=${Number(p.page)}` : fileUrl;
      $("passage-link-row").hidden = false;
    }
    mark?.scrollIntoView({ block: "center" });
  } catch (err) {
    $("passage-status").textContent = "";
    $("passage-text").append(el("p", { class: "error", role: "alert" }, describeError(err)));
  }
}

dialog.addEventListener("close", () => { opener?.focus(); opener = null; });
$("passage-close").addEventListener("click", () => dialog.close());
// A click on the backdrop (outside the box) closes too, as people expect of a pop-up.
dialog.addEventListener("click", (e) => { if (e.target === dialog) dialog.close(); });

// ---------- copy and Word ----------

function plainSources(citations) {
  return citations.map((c) => {
    const facts = [locationText(c), c.date || "", speakerText(c)].filter(Boolean).join("、");
    return `[${c.n}] ${c.title}${facts ? `（${facts}）` : ""} ${c.url || c.source}\n　「${c.quote}」`;
  }).join("\n");
}

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    try { await navigator.clipboard.writeText(text); return true; } catch { /* fall back below */ }
  }
  // Plain http on the office network is not a secure context: the old textarea way still works there.
  const area = el("textarea", { class: "visually-hidden", "aria-hidden": "true" });
  area.value = text;
  document.body.append(area);
  area.select();
  let ok = false;
  try { ok = document.execCommand("copy"); } catch { ok = false; }
  area.remove();
  return ok;
}

$("copy-answer").addEventListener("click", async () => {
  if (!lastResult) return;
  const ok = await copyText(lastRequest.mode === "notice"
    ? lastResult.items.map((item) => `${item.number}　${item.title}\n${item.draft.draft}\n\n出典\n${plainSources(item.draft.citations)}`).join("\n\n")
    : `${lastRequest.mode === "draft" ? lastResult.draft : lastResult.answer}\n\n出典\n${plainSources(lastResult.citations)}`);
  $("copy-status").textContent = ok ? "コピーしました" : "コピーできませんでした。回答を選択してコピーしてください。";
  setTimeout(() => { $("copy-status").textContent = ""; }, 5000);
});

$("download-docx").addEventListener("click", async () => {
  if (!lastRequest) return;
  const button = $("download-docx");
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  $("copy-status").textContent = "Wordファイルを作成しています…";
  try {
    const path = lastRequest.mode === "notice" ? "/api/draft/notice/docx" : "/api/draft/docx";
    const response = await postJson(path, lastRequest.body);
    const name = downloadName(response.headers.get("Content-Disposition")) || "答弁案.docx";
    const blob = await response.blob();
    const url = URL.createObjectURL(blob);
    const link = el("a", { href: url, download: name });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    $("copy-status").textContent = `「${name}」をダウンロードしました`;
  } catch (err) {
    $("copy-status").textContent = "";
    showError(describeError(err));
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
});

/** The file name the server gave (filename*=UTF-8''…), or null. */
function downloadName(disposition) {
  const m = /filename\*=UTF-8''([^;]+)/i.exec(disposition || "");
  if (!m) return null;
  try { return decodeURIComponent(m[1]); } catch { return null; }
}

// ---------- reading a 通告書 file ----------

$("notice-file").addEventListener("change", async () => {
  const file = $("notice-file").files[0];
  if (!file) return;
  clearError();
  $("notice-file-status").textContent = `「${file.name}」を読み込んでいます…`;
  try {
    const data = new FormData();
    data.append("file", file);
    const result = await (await api("/api/draft/notice/read", { method: "POST", body: data })).json();
    question.value = result.notice;
    $("notice-file-status").textContent = `「${result.filename}」を読み込みました。内容を確かめてから送信してください。`;
    question.focus();
  } catch (err) {
    $("notice-file-status").textContent = "";
    showError(describeError(err));
  } finally {
    $("notice-file").value = "";
  }
});

// ---------- wiring ----------

form.addEventListener("submit", (e) => { e.preventDefault(); submit(); });
question.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); }
});
// Switching the mode by hand leaves the starter behind: the task then follows the mode.
for (const radio of form.querySelectorAll('input[name="mode"]')) {
  radio.addEventListener("change", () => { starterKind = null; applyMode(); });
}
for (const button of document.querySelectorAll(".starter")) button.addEventListener("click", () => useStarter(button));

applyMode();

async function init() {
  const me = await loadMe(); // 401: off to the sign-in page
  if (me) {
    showUser(me);
    $("nav-admin").hidden = me.role !== "admin";
  }
  loadModels();
  loadDocTypes();
}
init();
