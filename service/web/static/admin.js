// Admin page (DX推進課): the documents in the index, uploads, folders, ingestion jobs with their progress, the
// audit log (利用記録) and the usage report (利用状況).
// Plain ES module, no build step: the office machines are offline.
//
// Security rule: text from the server or from people (document titles and text, questions, file names, folder
// paths, user names, reasons, server messages) is never inserted as HTML. Build nodes with el()/createElement
// and set text with textContent or append(string); never innerHTML, outerHTML, insertAdjacentHTML or
// document.write. Attribute values only through setAttribute, and no href/src from server data.

import { DOC_TYPE_LABELS, docTypeLabel } from "./kinds.js";
import { goToLogin, loadMe, showUser } from "./session.js";

// 種類: the document kinds (kotae/types.py DocType) in Japanese, in the order the 種類 filter lists them. The last
// three are the names stores written before those kinds still carry (LEGACY_DOC_TYPES), labelled as what they
// became. A kind not listed here is shown as it is.
const POLL_MS = 500;
const ACTION_LABELS = { ask: "質問", draft: "答弁案", draft_docx: "答弁案Word", search: "検索" };
const ADMIN_ACTION_LABELS = {
  "admin.upload": "アップロード", "admin.ingest": "取り込み", "admin.remove": "削除", "admin.folder": "フォルダ登録",
  "admin.correct": "修正",
};
// What each kind of job is called in its progress and summary.
const JOB_LABELS = { ingest: "取り込み", remove: "削除", repair: "修復", correct: "修正の反映" };
// The kinds an admin may pick when correcting a document (kotae/types.py DOC_TYPES), in DOC_TYPE_LABELS order.
const CORRECT_KINDS = ["minutes", "ordinance", "bill", "speech", "plan", "manual", "faq", "notice", "other"];
// The fields 修正 corrects, with their input and how the page names them.
const CORRECT_FIELDS = [
  { name: "title", input: "correct-title-input", label: "文書名" },
  { name: "date", input: "correct-date-input", label: "日付" },
  { name: "doc_type", input: "correct-type-input", label: "種類" },
  { name: "municipality", input: "correct-municipality-input", label: "自治体" },
];
const TASK_LABELS = { research: "調べもの", writing: "文書の下書き", draft: "答弁案", counter: "窓口対応" };
const AUDIT_PAGE = 100;   // events per page
const QUESTION_CUT = 30;  // characters of a question shown before 「…」 (the rest opens below)

const $ = (id) => document.getElementById(id);
const errorBox = $("error");
const confirmDialog = $("confirm-dialog");
const correctDialog = $("correct-dialog");

let polling = false;     // one poll loop at a time, however many buttons start or attach to jobs
let runAfterJob = false; // files uploaded while another job ran: start a new run when it ends
let adminOnly = false;   // the user is not an admin: the tools are hidden and nothing more is loaded
const auditView = { offset: 0, user: "", action: "" };
const seenUsers = new Set(); // user names met in the log, offered in the 利用者 filter

// ---------- talking to the server ----------

class ApiError extends Error {
  constructor(status, detail, retryAfter = null) {
    super(`HTTP ${status}`); this.status = status; this.detail = detail; this.retryAfter = retryAfter;
  }
}

/** fetch → parsed JSON, or ApiError (status 0 = no connection) with the server's `detail`. 401 (not signed in,
 *  or the session ended) goes to the sign-in page; 403 from an admin route shows 「管理者のみが利用できます」.
 *  In both cases the promise never settles, so no half-finished message is shown. */
async function api(path, options = {}) {
  let response;
  try { response = await fetch(path, options); } catch { throw new ApiError(0, null); }
  if (response.status === 401) return goToLogin();
  if (response.status === 403 && path.startsWith("/api/admin/")) { showAdminOnly(); return new Promise(() => {}); }
  if (!response.ok) {
    let detail = null;
    try { detail = (await response.json()).detail; } catch { /* not JSON */ }
    const wait = Number(response.headers.get("Retry-After"));
    throw new ApiError(response.status, detail, Number.isFinite(wait) && wait > 0 ? Math.ceil(wait) : null);
  }
  return response.status === 204 ? null : response.json();
}
const postJson = (path, body) => api(path, {
  method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
});

/** An error in words: a Japanese lead, then the server's reason. */
function describeError(err, lead = "処理できませんでした。") {
  if (err.status === 0) return "サーバーに接続できません。しばらくしてからもう一度お試しください。";
  const detail = Array.isArray(err.detail)
    ? err.detail.map((d) => (d.loc?.length > 1 ? `${d.loc[d.loc.length - 1]}: ${d.msg}` : d.msg)).join(" ")
    : err.detail || "";
  if (err.status === 422) return `入力を確認してください: ${detail || "入力内容に誤りがあります。"}`;
  if (err.status === 403) return `この操作は許可されていません。${detail ? `（詳細：${detail}）` : ""}`;
  if (err.status === 413) return `入力が大きすぎます。${detail ? `（詳細：${detail}）` : ""}`;
  if (err.status === 429) {
    return `短時間に多くの要求が送られました。${err.retryAfter != null ? `${err.retryAfter}秒後に` : "しばらくしてから"}もう一度お試しください。`;
  }
  return `${lead}${detail ? `（詳細：${detail}）` : ""}`;
}
const showError = (message) => { errorBox.textContent = message; };
const clearError = () => { errorBox.textContent = ""; };

// ---------- small helpers ----------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child != null && child !== "") node.append(child);
  return node;
}

const eraFormat = (() => {
  try { return new Intl.DateTimeFormat("ja-JP-u-ca-japanese", { era: "long", year: "numeric", month: "long", day: "numeric" }); }
  catch { return null; }
})();
function formatDate(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
  if (!m) return iso || "—";
  return eraFormat ? eraFormat.format(new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : iso;
}
function formatTime(stamp) {
  const date = stamp ? new Date(stamp) : null;
  return date && !Number.isNaN(date.getTime()) ? date.toLocaleString("ja-JP") : stamp || "";
}
/** A source path as the URL segment(s) the server expects: each folder name encoded on its own. */
const encodeSource = (source) => source.split("/").map(encodeURIComponent).join("/");

function listOf(items, render) { return el("ul", { class: "plain-list" }, ...items.map((x) => el("li", {}, ...render(x)))); }

// ---------- documents ----------

/** 状態: words first (登録済み / 失敗 / 要OCR), colour only as a second cue. */
function stateCell(doc) {
  const td = el("td", { role: "cell" });
  if (doc.status === "failed") {
    td.append(el("span", { class: "state state-failed" }, "✕ 失敗"));
    if (doc.reason) td.append(...reasonNodes(doc.reason_ja, doc.reason));
    if (doc.chunks > 0) td.append(el("span", { class: "state-reason" }, "（前の版は登録されたままです）"));
  } else if (doc.status === "needs_ocr") {
    td.append(el("span", { class: "state state-needs_ocr" }, "！ 要OCR"));
    td.append(el("span", { class: "state-reason" }, `文字を読み取れないページ：${doc.needs_ocr_pages.join("、")}`));
  } else {
    td.append(el("span", { class: "state state-indexed" }, "✓ 登録済み"));
  }
  return td;
}

/** A failure reason in Japanese, with the English one ingestion recorded in the tooltip and under 「原文（英語）」
 *  (what to quote to the system staff, and what the server log says). */
function reasonNodes(japanese, english) {
  if (!japanese || japanese === english) return [el("span", { class: "state-reason" }, `理由：${english}`)];
  return [el("span", { class: "state-reason", title: english }, `理由：${japanese}`),
    el("details", { class: "cell-more reason-original" }, el("summary", {}, "原文（英語）"),
      el("p", { class: "full-text", lang: "en" }, english))];
}

/** 「修正済み」 after a field an admin corrected, with who and when in the tooltip and for screen readers. */
function correctedMark(doc, name) {
  const c = doc.corrections?.[name];
  if (!c) return "";
  const who = `${c.by || "管理者"}、${formatTime(c.at)}`;
  return el("span", { class: "corrected-mark", "data-field": name, title: `修正：${who}` }, "修正済み",
    el("span", { class: "visually-hidden" }, `（${who}）`));
}

function documentRow(doc) {
  const title = doc.title || doc.source;
  const action = el("td", { role: "cell" });
  if (doc.status !== "failed" || doc.chunks > 0) { // only what is in the index can be corrected or removed
    const fix = el("button", { type: "button", class: "correct-document", "data-source": doc.source },
      "修正", el("span", { class: "visually-hidden" }, `：${title}`));
    fix.addEventListener("click", () => openCorrection(doc, fix));
    const button = el("button", { type: "button", class: "remove-document danger", "data-source": doc.source },
      "削除", el("span", { class: "visually-hidden" }, `：${title}`));
    button.addEventListener("click", () => removeDocument(doc, button));
    action.append(el("span", { class: "row-actions" }, fix, button));
  }
  const state = stateCell(doc);
  state.setAttribute("data-label", "状態");
  action.setAttribute("data-label", "操作");
  // Explicit roles keep it a table for screen readers when phones show each row as a card (display: block).
  return el("tr", { role: "row", "data-source": doc.source },
    el("th", { scope: "row", role: "rowheader" }, el("span", { class: "doc-title" }, title, correctedMark(doc, "title")),
      el("span", { class: "source-path" }, doc.source),
      doc.municipality || doc.corrections?.municipality
        ? el("span", { class: "state-reason doc-municipality" }, `自治体：${doc.municipality || "—"}`,
          correctedMark(doc, "municipality")) : "",
      doc.root ? el("span", { class: "state-reason" }, `フォルダ：${doc.root}`) : ""),
    el("td", { role: "cell", "data-label": "種類" }, docTypeLabel(doc.doc_type) || "—", correctedMark(doc, "doc_type")),
    el("td", { role: "cell", "data-label": "日付" }, formatDate(doc.date), correctedMark(doc, "date")),
    el("td", { role: "cell", class: "num", "data-label": "チャンク数" }, String(doc.chunks ?? 0)),
    state,
    action);
}

// ---------- 修正: correcting a document's title, date, kind and municipality ----------

const correcting = { doc: null, opener: null };

/** Open the form on a document, each field filled with what the list shows now. */
function openCorrection(doc, opener) {
  correcting.doc = doc;
  correcting.opener = opener;
  $("correct-source").textContent = doc.source;
  $("correct-error").textContent = "";
  const kinds = $("correct-type-input");
  const current = doc.doc_type || "";
  const values = CORRECT_KINDS.includes(current) || !current ? CORRECT_KINDS : [current, ...CORRECT_KINDS];
  kinds.replaceChildren(el("option", { value: "" }, "（資料の記載どおり）"),
    ...values.map((v) => el("option", { value: v }, docTypeLabel(v))));
  for (const f of CORRECT_FIELDS) {
    $(f.input).value = doc[f.name] || "";
    const c = doc.corrections?.[f.name];
    $(`${f.input.replace("-input", "")}-state`).textContent = c
      ? `修正済み（${c.by || "管理者"}、${formatTime(c.at)}）。空欄${f.name === "doc_type" ? "（資料の記載どおり）" : ""}にして保存すると取り消せます。`
      : "";
  }
  $("correct-save").disabled = false;
  correctDialog.showModal();
  $("correct-title-input").focus();
}

/** The fields changed in the form: a value, or null for one emptied (its correction is dropped). */
function correctionChanges() {
  const changes = {};
  for (const f of CORRECT_FIELDS) {
    const value = $(f.input).value.trim();
    if (value !== (correcting.doc[f.name] || "")) changes[f.name] = value || null;
  }
  return changes;
}

function closeCorrection() {
  correctDialog.close();
  const source = correcting.doc?.source;
  correcting.doc = null;
  // The row is rebuilt when the list reloads: give the focus back to its 修正 button, or the one pressed.
  const again = source && [...document.querySelectorAll(".correct-document")].find((b) => b.dataset.source === source);
  (again || correcting.opener)?.focus();
}

$("correct-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const doc = correcting.doc;
  if (!doc) return;
  const changes = correctionChanges();
  if (!Object.keys(changes).length) { $("correct-error").textContent = "変更された項目がありません。"; return; }
  if (changes.date && !/^\d{4}-\d{2}-\d{2}$/.test(changes.date)) {
    $("correct-error").textContent = "日付は 2024-04-01 のように入力してください。";
    $("correct-date-input").focus();
    return;
  }
  $("correct-error").textContent = "";
  $("correct-save").disabled = true;
  try {
    const job = await api(`/api/admin/documents/${encodeSource(doc.source)}/fields`, {
      method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify(changes),
    });
    closeCorrection();
    clearError();
    watch(job);
  } catch (err) {
    $("correct-save").disabled = false;
    if (err.status === 409) {
      $("correct-error").textContent = "別の処理が実行中のため、保存できませんでした。終わってからもう一度保存してください。";
      attachToRunning();
    } else if (err.status === 404) {
      $("correct-error").textContent = "この資料は登録されていません（削除されたか、名前が変わった可能性があります）。";
    } else {
      $("correct-error").textContent = describeError(err, "修正を保存できませんでした。");
    }
  }
});
$("correct-close").addEventListener("click", closeCorrection);
correctDialog.addEventListener("cancel", (e) => { e.preventDefault(); closeCorrection(); }); // Esc

// ---------- finding documents in the list: 探す / 種類 / 自治体 / 状態 ----------
// Client-side over the loaded list. The filters live in their controls, so they stay as they are when the list
// reloads (after a job ends: the page polls only the job while it runs, then reloads the documents once).

const docsView = { docs: [], rows: [] }; // the loaded documents and their rows, in the same order

/** Text as the find box compares it: NFKC folds full-width letters and digits (ＰＤＦ, １２) and half-width kana
 *  (ｶﾞｲﾄﾞ) to the usual forms, then case is ignored. */
const fold = (text) => String(text || "").normalize("NFKC").toLowerCase();

function docFilters() {
  return { text: fold($("docs-find").value).trim(), type: $("docs-type").value,
    municipality: $("docs-municipality").value, status: $("docs-status").value };
}

function docMatches(doc, f) {
  if (f.status && doc.status !== f.status) return false;
  if (f.type && docTypeLabel(doc.doc_type) !== f.type) return false;
  if (f.municipality && (doc.municipality || "") !== f.municipality) return false;
  return !f.text || fold(doc.title).includes(f.text) || fold(doc.source).includes(f.text);
}

/** Fill a filter's options (after its first, 「すべて」), keeping what is chosen even when the new list lacks
 *  it; untouched when nothing changed (an open list is not rebuilt under the user). */
function setOptions(select, values, label = (v) => v) {
  const chosen = select.value;
  const wanted = chosen && !values.includes(chosen) ? [...values, chosen] : values;
  const have = [...select.options].slice(1).map((o) => o.value);
  if (have.length === wanted.length && have.every((v, i) => v === wanted[i])) return;
  select.replaceChildren(select.options[0], ...wanted.map((v) => el("option", { value: v }, label(v))));
  select.value = chosen;
}

/** 種類's options: one per label (a legacy kind and the kind it became are one choice), in DOC_TYPE_LABELS order,
 *  then kinds it does not know. The value is the label, which is what a row is matched on. */
function typeOptions(types) {
  const known = Object.keys(DOC_TYPE_LABELS);
  const order = (t) => (known.includes(t) ? known.indexOf(t) : known.length);
  const labels = [];
  for (const t of [...types].filter(Boolean).sort((a, b) => order(a) - order(b) || a.localeCompare(b))) {
    if (!labels.includes(docTypeLabel(t))) labels.push(docTypeLabel(t));
  }
  return labels;
}

function refreshDocFilters(data) {
  const docs = docsView.docs;
  setOptions($("docs-type"), typeOptions([...(data.doc_types || []), ...docs.map((d) => d.doc_type)]));
  const places = [...new Set(docs.map((d) => d.municipality).filter(Boolean))].sort((a, b) => a.localeCompare(b, "ja"));
  setOptions($("docs-municipality"), places);
  $("docs-municipality-field").hidden = !places.length && !$("docs-municipality").value;
}

/** Show the rows that match, and 「N件中 M件を表示」. */
function applyDocFilters() {
  const f = docFilters();
  let shown = 0;
  docsView.docs.forEach((doc, i) => {
    const match = docMatches(doc, f);
    docsView.rows[i].hidden = !match;
    shown += match;
  });
  const total = docsView.docs.length;
  const filtering = Boolean(f.text || f.type || f.municipality || f.status);
  const none = $("docs-none"); // absent when the list could not be loaded
  if (none) none.hidden = !(total && !shown);
  $("docs-count").textContent = total ? `${total}件中 ${shown}件を表示` : "";
  $("docs-clear").disabled = !filtering;
}

async function loadDocuments() {
  const body = $("documents-body");
  try {
    const data = await api("/api/documents");
    const docs = data.documents || [];
    $("docs-caption").textContent = `資料の一覧（${docs.length}件）`;
    docsView.docs = docs;
    docsView.rows = docs.map(documentRow);
    refreshDocFilters(data);
    const none = el("tr", { id: "docs-none", hidden: "" }, el("td", { colspan: "6" },
      "条件に当てはまる資料はありません。条件を変えるか、「条件を消す」を押してください。"));
    if (!docs.length) {
      body.replaceChildren(el("tr", {}, el("td", { colspan: "6" }, "まだ資料がありません。上の「資料を追加する」から追加してください。")), none);
    } else {
      body.replaceChildren(...docsView.rows, none);
    }
    applyDocFilters();
  } catch (err) {
    docsView.docs = [];
    docsView.rows = [];
    $("docs-count").textContent = "";
    body.replaceChildren(el("tr", {}, el("td", { colspan: "6" }, describeError(err, "資料の一覧を読み込めませんでした。"))));
  }
}

$("docs-filter").addEventListener("submit", (e) => e.preventDefault()); // Enter in the box: nothing to send
$("docs-find").addEventListener("input", applyDocFilters);
for (const id of ["docs-type", "docs-municipality", "docs-status"]) $(id).addEventListener("change", applyDocFilters);
$("docs-clear").addEventListener("click", () => {
  $("docs-find").value = "";
  for (const id of ["docs-type", "docs-municipality", "docs-status"]) $(id).value = "";
  $("docs-municipality-field").hidden = $("docs-municipality").options.length <= 1;
  applyDocFilters();
  $("docs-find").focus();
});

/** A failed file's reason in Japanese, when the list has it for the same file and the same English reason. */
function japaneseReasonOf(source, reason) {
  const doc = docsView.docs.find((d) => d.source === source && d.reason === reason);
  return doc?.reason_ja || null;
}

function askConfirm(text) {
  $("confirm-text").textContent = text;
  confirmDialog.returnValue = "";
  confirmDialog.showModal();
  return new Promise((resolve) => {
    confirmDialog.addEventListener("close", () => resolve(confirmDialog.returnValue === "yes"), { once: true });
  });
}
$("confirm-yes").addEventListener("click", () => confirmDialog.close("yes"));
$("confirm-no").addEventListener("click", () => confirmDialog.close("no"));

async function removeDocument(doc, button) {
  const ok = await askConfirm(`「${doc.title || doc.source}」（${doc.source}）を検索の対象から外します。以後の取り込みでも読み込みません。`
    + "アップロードしたファイルの場合は、保存したファイルも削除されます。登録フォルダにある元のファイルは削除されません。");
  button.focus();
  if (!ok) return;
  clearError();
  try {
    watch(await api(`/api/admin/documents/${encodeSource(doc.source)}`, { method: "DELETE" }));
  } catch (err) {
    if (err.status === 409) return attachToRunning();
    showError(describeError(err, "削除を始められませんでした。"));
  }
}

// ---------- folders and uploads ----------

function showFolders(data) {
  const box = $("folders");
  box.replaceChildren(el("p", { class: "hint" }, "登録済みのフォルダ："));
  box.append(data.folders?.length ? listOf(data.folders, (f) => [el("span", { class: "source-path" }, f)])
    : el("p", {}, "まだありません。"));
  if (data.uploads) box.append(el("p", { class: "hint" }, "アップロードしたファイルの保存先：", el("span", { class: "source-path" }, data.uploads)));
}

async function loadFolders() {
  try { showFolders(await api("/api/admin/folders")); }
  catch (err) { $("folders").replaceChildren(el("p", {}, describeError(err, "フォルダの一覧を読み込めませんでした。"))); }
}

$("folder-button").addEventListener("click", async () => {
  clearError();
  const path = $("folder-input").value.trim();
  if (!path) { showError("フォルダの場所を入力してください。"); $("folder-input").focus(); return; }
  try {
    await postJson("/api/admin/folders", { path });
    refreshAudit();
    $("folder-result").replaceChildren(el("p", { class: "status-text" }, `登録しました：${path}。「取り込みを実行」を押すと読み込みます。`));
    $("folder-input").value = "";
    await loadFolders();
  } catch (err) {
    $("folder-result").replaceChildren();
    if (err.status === 422) showError(`フォルダを登録できませんでした。サーバー上にそのフォルダがあるか確認してください。${err.detail && !Array.isArray(err.detail) ? `（詳細：${err.detail}）` : ""}`);
    else showError(describeError(err, "フォルダを登録できませんでした。"));
  }
});

$("upload-button").addEventListener("click", async () => {
  clearError();
  const files = [...$("upload-input").files];
  if (!files.length) { showError("アップロードするファイルを選んでください。"); $("upload-input").focus(); return; }
  const form = new FormData();
  for (const f of files) form.append("files", f, f.name);
  const button = $("upload-button");
  button.disabled = true;
  $("upload-result").replaceChildren(el("p", {}, `${files.length}件のファイルを送っています…`));
  try {
    const data = await api("/api/admin/upload", { method: "POST", body: form });
    const box = $("upload-result");
    box.replaceChildren();
    if (data.saved?.length) {
      box.append(el("p", { class: "status-text" }, `保存しました（${data.saved.length}件）：`), listOf(data.saved, (n) => [n]));
    }
    if (data.refused?.length) {
      box.append(el("p", { class: "state state-failed" }, `✕ 受け付けられなかったファイル（${data.refused.length}件）：`),
        listOf(data.refused, (r) => [`${r.name}　理由：${r.reason}`]));
    }
    $("upload-input").value = "";
    if (data.saved?.length) await startJob({ rerun: true });
  } catch (err) {
    $("upload-result").replaceChildren();
    showError(describeError(err, "アップロードできませんでした。"));
  } finally {
    button.disabled = false;
  }
});

// ---------- jobs ----------

/** Start a run; `rerun` (after an upload) queues another run when one is already going on. */
async function startJob({ rerun = false } = {}) {
  clearError();
  try {
    watch(await postJson("/api/admin/jobs", {}));
  } catch (err) {
    if (err.status === 409) { runAfterJob ||= rerun; return attachToRunning(); }
    showError(describeError(err, "取り込みを始められませんでした。"));
  }
}

/** Another run is going on (409): say so and show its progress instead. */
async function attachToRunning() {
  $("job-notice").textContent = "別の取り込みが実行中です。終わるまでお待ちください（進み具合を下に表示します）。";
  try { watch(await api("/api/admin/jobs/current")); } catch { /* the next click will try again */ }
}

function showProgress(job) {
  const box = $("job-progress");
  box.hidden = false;
  const bar = $("job-bar");
  const removing = job.kind === "remove";
  const fixing = job.kind === "correct";
  $("job-bar-label").textContent = `${JOB_LABELS[job.kind] || "取り込み"}の進み具合`;
  if (job.files_total > 0) { bar.max = job.files_total; bar.value = job.files_done; } else bar.removeAttribute("value");
  const parts = [`${job.files_done} / ${job.files_total} ファイル`, `チャンク ${job.chunks}`];
  if (job.eta_s != null) parts.push(`残り約 ${Math.max(0, Math.ceil(job.eta_s))} 秒`);
  $("job-text").textContent = removing ? "削除しています…" : fixing ? "修正を反映しています（資料を読み直しています）…"
    : job.files_total > 0 ? `取り込んでいます：${parts.join("、")}` : "ファイルを確認しています…"; // total is 0 while scanning
  $("job-current").textContent = job.current ? `処理中のファイル：${job.current}` : "";
}

function showSummary(job, { previous = false } = {}) {
  const box = $("job-summary");
  box.replaceChildren();
  const what = JOB_LABELS[job.kind] || "取り込み";
  if (job.status === "failed") {
    box.append(el("h3", {}, `✕ ${what}が途中で止まりました`),
      el("p", { role: "alert" }, `理由：${job.error || "不明"}`),
      el("p", {}, "もう一度実行しても同じ場合は、システム担当にご連絡ください。"));
  }
  const s = job.summary;
  if (!s) return;
  if (job.status !== "failed") {
    box.append(el("h3", {}, previous ? `前回の${what}の結果（${formatTime(job.finished_at)}）` : `✓ ${what}が終わりました`));
  }
  box.append(el("p", {}, `登録されている資料は ${s.documents ?? "—"} 件、チャンクは ${s.chunks ?? "—"} 件です。`
    + (s.seconds != null ? `所要時間 ${Number(s.seconds).toFixed(1)} 秒。` : "")));
  const failed = s.failed || [];
  const counts = job.kind === "remove" ? [["削除", s.removed], ["失敗", failed.length]]
    : job.kind === "correct" ? [["更新", (s.updated ?? 0) + (s.upgraded ?? 0)], ["変更なし", s.unchanged], ["失敗", failed.length]]
    : [["追加", s.added], ["更新", s.updated], ["削除", s.removed], ["変更なし", s.unchanged], ["失敗", failed.length]];
  box.append(el("dl", { class: "summary-counts" },
    ...counts.map(([name, n]) => el("div", {}, el("dt", {}, name), el("dd", {}, `${n ?? 0}件`)))));
  if (failed.length) {
    box.append(el("h4", {}, "✕ 取り込めなかったファイル"), listOf(failed, (f) => [el("span", { class: "source-path" }, f.source),
      ...reasonNodes(japaneseReasonOf(f.source, f.reason), f.reason)]));
  }
  if (s.needs_ocr?.length) {
    box.append(el("h4", {}, "！ 文字を読み取れないページがあるファイル（要OCR）"),
      listOf(s.needs_ocr, (f) => [el("span", { class: "source-path" }, f.source), `　ページ：${(f.pages || []).join("、")}`]));
  }
  if (s.duplicates?.length) {
    box.append(el("h4", {}, "内容が同じファイル（重複のため取り込んでいません）"),
      listOf(s.duplicates, (d) => [el("span", { class: "source-path" }, d.source), `　→ ${d.same_as} と同じ内容`]));
  }
}

/** Follow a job: poll every 500 ms while it runs; when it ends, show the summary and refresh the lists. */
function watch(job) {
  $("run-ingest").disabled = job.status === "running";
  if (job.status === "running") {
    showProgress(job);
    $("job-summary").replaceChildren();
    if (!polling) { polling = true; setTimeout(poll, POLL_MS); }
    return;
  }
  finish(job);
}

async function poll(failures = 0) {
  try {
    const job = await api("/api/admin/jobs/current");
    polling = job.status === "running";
    if (polling) { showProgress(job); setTimeout(poll, POLL_MS); } else finish(job);
  } catch (err) {
    // A brief network hiccup should not lose the job; after a while, say so and stop.
    if (failures < 10) { setTimeout(() => poll(failures + 1), POLL_MS * 4); return; }
    polling = false;
    $("run-ingest").disabled = false;
    showError(describeError(err, "取り込みの進み具合を取得できませんでした。"));
  }
}

async function finish(job) {
  $("run-ingest").disabled = false;
  $("job-notice").textContent = "";
  if (job.files_total > 0) { $("job-bar").max = job.files_total; $("job-bar").value = job.files_done; }
  $("job-text").textContent = job.status === "done" ? "終わりました。結果を下に表示しています。" : "途中で止まりました。";
  $("job-current").textContent = "";
  // The documents first: the summary gives each failed file's reason in Japanese from the reloaded list.
  await Promise.all([loadDocuments(), loadFolders()]);
  showSummary(job);
  if (document.activeElement === document.body) $("job-summary").focus(); // a removed row took the focus with it
  refreshAudit(); // the upload, run or removal is now in the log
  if (runAfterJob) { runAfterJob = false; clearError(); startJob(); } // uploads that arrived during the last run
}

$("run-ingest").addEventListener("click", () => startJob());

// ---------- the audit log (利用記録) ----------

/** 「管理者のみが利用できます」 in place of the tools (a staff user, or 403 from an admin route). */
function showAdminOnly() {
  if (adminOnly) return;
  adminOnly = true;
  $("admin-tools").hidden = true;
  $("admin-only").hidden = false;
  $("admin-only-title").focus();
}

const dash = () => el("span", {}, el("span", { "aria-hidden": "true" }, "—"), el("span", { class: "visually-hidden" }, "なし"));
const note = (text) => el("span", { class: "state-reason" }, text);
const AUDIT_COLUMNS = { 日時: "c-at", 利用者: "c-user", 所属: "c-dept", 操作: "c-action", 質問: "c-question", 方式: "c-method",
  出典: "c-sources", 個人情報チェック: "c-guard", 結果: "c-result" };
const cell = (label, ...children) => el("td", { role: "cell", "data-label": label, class: AUDIT_COLUMNS[label] || "" }, ...children);

function actionCell(e) {
  const td = cell("操作");
  if (e.action.startsWith("admin.")) {
    td.append("管理操作", note(ADMIN_ACTION_LABELS[e.action] || e.action.slice("admin.".length)));
  } else {
    td.append(ACTION_LABELS[e.action] || e.action);
    if (e.task) td.append(note(`用途：${TASK_LABELS[e.task] || e.task}`));
  }
  return td;
}

/** The question, cut to QUESTION_CUT characters; the whole text in the tooltip and under 「…」 (keyboard too). */
function questionCell(text) {
  if (!text) return cell("質問", dash());
  const chars = Array.from(text);
  if (chars.length <= QUESTION_CUT) return cell("質問", text);
  const more = el("details", { class: "cell-more" },
    el("summary", { title: text }, `${chars.slice(0, QUESTION_CUT).join("")}…`,
      el("span", { class: "visually-hidden" }, "（全文を表示）")),
    el("p", { class: "full-text" }, text));
  return cell("質問", more);
}

function methodCell(e) {
  if (e.composer === "llm") return cell("方式", "生成AI", e.model ? note(e.model) : "");
  if (e.composer === "extractive") return cell("方式", "資料の文を引用");
  return cell("方式", e.composer ? e.composer : dash(), e.model ? note(e.model) : "");
}

/** 出典: how many, and the files under a disclosure (each once, with how many passages of it were cited). */
function sourcesCell(sources) {
  if (!sources?.length) return cell("出典", "0件");
  const counts = new Map();
  for (const s of sources) counts.set(s, (counts.get(s) || 0) + 1);
  return cell("出典", el("details", { class: "cell-more" },
    el("summary", { class: "nowrap" }, `${sources.length}件`, el("span", { class: "visually-hidden" }, "（出典の一覧を表示）")),
    listOf([...counts], ([source, n]) => [el("span", { class: "source-path" }, source), n > 1 ? `（${n}か所）` : ""])));
}

/** 結果: words and a sign first (✓ 回答 / － 資料なし / ✕ エラー), colour only as a second cue. */
function resultCell(e) {
  const status = e.status || "";
  if (status === "ok") {
    return cell("結果", el("span", { class: "state state-indexed" }, e.action.startsWith("admin.") ? "✓ 完了" : "✓ 回答"));
  }
  if (status === "refused") return cell("結果", el("span", { class: "state state-needs_ocr" }, "－ 資料なし"));
  if (status === "blocked") return cell("結果", el("span", { class: "state state-failed" }, "✕ 送信を止めました"));
  if (status.startsWith("error")) {
    const reason = status.replace(/^error:?\s*/, "");
    // The server's reason (often long, in English) stays folded away until asked for.
    return cell("結果", el("span", { class: "state state-failed" }, "✕ エラー"), reason ? el("details", { class: "cell-more" },
      el("summary", {}, "理由"), el("p", { class: "full-text" }, reason)) : "");
  }
  return cell("結果", status || dash());
}

/** 日時 in the browser's local time, the date and the time each kept whole (a line break only between them). */
function timeCell(stamp) {
  const date = stamp ? new Date(stamp) : null;
  if (!date || Number.isNaN(date.getTime())) return cell("日時", stamp || dash());
  return cell("日時", el("time", { datetime: stamp },
    el("span", { class: "nowrap" }, date.toLocaleDateString("ja-JP")), " ",
    el("span", { class: "nowrap" }, date.toLocaleTimeString("ja-JP"))));
}

function auditRow(e) {
  return el("tr", { role: "row" },
    timeCell(e.at),
    el("th", { scope: "row", role: "rowheader", "data-label": "利用者", class: "c-user" }, e.user || "—"),
    cell("所属", e.groups?.length ? e.groups.join("、") : dash()),
    actionCell(e),
    questionCell(e.question),
    methodCell(e),
    sourcesCell(e.sources),
    cell("個人情報チェック", e.guard ? e.guard : dash()),
    resultCell(e));
}

async function loadAudit({ focusFrom = null } = {}) {
  const body = $("audit-body");
  const table = $("audit");
  // One more than a page: whether there is a next page, without a total from the server.
  const params = new URLSearchParams({ limit: String(AUDIT_PAGE + 1), offset: String(auditView.offset) });
  if (auditView.user) params.set("user", auditView.user);
  if (auditView.action) params.set("action", auditView.action);
  table.setAttribute("aria-busy", "true");
  try {
    const data = await api(`/api/admin/audit?${params}`);
    const events = (data.events || []).slice(0, AUDIT_PAGE);
    const more = (data.events || []).length > AUDIT_PAGE;
    for (const e of events) if (e.user && !seenUsers.has(e.user)) {
      seenUsers.add(e.user);
      $("audit-users").append(el("option", { value: e.user }));
    }
    const conditions = [auditView.user && `利用者：${auditView.user}`,
      auditView.action && `操作：${$("audit-action").selectedOptions[0]?.textContent || auditView.action}`].filter(Boolean);
    $("audit-caption").textContent = conditions.length ? `利用記録（${conditions.join("、")}）` : "利用記録";
    if (events.length) body.replaceChildren(...events.map(auditRow));
    else body.replaceChildren(el("tr", {}, el("td", { colspan: "9" }, auditView.offset ? "これより古い記録はありません。"
      : conditions.length ? "この条件に当てはまる記録はありません。" : "まだ記録がありません。")));
    $("audit-range").textContent = events.length
      ? `${auditView.offset + 1}〜${auditView.offset + events.length}件目（新しい順）` : "";
    $("audit-prev").disabled = auditView.offset === 0;
    $("audit-next").disabled = !more;
  } catch (err) {
    body.replaceChildren(el("tr", {}, el("td", { colspan: "9" }, describeError(err, "利用記録を読み込めませんでした。"))));
    $("audit-range").textContent = "";
  } finally {
    table.removeAttribute("aria-busy");
  }
  // Paging to the last (or first) page disables the button pressed: keep the focus on the pager.
  if (focusFrom?.disabled) (focusFrom === $("audit-next") ? $("audit-prev") : $("audit-next")).focus();
}

/** After an admin action: show it in the log, if the newest page is the one shown. */
function refreshAudit() { if (!adminOnly && auditView.offset === 0) loadAudit(); }

$("audit-filter").addEventListener("submit", (e) => {
  e.preventDefault();
  auditView.user = $("audit-user").value.trim();
  auditView.action = $("audit-action").value;
  auditView.offset = 0;
  loadAudit();
});
$("audit-clear").addEventListener("click", () => {
  $("audit-user").value = "";
  $("audit-action").value = "";
  auditView.user = "";
  auditView.action = "";
  auditView.offset = 0;
  loadAudit();
});
$("audit-prev").addEventListener("click", (e) => {
  auditView.offset = Math.max(0, auditView.offset - AUDIT_PAGE);
  loadAudit({ focusFrom: e.currentTarget });
});
$("audit-next").addEventListener("click", (e) => {
  auditView.offset += AUDIT_PAGE;
  loadAudit({ focusFrom: e.currentTarget });
});

// ---------- the usage report (利用状況) ----------

const eraMonthFormat = (() => {
  try { return new Intl.DateTimeFormat("ja-JP-u-ca-japanese", { era: "long", year: "numeric", month: "long" }); }
  catch { return null; }
})();

/** A period key from the server as words: 令和7年1月15日 / 令和7年1月13日の週 / 令和7年1月. */
function periodLabel(period, key) {
  if (period === "week") return `${formatDate(key)}の週`;
  if (period === "month") {
    const m = /^(\d{4})-(\d{2})$/.exec(key || "");
    return m && eraMonthFormat ? eraMonthFormat.format(new Date(Number(m[1]), Number(m[2]) - 1, 1)) : key || "—";
  }
  return formatDate(key);
}
const taskLabel = (task) => TASK_LABELS[task] || ACTION_LABELS[task] || task || "—";

/** Horizontal bars drawn with CSS; each bar has its number in text (the bar itself is hidden from readers). */
function barChart(title, items) {
  const max = Math.max(1, ...items.map(([, n]) => n));
  return el("figure", { class: "bar-chart" },
    el("figcaption", {}, title),
    el("ul", { class: "bars" }, ...items.map(([label, n]) => {
      const fill = el("span", { class: "bar-fill" });
      fill.style.width = `${(n / max) * 100}%`;
      return el("li", {}, el("span", { class: "bar-label" }, label),
        el("span", { class: "bar-track", "aria-hidden": "true" }, fill),
        el("span", { class: "bar-value" }, `${n}件`));
    })));
}

function totals(rows, key) {
  const sums = new Map();
  for (const r of rows) sums.set(key(r), (sums.get(key(r)) || 0) + (r.requests || 0));
  return [...sums].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0], "ja"));
}

async function loadUsage() {
  const period = $("usage-period").value;
  const body = $("usage-body");
  const chart = $("usage-chart");
  $("usage").setAttribute("aria-busy", "true");
  try {
    const data = await api(`/api/admin/usage?period=${encodeURIComponent(period)}`);
    // Newest period first; inside a period, by department and task.
    const rows = [...(data.rows || [])].sort((a, b) => String(b.period).localeCompare(String(a.period))
      || String(a.department).localeCompare(String(b.department), "ja") || taskLabel(a.task).localeCompare(taskLabel(b.task), "ja"));
    if (!rows.length) {
      chart.replaceChildren();
      body.replaceChildren(el("tr", {}, el("td", { colspan: "6" }, "まだ利用がありません。")));
      return;
    }
    body.replaceChildren(...rows.map((r) => el("tr", { role: "row" },
      el("td", { role: "cell", "data-label": "期間" }, periodLabel(period, r.period)),
      el("th", { scope: "row", role: "rowheader", "data-label": "所属" }, r.department || "—"),
      cell("用途", taskLabel(r.task)),
      el("td", { role: "cell", class: "num", "data-label": "件数" }, String(r.requests ?? 0)),
      el("td", { role: "cell", class: "num", "data-label": "利用者数" }, String(r.users ?? 0)),
      el("td", { role: "cell", class: "num", "data-label": "回答できなかった件数" }, String(r.not_ok ?? 0)))));
    const latest = rows[0].period;
    const current = rows.filter((r) => r.period === latest);
    const total = current.reduce((n, r) => n + (r.requests || 0), 0);
    chart.replaceChildren(
      el("h3", {}, `最新の期間（${periodLabel(period, latest)}）：${total}件`),
      el("div", { class: "chart-pair" },
        barChart("所属別の件数", totals(current, (r) => r.department || "—")),
        barChart("用途別の件数", totals(current, (r) => taskLabel(r.task)))));
  } catch (err) {
    chart.replaceChildren();
    body.replaceChildren(el("tr", {}, el("td", { colspan: "6" }, describeError(err, "利用状況を読み込めませんでした。"))));
  } finally {
    $("usage").removeAttribute("aria-busy");
  }
}

$("usage-period").addEventListener("change", loadUsage);

// ---------- start ----------

async function init() {
  const me = await loadMe(); // 401: off to the sign-in page
  if (me) {
    showUser(me);
    if (me.role !== "admin") { showAdminOnly(); return; }
  }
  const documentsLoaded = loadDocuments();
  loadFolders();
  loadAudit();
  loadUsage();
  try {
    const job = await api("/api/admin/jobs/current");
    if (job.status === "running") watch(job);
    else { await documentsLoaded; showSummary(job, { previous: true }); }
  } catch { /* 404: no job since start-up */ }
}
init();
