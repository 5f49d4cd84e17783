// Trip Companion service worker (a module worker): the app shell opens with no network at
// all, photos shared into the app join the phone's upload queue, and the queue drains on
// Background Sync even when the app is closed.
// Pages: network first, then the last copy seen, then the offline page. Pages reached via
// hx-boost are kept too (they are whole pages), so a trip screen opened by a tap reopens
// offline. Static files with a content hash (?v=): cache first. Other static files (the
// capture modules, imported by relative URL): network first, then the cache.
// htmx fragments and API calls are never cached.

import { getMeta, isQuotaError } from "/static/js/capture/store.js";
import { CHANNEL, SYNC_TAG, drain, keepShared } from "/static/js/capture/queue.js";
import { sendWithFetch } from "/static/js/capture/upload.js";

const VERSION = "__VERSION__";
const SHELL_CACHE = `shell-${VERSION}`;
const PAGE_CACHE = "pages-v1";
const SHELL = __SHELL__;
const STATIC_TIMEOUT_MS = 4000;

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
  if (isShareTarget(request)) {
    event.respondWith(receiveShare(request));
  } else if (isBoostedPage(request)) {
    event.respondWith(networkFirstPage(request));
  } else if (!isCacheable(request)) {
    return;
  } else if (request.mode === "navigate") {
    event.respondWith(networkFirstPage(request));
  } else if (isStatic(request)) {
    event.respondWith(isVersioned(request) ? cacheFirst(request) : networkFirstStatic(request));
  }
});

self.addEventListener("sync", (event) => {
  if (event.tag === SYNC_TAG) event.waitUntil(drainQueue());
});

// The home screen names the trip screens a teacher may need later with no signal.
self.addEventListener("message", (event) => {
  if (event.data?.type === "cache-pages" && Array.isArray(event.data.urls)) {
    event.waitUntil(cachePages(event.data.urls));
  }
});

// --- predicates -------------------------------------------------------------------------

function sameOrigin(request) {
  return new URL(request.url).origin === self.location.origin;
}

function isCacheable(request) {
  const url = new URL(request.url);
  return request.method === "GET"
    && url.origin === self.location.origin
    && !url.pathname.startsWith("/api/")
    && !request.headers.has("HX-Request");
}

function isBoostedPage(request) {
  return request.method === "GET" && sameOrigin(request)
    && request.headers.get("HX-Boosted") === "true"
    && !request.headers.has("HX-History-Restore-Request");
}

function isShareTarget(request) {
  return request.method === "POST" && sameOrigin(request)
    && new URL(request.url).pathname === "/share-target";
}

/**
 * A share from the phone's share sheet carries no Origin (or "null"); a form on another
 * website posting photos at us carries that site's origin, and is refused.
 */
function isTrustedShare(request) {
  const origin = request.headers.get("Origin");
  return !origin || origin === "null" || origin === self.location.origin;
}

function isStatic(request) {
  return new URL(request.url).pathname.startsWith("/static/");
}

function isVersioned(request) {
  return new URL(request.url).searchParams.has("v");
}

// --- strategies ---------------------------------------------------------------------------

async function networkFirstPage(request) {
  const cache = await caches.open(PAGE_CACHE);
  const key = pageKey(request);
  try {
    const response = await fetch(request);
    if (response.ok && !response.redirected) await cache.put(key, response.clone());
    return response;
  } catch (error) {
    return (await cache.match(key, { ignoreSearch: true, ignoreVary: true }))
      || (await caches.match("/offline"))
      || Response.error();
  }
}

/** Pages are kept by URL alone, whether reached by navigation or through hx-boost. */
function pageKey(request) {
  const url = new URL(request.url);
  url.hash = "";
  return url.href;
}

async function cacheFirst(request) {
  const cached = await caches.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) (await caches.open(SHELL_CACHE)).put(request, response.clone());
  return response;
}

async function networkFirstStatic(request) {
  const cache = await caches.open(SHELL_CACHE);
  try {
    const response = await withTimeout(fetch(request), STATIC_TIMEOUT_MS);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    return (await cache.match(request)) || Response.error();
  }
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timed out")), ms);
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

/** Keep a copy of each same-origin page not kept yet, and the static files it links to. */
async function cachePages(urls) {
  const pages = await caches.open(PAGE_CACHE);
  for (const href of urls.slice(0, 10)) {
    const url = new URL(href, self.location.origin);
    if (url.origin !== self.location.origin || url.pathname.startsWith("/api/")) continue;
    const key = pageKey(new Request(url));
    if (await pages.match(key, { ignoreVary: true })) continue;
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      if (!response.ok || response.redirected) continue;
      await cacheLinkedStatic(await response.clone().text());  // first: a kept page is whole
      await pages.put(key, response);
    } catch {
      // No signal right now: the page is kept the next time it is opened.
    }
  }
}

async function cacheLinkedStatic(html) {
  const shell = await caches.open(SHELL_CACHE);
  for (const [, path] of html.matchAll(/(?:href|src)="(\/static\/[^"]+\?v=[^"]+)"/g)) {
    const url = path.replaceAll("&amp;", "&");
    if (!(await shell.match(url))) await shell.add(url).catch(() => {});
  }
}

// --- share target and background sync -----------------------------------------------------

/**
 * Keep shared photos aside, then show the event opened last (303), where the teacher sees
 * them and says whether to upload them. Nothing shared is uploaded without that yes: a page
 * on another website can post to the share target too (from a sandboxed frame, with Origin
 * "null"), and must not be able to put photos on the school's server.
 */
async function receiveShare(request) {
  const form = await request.formData();
  const files = form.getAll("photos").filter((file) => typeof file !== "string");
  const eventId = await getMeta("lastEventId");
  if (!eventId || files.length === 0 || !isTrustedShare(request)) {
    return Response.redirect("/share-target", 303);  // the server's page explains what to do
  }
  let problem = "";
  for (const file of files) {
    try {
      await keepShared(file);
    } catch (error) {
      problem = isQuotaError(error) ? "full" : problem || "failed";  // the page says so
    }
  }
  return Response.redirect(`/events/${eventId}?share=${problem || "review"}#capture`, 303);
}

async function drainQueue() {
  const channel = new BroadcastChannel(CHANNEL);
  try {
    const result = await drain({
      send: sendWithFetch, notify: (e) => channel.postMessage(e), force: true, report: true,
    });
    // Rejecting asks the browser to fire "sync" again later, with its own backoff.
    if (result.wakeAt !== null && !result.signin) throw new Error("Photos are still waiting to upload.");
  } finally {
    channel.close();
  }
}

