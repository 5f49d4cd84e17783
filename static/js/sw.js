// Trip Companion service worker: the app shell opens with no network at all.
// Pages: network first, then the last copy seen, then the offline page.
// Shell assets: cache first (their URLs carry a content hash).
// htmx fragments and API calls are never cached.

const VERSION = "__VERSION__";
const SHELL_CACHE = `shell-${VERSION}`;
const PAGE_CACHE = "pages-v1";
const SHELL = __SHELL__;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL)));
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const keep = new Set([SHELL_CACHE, PAGE_CACHE]);
    for (const key of await caches.keys()) {
      if (!keep.has(key)) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (!isCacheable(request)) return;
  if (request.mode === "navigate") {
    event.respondWith(networkFirstPage(request));
  } else if (new URL(request.url).pathname.startsWith("/static/")) {
    event.respondWith(cacheFirst(request));
  }
});

function isCacheable(request) {
  const url = new URL(request.url);
  return request.method === "GET"
    && url.origin === self.location.origin
    && !url.pathname.startsWith("/api/")
    && !request.headers.has("HX-Request");
}

async function networkFirstPage(request) {
  const cache = await caches.open(PAGE_CACHE);
  try {
    const response = await fetch(request);
    if (response.ok && !response.redirected) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    return (await cache.match(request, { ignoreSearch: true }))
      || (await caches.match("/offline"))
      || Response.error();
  }
}

async function cacheFirst(request) {
  const cached = await caches.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) (await caches.open(SHELL_CACHE)).put(request, response.clone());
  return response;
}
