// Talking to the server. Every call resolves to {status, body}; status 0 means the network
// failed (no signal, reset, stalled). Pages upload with XHR for its upload progress; the
// worker has no XHR and uses fetch.

export const UPLOAD_URL = "/api/photos";
const STALL_MS = 45_000;  // no progress for this long on a weak signal: give up and retry later

/** The multipart form the server's /api/photos expects. */
export function photoForm(item) {
  const form = new FormData();
  form.append("photo", item.blob, `${item.id}.jpg`);
  form.append("event_id", String(item.eventId));
  form.append("source", item.source);
  return form;
}

function photoHeaders(item, csrf) {
  return { "Idempotency-Key": item.id, "X-CSRFToken": csrf || "" };
}

function parse(text) {
  try { return JSON.parse(text); } catch { return {}; }
}

/** Upload with XMLHttpRequest, reporting progress as a fraction 0..1. */
export function sendWithXhr(item, csrf, onProgress = () => {}) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    let stall;
    const watch = () => { clearTimeout(stall); stall = setTimeout(() => xhr.abort(), STALL_MS); };
    const done = (status) => { clearTimeout(stall); resolve({ status, body: parse(xhr.responseText) }); };
    xhr.open("POST", UPLOAD_URL);
    for (const [name, value] of Object.entries(photoHeaders(item, csrf))) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => { watch(); if (e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.onprogress = watch;
    xhr.onload = () => done(xhr.status);
    xhr.onerror = () => done(0);
    xhr.onabort = () => done(0);
    xhr.ontimeout = () => done(0);
    watch();
    xhr.send(photoForm(item));
  });
}

/** Upload with fetch (service worker): no progress, same answers. */
export async function sendWithFetch(item, csrf) {
  const controller = new AbortController();
  const stall = setTimeout(() => controller.abort(), STALL_MS * 2);
  try {
    const response = await fetch(UPLOAD_URL, {
      method: "POST", body: photoForm(item), headers: photoHeaders(item, csrf),
      credentials: "same-origin", signal: controller.signal,
    });
    return { status: response.status, body: parse(await response.text()) };
  } catch {
    return { status: 0, body: {} };
  } finally {
    clearTimeout(stall);
  }
}

/** POST a JSON body with the CSRF header. */
export async function postJson(url, data, csrf) {
  try {
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin", body: JSON.stringify(data),
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf || "" },
    });
    return { status: response.status, body: parse(await response.text()) };
  } catch {
    return { status: 0, body: {} };
  }
}

/** A fresh CSRF token from a tiny page, or null when signed out or offline. */
export async function freshToken() {
  try {
    const response = await fetch("/offline", { credentials: "same-origin", cache: "no-store" });
    const match = /name="csrf-token" content="([^"]+)"/.exec(await response.text());
    return match ? match[1] : null;
  } catch {
    return null;
  }
}
