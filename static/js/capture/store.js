// IndexedDB in one small module (idb-keyval style), shared by the page and the worker.
// Stores: "photos" (the upload queue, keyed by the photo's client id), "confirmations"
// (deletions the server hasn't recorded yet), "shared" (files shared into the app, waiting
// for the teacher to say yes) and "meta" (a few values the worker needs).

const DB_NAME = "trip-companion";
const DB_VERSION = 2;
export const PHOTOS = "photos";
export const CONFIRMATIONS = "confirmations";
export const SHARED = "shared";
export const META = "meta";

let opening = null;

/** Open the database once per context, creating the stores on first use. */
export function openDatabase() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains(PHOTOS)) db.createObjectStore(PHOTOS, { keyPath: "id" });
        if (!db.objectStoreNames.contains(CONFIRMATIONS)) {
          db.createObjectStore(CONFIRMATIONS, { keyPath: "id" });
        }
        if (!db.objectStoreNames.contains(META)) db.createObjectStore(META);
        if (!db.objectStoreNames.contains(SHARED)) db.createObjectStore(SHARED, { keyPath: "id" });
      };
      request.onsuccess = () => {
        const db = request.result;
        // Another tab or a newer worker wants to upgrade: let it, reopen on next use.
        db.onversionchange = () => { db.close(); opening = null; };
        db.onclose = () => { opening = null; };
        resolve(db);
      };
      request.onerror = () => { opening = null; reject(request.error); };
    });
  }
  return opening;
}

/** Run ``work(tx)`` in one transaction; resolve when it commits, with the request's result. */
async function transact(names, mode, work) {
  const db = await openDatabase();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(names, mode);
    const out = work(tx);
    tx.oncomplete = () => resolve(out instanceof IDBRequest ? out.result : out);
    // A full disk surfaces here as tx.error.name === "QuotaExceededError".
    tx.onabort = () => reject(tx.error || new DOMException("The save was cancelled.", "AbortError"));
  });
}

export function get(store, key) {
  return transact([store], "readonly", (tx) => tx.objectStore(store).get(key));
}

export function getAll(store) {
  return transact([store], "readonly", (tx) => tx.objectStore(store).getAll());
}

export function count(store) {
  return transact([store], "readonly", (tx) => tx.objectStore(store).count());
}

export function put(store, value, key) {
  return transact([store], "readwrite", (tx) => { tx.objectStore(store).put(value, key); });
}

export function remove(store, key) {
  return transact([store], "readwrite", (tx) => { tx.objectStore(store).delete(key); });
}

/** Delete ``key`` from one store and put ``value`` into another, atomically. */
export function move(from, key, into, value) {
  return transact([from, into], "readwrite", (tx) => {
    tx.objectStore(from).delete(key);
    tx.objectStore(into).put(value);
  });
}

export const getMeta = (key) => get(META, key);
export const setMeta = (key, value) => put(META, value, key);

/** True when ``error`` means the phone has no room left for us. */
export function isQuotaError(error) {
  return Boolean(error) && (error.name === "QuotaExceededError"
    || (error.name === "UnknownError" && /quota|space|disk/i.test(error.message || "")));
}
