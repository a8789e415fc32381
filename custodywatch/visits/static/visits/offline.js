// The offline recorder: findings go to localStorage first, then to the server.
// Nothing leaves the device's store until the server has answered for it, so a lost
// network, a closed tab or a refused sync loses nothing. Each finding carries the uuid made
// here and the server revision it was edited from; the server uses both to tell a retry from
// an edit and an edit from a conflict.
(() => {
  "use strict";
  const configElement = document.getElementById("offline-config");
  if (!configElement) return;
  const config = JSON.parse(configElement.textContent);
  const storeKey = `custodywatch.visit.${config.visit}.findings`;
  const form = document.getElementById("offline-finding");
  const list = document.getElementById("offline-list");
  const status = document.getElementById("sync-status");
  const networkState = document.getElementById("network-state");
  const csrfToken = (document.body.getAttribute("hx-headers") || "").match(/"X-CSRFToken": "([^"]+)"/);
  let syncing = false;

  function load() {
    try {
      return JSON.parse(localStorage.getItem(storeKey) || "null");
    } catch (error) {
      return null;
    }
  }

  function save(findings) {
    try {
      localStorage.setItem(storeKey, JSON.stringify(findings));
      return true;
    } catch (error) {
      say(config.messages.full);
      return false;
    }
  }

  // First visit to the page on this device: start from the server's findings.
  let findings = load();
  if (findings === null) {
    findings = config.findings.map((f) => ({ ...f, base_revision: f.revision, state: "synced", photos: [] }));
    save(findings);
  }

  function say(text) {
    status.textContent = text;
  }

  function newUuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  function pending() {
    return findings.filter((f) => f.state === "pending");
  }

  function render() {
    list.replaceChildren();
    if (!findings.length) {
      const empty = document.createElement("li");
      empty.className = "muted";
      empty.textContent = list.dataset.empty;
      list.append(empty);
    }
    const categoryLabels = Object.fromEntries(
      Array.from(form.elements.category.options, (o) => [o.value, o.textContent]));
    for (const finding of findings) {
      const item = document.createElement("li");
      item.className = `finding state-${finding.state}`;
      item.dataset.testid = "device-finding";
      const head = document.createElement("p");
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = categoryLabels[finding.category] || finding.category;
      const state = document.createElement("span");
      state.className = "muted small";
      state.textContent = ` · ${list.dataset[finding.state] || finding.state}`;
      head.append(badge, state);
      const text = document.createElement("p");
      text.textContent = finding.text;
      const edit = document.createElement("button");
      edit.type = "button";
      edit.className = "linklike";
      edit.textContent = config.messages.edit;
      edit.addEventListener("click", () => startEdit(finding.uuid));
      item.append(head, text, edit);
      list.append(item);
    }
    const waiting = pending().length;
    networkState.textContent = navigator.onLine ? networkState.dataset.online : networkState.dataset.offline;
    networkState.className = navigator.onLine ? "badge badge-ok" : "badge badge-alert";
    if (waiting) say(config.messages.pending.replace("%(n)s", waiting));
  }

  function startEdit(uuid) {
    const finding = findings.find((f) => f.uuid === uuid);
    if (!finding) return;
    form.elements.uuid.value = finding.uuid;
    form.elements.category.value = finding.category;
    form.elements.severity.value = finding.severity;
    form.elements.room.value = finding.room_code || "";
    form.elements.text.value = finding.text;
    form.elements.text.focus();
  }

  function readPhoto(file) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result);
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(file);
    });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = form.elements.text.value.trim();
    if (!text) {
      form.elements.text.setAttribute("aria-invalid", "true");
      form.elements.text.focus();
      return;
    }
    form.elements.text.removeAttribute("aria-invalid");
    const photoFile = form.elements.photo && form.elements.photo.files[0];
    const photos = photoFile ? [{ data: await readPhoto(photoFile), caption: "" }] : [];
    const editing = findings.find((f) => f.uuid === form.elements.uuid.value);
    const values = {
      category: form.elements.category.value,
      severity: form.elements.severity.value,
      room_code: form.elements.room.value,
      text,
    };
    if (editing) {
      Object.assign(editing, values, { state: "pending", photos: editing.photos.concat(photos) });
    } else {
      findings.push({ uuid: newUuid(), base_revision: 0, recorded_at: new Date().toISOString(),
                      ...values, photos, state: "pending" });
    }
    if (!save(findings)) return;
    form.reset();
    form.elements.uuid.value = "";
    say(config.messages.saved);
    render();
    if (navigator.onLine) sync();
  });

  async function sync() {
    const batch = pending();
    if (syncing || !batch.length) {
      if (!batch.length) say(config.messages.synced);
      return;
    }
    syncing = true;
    try {
      const response = await fetch(config.syncUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken ? csrfToken[1] : "" },
        body: JSON.stringify({ findings: batch.map(({ state, revision, ...rest }) => rest) }),
      });
      if (!response.ok) {
        const body = await response.json().catch(() => ({}));
        say(`${config.messages.failed} ${JSON.stringify(body.detail || response.status)}`);
        return;
      }
      const answer = await response.json();
      let conflicts = 0;
      for (const result of answer.results) {
        const finding = findings.find((f) => f.uuid === result.uuid);
        if (!finding) continue;
        finding.state = result.outcome === "conflict" ? "conflict" : "synced";
        finding.revision = result.revision;
        finding.base_revision = result.revision;
        finding.photos = [];  // on the server now; the device's storage is small
        conflicts += result.outcome === "conflict";
      }
      save(findings);
      say(conflicts ? config.messages.conflict : config.messages.synced);
    } catch (error) {
      // Network down: everything stays on the device; the `online` event tries again.
      render();
    } finally {
      syncing = false;
      render();
    }
  }

  document.getElementById("sync-now").addEventListener("click", sync);
  window.addEventListener("online", () => { render(); sync(); });
  window.addEventListener("offline", render);
  render();
  if (navigator.onLine) sync();
})();
