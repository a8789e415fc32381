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
  // Escape is the quick exit from the keyboard.
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") wipe();
  });
})();
