// Complaint pages: printing the receipt; the kiosk's idle wipe and quick exit.
// No inline scripts: the Content-Security-Policy allows only this file's origin.
document.addEventListener("click", (event) => {
  const target = event.target;
  if (target instanceof HTMLElement && target.closest("[data-print]")) {
    window.print();
  }
});

(() => {
  const body = document.body;
  if (!body.classList.contains("kiosk")) return;
  const home = body.dataset.kioskHome;
  const idleSeconds = Number(body.dataset.kioskIdle || "180");
  // Nothing of this visit stays in the browser's history: Back cannot reopen a page.
  history.replaceState(null, "", location.href);
  const wipe = () => {
    document.querySelectorAll("form").forEach((form) => form.reset());
    location.replace(home);
  };
  let timer = setTimeout(wipe, idleSeconds * 1000);
  ["keydown", "pointerdown", "input", "touchstart"].forEach((name) =>
    document.addEventListener(name, () => {
      clearTimeout(timer);
      timer = setTimeout(wipe, idleSeconds * 1000);
    }, { passive: true }));
  document.querySelectorAll("[data-quick-exit]").forEach((element) =>
    element.addEventListener("click", (event) => {
      event.preventDefault();
      wipe();
    }));
  // An enrolled terminal tells the centre it is on (complaints/terminals.py): once now,
  // then every minute. The credential is its HttpOnly cookie; nothing else is sent.
  const heartbeat = body.dataset.kioskHeartbeat;
  if (heartbeat) {
    const beat = () => fetch(heartbeat, { method: "POST", credentials: "same-origin" })
      .catch(() => {});
    beat();
    setInterval(beat, 60 * 1000);
  }
  // Offline (issue 23): the service worker keeps the kiosk's pages; a complaint sent with the
  // network down is kept in IndexedDB, shown as stored, and sent by itself when the network
  // returns, each with its own Idempotency-Key so that a retry never files it twice.
  if (body.dataset.kioskOffline) offlineKiosk(body);
  // Escape is the quick exit from the keyboard.
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") wipe();
  });
})();

// ---------------------------------------------------------------- the offline kiosk

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";  // Crockford's, as receipts.py

// Luhn mod 32, as receipts.check_character.
function checkCharacter(raw) {
  let total = 0;
  let factor = 2;
  for (let i = raw.length - 1; i >= 0; i -= 1) {
    const addend = factor * ALPHABET.indexOf(raw[i]);
    factor = factor === 2 ? 1 : 2;
    total += Math.floor(addend / 32) + (addend % 32);
  }
  return ALPHABET[(32 - (total % 32)) % 32];
}

function randomChars(count) {
  // 256 is a multiple of 32: every character is equally likely.
  return Array.from(crypto.getRandomValues(new Uint8Array(count)), (b) => ALPHABET[b % 32])
    .join("");
}

// A short receipt code drawn here, shown at once, sent with the complaint (the server hashes
// it with the PIN, as it does the codes it draws itself).
function drawCode() {
  const raw = randomChars(16);
  return `${raw.match(/.{4}/g).join("-")}-${checkCharacter(raw)}`;
}

function queueStore(mode, work) {
  return new Promise((resolve, reject) => {
    const opening = indexedDB.open("cw-kiosk", 1);
    opening.onupgradeneeded = () => opening.result.createObjectStore("queue", { keyPath: "key" });
    opening.onerror = () => reject(opening.error);
    opening.onsuccess = () => {
      const transaction = opening.result.transaction("queue", mode);
      const request = work(transaction.objectStore("queue"));
      transaction.oncomplete = () => { opening.result.close(); resolve(request && request.result); };
      transaction.onerror = () => reject(transaction.error);
    };
  });
}

const queued = () => queueStore("readonly", (store) => store.getAll());
const keep = (item) => queueStore("readwrite", (store) => store.put(item));
const forget = (key) => queueStore("readwrite", (store) => store.delete(key));

function offlineKiosk(body) {
  if ("serviceWorker" in navigator && body.dataset.kioskSw) {
    navigator.serviceWorker.register(body.dataset.kioskSw, { scope: body.dataset.kioskScope })
      .catch(() => {});
  }
  let sending = false;
  const showPending = async () => {
    const pending = document.querySelector("[data-kiosk-pending]");
    if (!pending) return;
    const count = (await queued()).length;
    pending.hidden = count === 0;
    pending.querySelector("[data-kiosk-pending-count]").textContent = String(count);
  };
  const send = async () => {
    if (sending || !navigator.onLine) return;
    sending = true;
    try {
      for (const item of await queued()) {
        let response;
        try {
          response = await fetch(item.url, {
            method: "POST", credentials: "same-origin",
            headers: { "Content-Type": "application/json", "Idempotency-Key": item.key },
            body: JSON.stringify(item.fields),
          });
        } catch (error) {
          break;  // the network is down again: try later
        }
        // Kept until the centre has it: any refusal is retried later, never thrown away.
        if (response.ok) await forget(item.key);
      }
    } finally {
      sending = false;
      showPending();
    }
  };
  window.addEventListener("online", send);
  setInterval(send, 30 * 1000);
  send();

  const form = document.querySelector("form[data-kiosk-form]");
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    if (navigator.onLine) return;  // online: the form is posted as usual
    event.preventDefault();
    const data = new FormData(form);
    const pinError = document.querySelector("[data-kiosk-offline-pin]");
    const pin = String(data.get("pin") || "").trim();
    if (!/^[0-9]{4,8}$/.test(pin)) {
      pinError.hidden = false;
      form.querySelector("[name=pin]").focus();
      return;
    }
    if (!String(data.get("text") || "").trim()) {
      form.querySelector("[name=text]").focus();
      return;
    }
    const fields = {};
    for (const [name, value] of data.entries()) {
      if (name !== "csrfmiddlewaretoken" && typeof value === "string") fields[name] = value;
    }
    fields.code = drawCode();
    const key = Array.from(crypto.getRandomValues(new Uint8Array(16)),
      (b) => b.toString(16).padStart(2, "0")).join("");
    await keep({ key, url: form.dataset.kioskQueue, fields, stored: Date.now() });
    form.reset();
    form.hidden = true;
    pinError.hidden = true;
    const panel = document.querySelector("[data-kiosk-queued]");
    panel.querySelector("[data-kiosk-queued-code]").textContent = fields.code;
    panel.hidden = false;
    panel.focus();
    showPending();
  });
}
