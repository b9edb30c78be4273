// Sign-in page: POST /api/login with a name and password, then back to the page that sent the user here
// (the `next` query parameter: a path on this site only, else the staff page).
// Plain ES module, no build step: the office machines are offline.
//
// Security rule: text from the server or from people (user names, server messages) is never inserted as HTML.
// Set text with textContent only; never innerHTML, outerHTML, insertAdjacentHTML or document.write. The page
// to go to afterwards is checked by safeNext(), so a link cannot send people to another site or to javascript:.

const $ = (id) => document.getElementById(id);
const form = $("login-form");
const nameInput = $("login-name");
const passwordInput = $("login-password");
const submitButton = $("login-submit");
const errorBox = $("error");

/** Where to go after signing in: a path of this site, never back to /login; anything else gives "/".
 * The check is made on the URL as the browser normalises it (tabs and newlines dropped, backslashes turned into
 * slashes, dot segments removed): "/.//evil.example/" becomes the path "//evil.example/", which as a link is
 * another host. So the normalised path must not start with two slashes, and what is returned must still resolve
 * to this origin. */
function safeNext(raw) {
  if (typeof raw !== "string" || !raw.startsWith("/")) return "/";
  try {
    const url = new URL(raw, location.origin);
    if (url.origin !== location.origin || /^[/\\]{2}/.test(url.pathname) || url.pathname === "/login") return "/";
    const local = url.pathname + url.search + url.hash;
    if (/^[/\\]{2}/.test(local) || new URL(local, location.origin).origin !== location.origin) return "/";
    return local;
  } catch {
    return "/";
  }
}

const params = new URLSearchParams(location.search);
const next = safeNext(params.get("next"));

function showError(message, field = null) {
  errorBox.textContent = message;
  for (const input of [nameInput, passwordInput]) input.removeAttribute("aria-invalid");
  if (field) { field.setAttribute("aria-invalid", "true"); field.focus(); }
}

function setBusy(busy) {
  form.setAttribute("aria-busy", String(busy));
  submitButton.disabled = busy;
  const status = $("busy");
  status.replaceChildren();
  if (busy) {
    const spinner = document.createElement("span");
    spinner.className = "spinner";
    spinner.setAttribute("aria-hidden", "true");
    status.append(spinner, "確認しています…");
  }
}

function retryAfter(response) {
  const value = Number(response.headers.get("Retry-After"));
  return Number.isFinite(value) && value > 0 ? Math.ceil(value) : null;
}

async function signIn() {
  const name = nameInput.value.trim();
  const password = passwordInput.value;
  if (!name) { showError("ユーザー名を入力してください。", nameInput); return; }
  if (!password) { showError("パスワードを入力してください。", passwordInput); return; }
  showError("");
  setBusy(true);
  let response;
  try {
    response = await fetch("/api/login", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name, password }),
    });
  } catch {
    setBusy(false);
    showError("サーバーに接続できません。しばらくしてからもう一度お試しください。");
    return;
  }
  if (response.ok) {
    $("busy").textContent = "ログインしました。移動しています…";
    location.replace(next);
    return;
  }
  setBusy(false);
  switch (response.status) {
    case 401:
      passwordInput.value = "";
      showError("ユーザー名またはパスワードが違います", passwordInput);
      break;
    case 400: // sign-in is not used here (KOTAE_AUTH=off: everyone is signed in; header: the city's sign-in)
      showError("この環境では、この画面からのログインは使いません。上の案内に従って、元のページに戻ってください。");
      showWayBack();
      break;
    case 413:
      showError("入力が大きすぎます");
      break;
    case 422:
      showError("入力を確認してください。ユーザー名は64文字までです。", nameInput);
      break;
    case 429: {
      const wait = retryAfter(response);
      showError(`短時間に何度もログインが試されました。${wait != null ? `${wait}秒後に` : "しばらくしてから"}もう一度お試しください。`);
      break;
    }
    default:
      showError("ログインできませんでした。しばらくしてからもう一度お試しください。");
  }
}

/** A link back to the page the user came from (when this page's form is not the way to sign in). */
function showWayBack() {
  const notice = $("login-notice");
  const link = document.createElement("a");
  link.href = next;
  link.textContent = "元のページに戻る";
  notice.replaceChildren(link);
}

form.addEventListener("submit", (e) => { e.preventDefault(); signIn(); });
$("show-password").addEventListener("change", (e) => {
  passwordInput.type = e.currentTarget.checked ? "text" : "password";
});

if (params.get("expired") === "1") {
  $("login-notice").textContent = "ログインの有効期限が切れたため、ログインの画面に戻りました。もう一度ログインしてください。";
}

// Already signed in (another tab, or sign-in not used here): go straight on.
(async () => {
  try {
    const response = await fetch("/api/me", { cache: "no-store", headers: { Accept: "application/json" } });
    if (response.ok) location.replace(next);
  } catch { /* no connection: the form says so when used */ }
})();
