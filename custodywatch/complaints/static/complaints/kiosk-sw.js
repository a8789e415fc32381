// The kiosk's service worker (issue 23): the kiosk's pages and their static files load from
// the network when it is there (and are kept), from what was kept when it is not, so that an
// enrolled terminal still shows its form with the network down. Only GET answers are kept:
// never a receipt, a status page or anything a person typed (those are POST answers).
// Complaints typed offline wait in IndexedDB (complaints.js), not here.
const CACHE = "cw-kiosk-v1";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const kioskPage = url.pathname.includes("/complaints/kiosk/") &&
    !url.pathname.endsWith("/status/") && !url.pathname.endsWith("/sw.js");
  const asset = url.pathname.startsWith("/static/");
  if (!kioskPage && !asset) return;
  event.respondWith(
    fetch(request).then((response) => {
      if (response.ok && response.type === "basic") {
        const copy = response.clone();
        caches.open(CACHE).then((cache) => cache.put(request, copy));
      }
      return response;
    }).catch(() => caches.match(request).then((kept) => kept || Response.error())),
  );
});
