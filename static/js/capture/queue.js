// The phone's upload queue: a photo is saved in IndexedDB before anything else, goes up
// when there is signal, and is deleted only once the server has a clean copy. The deletion
// is read back, then reported; a report that can't be sent yet waits in "confirmations".
// Runs in the page and in the service worker (share target, Background Sync); a Web Lock
// keeps the two from draining at once.
//
// Record: {id, eventId, blob, sha256, source, state, createdAt, attempts, nextAttemptAt,
//          error, receipt, width, height, reencoded}
// States kept in IndexedDB: saved, waiting (retry after a failure), failed (the server
// refused it; the teacher decides), signin (the session ended; retried after signing in).

import * as store from "./store.js";
import { newId, preparePhoto } from "./prepare.js";
import { freshToken, postJson } from "./upload.js";

export const SYNC_TAG = "upload-photos";
export const CHANNEL = "trip-companion-photos";
export const LOCK = "trip-companion-photo-queue";
export const SIGN_IN = "Sign in again — your photos are safe on this phone.";
const BASE_DELAY_MS = 1000;
const MAX_DELAY_MS = 60_000;
const OFFLINE_POLL_MS = 30_000;

/** Exponential backoff with jitter: half the ceiling fixed, half random, ceiling 60 s. */
export function backoff(attempts, random = Math.random) {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.max(0, attempts - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Prepare a picked or shared file and save it in the queue; return the stored record. */
export async function addPhoto(file, { eventId, source, maxSide, id = newId() }) {
  const prepared = await preparePhoto(file, maxSide);
  const item = {
    id, eventId: Number(eventId), source, state: "saved", createdAt: Date.now(),
    attempts: 0, nextAttemptAt: 0, error: null, receipt: null, ...prepared,
  };
  try {
    await store.put(store.PHOTOS, item);
  } catch (error) {
    error.item = item;  // e.g. QuotaExceededError: the caller can still send it from memory
    throw error;
  }
  return item;
}

/** Set a shared file aside until the teacher confirms it (see the worker's share target). */
export function keepShared(file) {
  return store.put(store.SHARED, { id: newId(), file, name: file.name || "", createdAt: Date.now() });
}

/** Files shared into the app and not yet confirmed, oldest first. */
export async function sharedFiles() {
  return (await store.getAll(store.SHARED)).sort((a, b) => a.createdAt - b.createdAt);
}

/** The teacher said yes: queue each shared file as a gallery photo, then forget it. */
export async function acceptShared(item, { eventId, maxSide }) {
  const queued = await addPhoto(item.file, { eventId, source: "gallery", maxSide });
  await store.remove(store.SHARED, item.id);
  return queued;
}

/** The teacher said no: drop the shared file from the phone. */
export function rejectShared(item) {
  return store.remove(store.SHARED, item.id);
}

/** Everything still on the phone: queued photos and unsent deletion reports, oldest first. */
export async function pending() {
  const byAge = (a, b) => a.createdAt - b.createdAt;
  const [photos, confirmations] = await Promise.all(
    [store.getAll(store.PHOTOS), store.getAll(store.CONFIRMATIONS)]);
  return { photos: photos.sort(byAge), confirmations: confirmations.sort(byAge) };
}

/** Delete a photo the teacher chose to give up on; resolve true once it is verifiably gone. */
export async function discard(id) {
  await store.remove(store.PHOTOS, id);
  return (await store.get(store.PHOTOS, id)) === undefined;
}

function withLock(work) {
  if (globalThis.navigator?.locks) return navigator.locks.request(LOCK, work);
  return work();
}

async function session() {
  return (await store.getMeta("session")) || { csrf: "", deviceId: "" };
}

/**
 * Send what is due. ``send(item, csrf, onProgress)`` uploads one photo; ``notify(event)``
 * hears every change. ``force`` ignores backoff (page load, ``online``, sync). The
 * inventory goes to the server after any change, and always when ``report`` is set.
 * Resolves to {wakeAt, signin}: when to run again (null: nothing left to retry).
 */
export function drain({ send, notify, force = false, report = false }) {
  return withLock(async () => {
    const run = { send, notify: (e) => { run.changed = true; notify(e); }, auth: await session(),
      stop: null, wakeAt: null, offline: false, changed: false };
    const { photos, confirmations } = await pending();
    for (const confirmation of confirmations) {
      if (run.stop) break;
      if (force || confirmation.nextAttemptAt <= Date.now()) await confirmDeletion(run, confirmation);
      else wakeAt(run, confirmation.nextAttemptAt);
    }
    for (const item of photos) {
      if (run.stop === "signin") break;
      if (!isRetryable(item, force)) continue;
      if (run.stop) {
        // No signal (or the server is down) for one means the same for the rest: say so.
        run.notify({ type: "state", id: item.id, state: "waiting", offline: run.offline });
      } else if (item.nextAttemptAt > Date.now() && !force) {
        wakeAt(run, item.nextAttemptAt);
      } else {
        await uploadOne(run, item);
      }
    }
    if ((run.changed || report) && (!run.stop || run.stop === "retry")) await sendInventory(run);
    return { wakeAt: run.wakeAt, signin: run.stop === "signin" };
  });
}

function isRetryable(item, force) {
  return item.state !== "failed" && (item.state !== "signin" || force);
}

function wakeAt(run, when) {
  run.wakeAt = run.wakeAt === null ? when : Math.min(run.wakeAt, when);
}

async function uploadOne(run, item) {
  run.notify({ type: "state", id: item.id, state: "uploading", progress: 0 });
  let answer = await run.send(item, run.auth.csrf, (fraction) => run.notify(
    { type: "state", id: item.id, state: "uploading", progress: fraction }));
  if (answer.status === 400 && await refreshToken(run)) {
    answer = await run.send(item, run.auth.csrf, () => {});  // the page's token had expired
  }
  const { status, body } = answer;
  if (status === 201 && body.received_sha256 === item.sha256) return finish(run, item, body);
  if (status === 201) return refuse(run, item, "The server got different bytes; try again.");
  if (status === 409) return renumber(run, item);
  if (status === 401 || status === 403) {
    run.stop = "signin";
    return keep(run, item, "signin", status === 401 ? SIGN_IN : (body.error || SIGN_IN));
  }
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
    return refuse(run, item, body.error || `The server refused this photo (${status}).`);
  }
  return retryLater(run, item, status);
}

async function refreshToken(run) {
  const token = await freshToken();
  if (!token || token === run.auth.csrf) return false;
  run.auth = { ...run.auth, csrf: token };
  await store.setMeta("session", run.auth);
  return true;
}

async function keep(run, item, state, error, extra = {}) {
  Object.assign(item, { state, error });
  await store.put(store.PHOTOS, item);
  run.notify({ type: "state", id: item.id, state, error, ...extra });
}

function refuse(run, item, error) {
  return keep(run, item, "failed", error);  // kept until the teacher removes it: never dropped
}

async function retryLater(run, item, status) {
  item.attempts += 1;
  item.nextAttemptAt = Date.now() + backoff(item.attempts);
  const offline = status === 0 && globalThis.navigator?.onLine === false;
  run.offline = offline;
  const error = status === 0 ? null : `The server had a problem (${status}).`;
  await keep(run, item, "waiting", error, { offline, nextAttemptAt: item.nextAttemptAt });
  wakeAt(run, offline ? Date.now() + OFFLINE_POLL_MS : item.nextAttemptAt);
  run.stop = status === 0 ? "offline" : "retry";  // the next photo would fail the same way
}

/** The key was used before for other bytes (practically never): keep the photo, new id. */
async function renumber(run, item) {
  const fresh = { ...item, id: newId(), state: "saved", attempts: 0, nextAttemptAt: 0 };
  await store.move(store.PHOTOS, item.id, store.PHOTOS, fresh);
  run.notify({ type: "renamed", id: item.id, to: fresh.id });
  return uploadOne(run, fresh);
}

async function finish(run, item, receipt) {
  const confirmation = {
    id: item.id, photoId: receipt.photo_id, sha256: receipt.received_sha256, eventId: item.eventId,
    source: item.source, createdAt: item.createdAt, attempts: 0, nextAttemptAt: 0,
  };
  // One transaction: the photo leaves the queue and its deletion report is due, together.
  await store.move(store.PHOTOS, item.id, store.CONFIRMATIONS, confirmation);
  if ((await store.get(store.PHOTOS, item.id)) !== undefined) {
    return refuse(run, item, "This phone couldn't delete its copy; remove it by hand.");
  }
  run.notify({ type: "state", id: item.id, state: "clean", receipt, source: item.source });
  return confirmDeletion(run, confirmation);
}

async function confirmDeletion(run, confirmation) {
  const url = `/api/photos/${confirmation.photoId}/device-deleted`;
  const { status, body } = await postJson(
    url, { device_id: run.auth.deviceId, sha256: confirmation.sha256 }, run.auth.csrf);
  if (status === 200) {
    await store.remove(store.CONFIRMATIONS, confirmation.id);
    run.notify({ type: "state", id: confirmation.id, state: "removed", photoId: confirmation.photoId,
      source: confirmation.source });
  } else if (status === 401 || status === 403) {
    run.stop = "signin";
    run.notify({ type: "state", id: confirmation.id, state: "clean", error: body.error || SIGN_IN });
  } else if (status === 0 || status >= 500 || status === 429) {
    confirmation.attempts += 1;
    confirmation.nextAttemptAt = Date.now() + backoff(confirmation.attempts);
    await store.put(store.CONFIRMATIONS, confirmation);
    run.notify({ type: "state", id: confirmation.id, state: "clean", confirming: true });
    wakeAt(run, confirmation.nextAttemptAt);
  } else {
    // The server will never accept this report (e.g. the photo was removed there): the
    // phone's copy is gone either way, so stop retrying and say so.
    await store.remove(store.CONFIRMATIONS, confirmation.id);
    run.notify({ type: "state", id: confirmation.id, state: "removed", photoId: confirmation.photoId,
      source: confirmation.source, error: body.error || null });
  }
}

async function sendInventory(run) {
  const photos = await store.getAll(store.PHOTOS);
  const items = photos.map(({ id, sha256, state }) => ({ id, sha256, state }));
  await postJson("/api/devices/inventory", { items }, run.auth.csrf);
}

/** Upload, straight from memory, a photo the full phone couldn't save; true when it arrived. */
export async function sendUnsaved(item, { send, notify }) {
  const auth = await session();
  const { status, body } = await send(item, auth.csrf, (fraction) => notify(
    { type: "state", id: item.id, state: "uploading", progress: fraction }));
  if (status !== 201) return false;
  notify({ type: "state", id: item.id, state: "clean", receipt: body, error: null });
  // Nothing of it was ever stored on the phone by the app, so the report is true at once.
  const report = await postJson(`/api/photos/${body.photo_id}/device-deleted`,
    { device_id: auth.deviceId, sha256: body.received_sha256 }, auth.csrf);
  if (report.status === 200) {
    notify({ type: "state", id: item.id, state: "removed", photoId: body.photo_id, source: item.source });
  }
  return true;
}
