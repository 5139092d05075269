// The API key the page sends (docs/api.md, "API keys"): asked for in a dialog the first time the
// server answers 401, kept for this tab, forgotten on request.
//
// sessionStorage, not localStorage: the key is a bearer secret (whoever holds it edits as its
// owner). sessionStorage lives only as long as this tab and is not shared with other tabs, so a
// key typed on a shared or borrowed computer is gone when the tab closes; localStorage would keep
// it on disk for every later visitor of the page. Not a cookie either: the browser would attach
// it to requests other sites trigger, and the API reads only Authorization: Bearer.

const STORAGE_KEY = "emuedit.apiKey";

/** Where the key lives when the browser blocks storage (it is then gone on reload). */
let memoryKey = null;

/** The key to send now (null: none). */
export function apiKey() {
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? memoryKey;
  } catch {
    return memoryKey;
  }
}

function remember(key) {
  memoryKey = key;
  try {
    sessionStorage.setItem(STORAGE_KEY, key);
  } catch {
    // blocked storage: memoryKey keeps it until the page reloads
  }
  changed();
}

export function forgetKey() {
  memoryKey = null;
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // nothing stored
  }
  changed();
}

/** Whether the server has asked for a key since the page loaded (or one is kept). */
let keysRequired = apiKey() !== null;
const listeners = new Set();
/** `fn({ required, hasKey })` runs now and whenever either changes. */
export function onKeyChange(fn) {
  listeners.add(fn);
  fn({ required: keysRequired, hasKey: apiKey() !== null });
}
function changed() {
  for (const fn of listeners) fn({ required: keysRequired, hasKey: apiKey() !== null });
}

// ---- The dialog -------------------------------------------------------------------------------

const $ = (id) => document.getElementById(id);
let pending = null; // the open dialog's answer: one dialog however many requests were refused

/**
 * Asks the person for a key. `rejected`: the last key sent was refused (401), so the dialog says
 * so. Resolves with the key entered, or null when they close the dialog without one.
 */
export function askForKey({ rejected = false, message = "" } = {}) {
  keysRequired = true;
  changed();
  if (pending) return pending;
  const dialog = $("keyDialog");
  const input = $("keyInput");
  const error = $("keyError");
  error.textContent = rejected ? message : "";
  input.value = "";
  input.setAttribute("aria-invalid", rejected ? "true" : "false");
  pending = new Promise((resolve) => {
    const done = (key) => {
      $("keyForm").removeEventListener("submit", submit);
      $("keyCancel").removeEventListener("click", cancel);
      dialog.removeEventListener("cancel", cancel);
      if (dialog.open) dialog.close();
      pending = null;
      resolve(key);
    };
    const submit = (e) => {
      e.preventDefault();
      const key = input.value.trim();
      if (!key) {
        error.textContent = "Enter the API key you were given, or choose “Not now”.";
        input.setAttribute("aria-invalid", "true");
        return input.focus();
      }
      remember(key);
      done(key);
    };
    const cancel = (e) => {
      e.preventDefault(); // Escape: close through done() so the promise settles
      done(null);
    };
    $("keyForm").addEventListener("submit", submit);
    $("keyCancel").addEventListener("click", cancel);
    dialog.addEventListener("cancel", cancel);
    dialog.showModal();
    input.focus();
  });
  return pending;
}
