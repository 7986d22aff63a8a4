// The installer's day offline: this service worker, served from /telecare/installer-sw.js so its scope
// is /telecare/, keeps the last copy of the installer's day page (/telecare/today) and the static files
// it uses, so the day opens with no signal.
//
// - The day page: network first; each time it loads online the copy is replaced. With no network
//   (or a server error) the copy is shown. A load that ends anywhere else (signed out, so redirected
//   to sign in; not an installer) deletes the copy: it belonged to a session that is over.
//   One copy only, of whoever last opened their day online; signing out deletes it (static/js/app.mjs
//   deletes it on signing out and on any page seen signed out).
// - Static files: fingerprinted names never change, so cache first; others network first.
// - Nothing else is cached: no other page, no post, no htmx fragment. Steps tapped offline are kept
//   by the page itself (IndexedDB, static/js/telecare.mjs), not here.
// - The day page never holds a key safe code (the server takes codes out of the card's free text).
const DAY_CACHE = "installer-day";
const ASSET_CACHE = "installer-assets-v1";
const DAY = new URL("today", self.registration.scope).pathname;
const FINGERPRINTED = /\.[0-9a-f]{12}\.[a-z0-9]+$/;
const MODULE_IMPORT = /\bfrom\s*["'](\.{1,2}\/[^"']+)["']/g;

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("installer-assets-") && name !== ASSET_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === DAY && !url.search && !request.headers.get("HX-Request")) {
    event.respondWith(day(request, event));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(asset(request, url));
  }
});

async function day(request, event) {
  let response;
  try {
    response = await fetch(request);
  } catch (error) {
    return (await saved()) || Response.error();
  }
  if (response.status >= 500) return (await saved()) || response;
  const finalPath = new URL(response.url || request.url).pathname;
  if (response.status === 200 && !response.redirected && finalPath === DAY) {
    const copy = response.clone();
    const cache = await caches.open(DAY_CACHE);
    await cache.put(DAY, copy.clone());
    event.waitUntil(copy.text().then(keepAssets));
  } else {
    await caches.delete(DAY_CACHE);
  }
  return response;
}

async function saved() {
  const cache = await caches.open(DAY_CACHE);
  return cache.match(DAY, { ignoreVary: true, ignoreSearch: true });
}

async function asset(request, url) {
  const cache = await caches.open(ASSET_CACHE);
  if (FINGERPRINTED.test(url.pathname)) {
    const hit = await cache.match(request, { ignoreVary: true });
    if (hit) return hit;
  }
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    return (await cache.match(request, { ignoreVary: true })) || Response.error();
  }
}

// The files the day page names (styles, scripts, icons) and the modules they import, fetched now so
// the page opens whole offline even when this worker was installed after they were first loaded.
async function keepAssets(html) {
  const cache = await caches.open(ASSET_CACHE);
  const wanted = new Set();
  for (const match of html.matchAll(/(?:src|href)="(\/static\/[^"]+)"/g)) wanted.add(match[1]);
  const seen = new Set();
  const keep = async (path) => {
    if (seen.has(path)) return;
    seen.add(path);
    let response = await cache.match(path, { ignoreVary: true });
    if (!response) {
      try {
        response = await fetch(path, { credentials: "same-origin" });
      } catch (error) {
        return;
      }
      if (!response.ok) return;
      await cache.put(path, response.clone());
    }
    if (path.endsWith(".mjs") || path.endsWith(".js")) {
      const text = await response.text();
      for (const match of text.matchAll(MODULE_IMPORT)) await keep(new URL(match[1], self.location.origin + path).pathname);
    }
  };
  await Promise.all([...wanted].map(keep));
}
