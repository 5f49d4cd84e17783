// The page side of capture: the camera and gallery inputs, the list of photos on this phone,
// and when to drain the queue (now, on load, on "online", after a backoff, via Background Sync).

import * as store from "./store.js";
import { DEFAULT_MAX_SIDE, newId } from "./prepare.js";
import {
  CHANNEL, SYNC_TAG, acceptShared, addPhoto, discard, drain, pending, rejectShared, sendUnsaved,
  sharedFiles,
} from "./queue.js";
import { askAboutShared } from "./review.js";
import { postJson, sendWithXhr } from "./upload.js";
import { ShotList } from "./ui.js";

const channel = "BroadcastChannel" in self ? new BroadcastChannel(CHANNEL) : null;
let view = null;       // the list on screen, when the page has a capture section
let timer = null;
let running = null;
let again = null;      // null, or whether the queued rerun ignores backoff
let started = false;

/** Wire the page once, mount the capture section if there is one, and drain the queue. */
export async function start(root = document) {
  if (!started) {
    started = true;
    window.addEventListener("online", () => drainNow(true));
    document.addEventListener("click", onAttestClick);
    channel?.addEventListener("message", (e) => onRemote(e.data));
  }
  const section = root.querySelector?.("[data-capture]") || document.querySelector("[data-capture]");
  await rememberSession(section);
  if (section && !section.dataset.mounted) await mount(section);
  // The capture screen reports the inventory, and so does any page when the headteacher
  // has asked this device for a fresh one (R10 inspection).
  const asked = Boolean(document.querySelector('meta[name="inventory-requested"]'));
  return drainNow(true, Boolean(view?.connected) || asked);
}

function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content || "";
}

async function rememberSession(section) {
  const old = (await store.getMeta("session")) || {};
  const fresh = { csrf: csrfToken(), deviceId: section ? section.dataset.deviceId || "" : old.deviceId || "" };
  if (fresh.csrf !== old.csrf || fresh.deviceId !== old.deviceId) await store.setMeta("session", fresh);
}

async function mount(section) {
  if (!section.querySelector("[data-queue]")) return;  // this role doesn't take photos
  section.dataset.mounted = "true";
  const eventId = Number(section.dataset.eventId);
  const maxSide = Number(section.dataset.maxSide) || DEFAULT_MAX_SIDE;
  view = new ShotList(section, { onRemove: removeShot });
  // The share target files shared photos under the event the teacher opened last.
  await Promise.all([store.setMeta("lastEventId", eventId), store.setMeta("maxSide", maxSide)]);
  for (const input of section.querySelectorAll("input[type=file][data-source]")) {
    input.addEventListener("change", () => {
      const files = [...input.files];
      input.value = "";  // the same photo can be picked again later
      capture(files, { eventId, maxSide, source: input.dataset.source });
    });
  }
  await showPending();
  const shared = new URLSearchParams(location.search).get("share");
  if (shared === "full" || shared === "failed") {
    view.alert(shared === "full" ? SHARE_FULL : SHARE_FAILED);
  }
  reviewShared(section, { eventId, maxSide });  // waits for the teacher's answer
  navigator.storage?.persist?.().catch(() => {});  // ask the browser never to evict the queue
}

const SHARE_FULL = "This phone is full, so some shared photos couldn't be kept for upload. "
  + "Free some space, then share them again.";
const SHARE_FAILED = "Some shared photos couldn't be kept for upload. Share them again.";

async function showPending() {
  const { photos, confirmations } = await pending();
  for (const item of photos) view.add(item);
  for (const c of confirmations) {
    view.add({ id: c.id, source: c.source, state: "clean", confirming: true, photoId: c.photoId });
  }
}

/** Ask about photos shared into the app; queue them only when the teacher says yes. */
async function reviewShared(section, { eventId, maxSide }) {
  const items = await sharedFiles();
  if (items.length === 0) return;
  if (!(await askAboutShared(section, items))) {
    await Promise.all(items.map(rejectShared));
    return;
  }
  for (const item of items) {
    view.add({ id: item.id, source: "gallery", blob: item.file, state: "preparing" });
    try {
      const queued = await acceptShared(item, { eventId, maxSide });
      view.forget(item.id);
      view.add(queued);
      notify({ type: "state", id: queued.id, state: "saved" });
    } catch (error) {
      await keepUnsaved(item.id, error);
    }
  }
  drainNow(true);
}

async function capture(files, { eventId, maxSide, source }) {
  for (const file of files) {
    const id = newId();
    view.add({ id, source, blob: file, state: "preparing" });
    try {
      const item = await addPhoto(file, { eventId, maxSide, source, id });
      view.preview(id, item.reencoded ? item.blob : null);
      notify({ type: "state", id, state: "saved" });
      drainNow(true);  // start with the first photo while the next is prepared
    } catch (error) {
      await keepUnsaved(id, error);
    }
  }
}

/** The phone couldn't store the photo: say so plainly, then try to send it from memory. */
async function keepUnsaved(id, error) {
  const say = () => (store.isQuotaError(error) ? view.quotaFull(id) : view.show({
    id, state: "failed", error: `This phone couldn't keep the photo (${error.name}). Keep this `
      + "page open while it uploads, or take it again.",
  }));
  say();
  if (!error.item || !navigator.onLine) return;
  if (!(await sendUnsaved(error.item, { send: sendWithXhr, notify }))) say();
}

async function removeShot(id) {
  if (await discard(id)) view.forget(id);
  drainNow(false, true);  // sends the inventory without the removed photo
}

/** Drain now (``report``: send the inventory even if nothing changed); if a drain is
 * running, run once more after it. */
function drainNow(force, report = false) {
  if (running) {
    again = Boolean(again) || force;
    return running;
  }
  running = (async () => {
    let result = await drain({ send: sendWithXhr, notify, force, report });
    while (again !== null) {
      const rerunForce = again;
      again = null;
      result = await drain({ send: sendWithXhr, notify, force: rerunForce });
    }
    schedule(result.wakeAt);
    return result;
  })().catch((error) => {
    console.warn("Photo queue", error);
    schedule(Date.now() + 30_000);
  }).finally(() => { running = null; });
  return running;
}

function schedule(wakeAt) {
  clearTimeout(timer);
  if (wakeAt === null || wakeAt === undefined) return;
  timer = setTimeout(() => drainNow(false), Math.max(0, wakeAt - Date.now()));
}

/** With no signal, ask the worker to send the queue when it returns, even if the app is closed. */
async function requestBackgroundSync() {
  try {
    const registration = await navigator.serviceWorker?.ready;
    await registration?.sync?.register(SYNC_TAG);
  } catch {
    // Background Sync is missing (Firefox, Safari) or refused: "online" and reloads cover it.
  }
}

function notify(event) {
  if (view?.connected) apply(event);
  channel?.postMessage(event);
  reactTo(event);
}

function apply(event) {
  if (event.type === "renamed") view.rename(event.id, event.to);
  else view.show(event);
}

function reactTo(event) {
  if (event.state === "waiting" && event.offline) requestBackgroundSync();
  if (event.state === "clean" || event.state === "removed") {
    document.body.dispatchEvent(new CustomEvent("photos-changed", { bubbles: true }));
  }
}

/** Changes made by the worker or another tab. */
async function onRemote(event) {
  if (!view?.connected) return;
  if (view.has(event.id)) apply(event);
  else await showPending();
  reactTo({ ...event, state: event.state === "waiting" ? null : event.state });
}

async function onAttestClick(e) {
  const button = e.target.closest?.("[data-attest-url]");
  if (!button) return;
  button.disabled = true;
  const { status, body } = await postJson(button.dataset.attestUrl, {}, csrfToken());
  if (status === 200) {
    view?.attested(button.dataset.photoId);
    document.body.dispatchEvent(new CustomEvent("photos-changed", { bubbles: true }));
    return;
  }
  button.disabled = false;
  const message = status === 0 ? "No signal: tap again when you have signal."
    : body.error || "That didn't work; try again.";
  if (view?.connected) view.alert(message);
}
