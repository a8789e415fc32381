// Live view: the viewer's page fetches the latest frame of the room a few times a second
// and shows it; the facility's clock ticks. No inline scripts (Content-Security-Policy).
document.addEventListener("click", (event) => {
  const target = event.target;
  if (target instanceof HTMLElement && target.closest("[data-print]")) {
    window.print();
  }
});

(() => {
  const root = document.querySelector("[data-live-frame]");
  if (!root) return;
  const frameUrl = root.dataset.liveFrame;
  const reloadUrl = root.dataset.liveReload;
  const picture = document.getElementById("live-picture");
  const waiting = root.querySelector("[data-live-waiting]");
  const clock = root.querySelector("[data-live-clock]");
  const frameTime = root.querySelector("[data-live-frame-time]");
  const format = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
    timeZone: root.dataset.liveZone, hour: "2-digit", minute: "2-digit", second: "2-digit",
    hourCycle: "h23",
  });
  const tick = () => { clock.textContent = format.format(new Date()); };
  tick();
  setInterval(tick, 1000);

  const PERIOD_MS = 300;
  let shown = null;
  let etag = "";
  const next = () => setTimeout(fetchFrame, PERIOD_MS);
  async function fetchFrame() {
    let response;
    try {
      response = await fetch(frameUrl, {
        cache: "no-store", credentials: "same-origin",
        headers: etag ? { "If-None-Match": etag } : {},
      });
    } catch (error) {
      next();  // the network blinked: try again
      return;
    }
    if (response.status === 403 || response.status === 410) {
      // Ended, revoked or left: the page itself says why.
      location.replace(reloadUrl);
      return;
    }
    if (response.status === 200) {
      etag = response.headers.get("ETag") || "";
      const blob = await response.blob();
      const url = URL.createObjectURL(blob);
      picture.src = url;
      if (shown) URL.revokeObjectURL(shown);
      shown = url;
      picture.hidden = false;
      waiting.hidden = true;
      const at = response.headers.get("X-Frame-Time");
      if (at) frameTime.textContent = format.format(new Date(at));
    } else if (response.status === 204) {
      picture.hidden = true;
      waiting.hidden = false;
    }
    next();
  }
  fetchFrame();
})();
