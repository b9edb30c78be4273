// Who is signed in, shared by the staff and admin pages: GET /api/me, the user and ログアウト in the header, and
// the way to the sign-in page whenever the server answers 401 (not signed in, or the session has ended).
// Plain ES module, no build step: the office machines are offline.
//
// Rule for every script on these pages: text from the server or from people (document text, questions, answers,
// citations, reasons, file names, user names, server messages) is never inserted as HTML. Use textContent,
// createElement/append and setAttribute only; never innerHTML, outerHTML, insertAdjacentHTML or document.write.

const ROLE_LABELS = { admin: "管理者", staff: "職員" };

let signedIn = false; // /api/me answered: a later 401 means the session ended while the page was open

/** The sign-in page, with the way back to this page. */
export function loginUrl({ expired = false } = {}) {
  const next = location.pathname + location.search;
  return `/login?next=${encodeURIComponent(next)}${expired ? "&expired=1" : ""}`;
}

/** Go to the sign-in page. The promise never settles, so the caller stops where it is (no error flashes up). */
export function goToLogin() {
  location.assign(loginUrl({ expired: signedIn }));
  return new Promise(() => {});
}

/** GET /api/me → the user, or null when the server cannot say (no connection, an older server without it).
 *  401 goes to the sign-in page. */
export async function loadMe() {
  let response;
  try {
    response = await fetch("/api/me", { cache: "no-store", headers: { Accept: "application/json" } });
  } catch {
    return null;
  }
  if (response.status === 401) return goToLogin();
  if (!response.ok) return null;
  try {
    const me = await response.json();
    signedIn = true;
    return me;
  } catch {
    return null;
  }
}

/** The user's name and role in the header; ログアウト only where this app signed them in (auth "on"). */
export function showUser(me) {
  const box = document.getElementById("user-box");
  if (!box || !me) return;
  document.getElementById("user-name").textContent = me.name || "";
  document.getElementById("user-role").textContent = ROLE_LABELS[me.role] || me.role || "";
  document.getElementById("logout").hidden = me.auth === "off" || me.auth === "header";
  box.hidden = false;
}

async function logout() {
  const button = document.getElementById("logout");
  const status = document.getElementById("logout-status");
  button.disabled = true;
  status.textContent = "ログアウトしています…";
  try {
    const response = await fetch("/api/logout", { method: "POST" });
    if (!response.ok && response.status !== 401) throw new Error(`HTTP ${response.status}`);
    location.assign("/login");
  } catch {
    status.textContent = "ログアウトできませんでした。もう一度お試しください。";
    button.disabled = false;
  }
}

document.getElementById("logout")?.addEventListener("click", logout);
