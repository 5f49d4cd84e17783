// Registers the service worker, shows whether the phone is online, and starts photo capture
// (and the upload queue) on signed-in pages, including pages reached through hx-boost.
const status = document.querySelector("[data-connection]");

function showConnection() {
  if (!status) return;
  status.textContent = navigator.onLine ? "" : "No signal: photos wait safely on this phone.";
  status.hidden = navigator.onLine;
}

window.addEventListener("online", showConnection);
window.addEventListener("offline", showConnection);
showConnection();

if ("serviceWorker" in navigator) {
  // A module worker: it shares the upload queue's modules with the page.
  navigator.serviceWorker.register("/sw.js", { scope: "/", type: "module", updateViaCache: "none" })
    .catch((error) => console.warn("Service worker not registered", error));
}

// The queue drains on any signed-in page (the sign-out form marks one); the capture screen
// also gets its camera and gallery buttons.
function wantsCapture(root) {
  return Boolean(root.querySelector?.("[data-capture]") || document.querySelector('form[action="/logout"]'));
}

function startCapture(root) {
  if (!wantsCapture(root) || !("indexedDB" in window)) return;
  import("./capture/main.js")
    .then((capture) => capture.start(root))
    .catch((error) => console.warn("Photo capture not started", error));
}

// Ask the worker to keep the trip screens linked from here ("Take photos"), so they open
// later with no signal at all.
function keepTripScreens(root) {
  const urls = [...root.querySelectorAll('a[href$="#capture"]')].map((a) => new URL(a.href).pathname);
  if (urls.length === 0 || !("serviceWorker" in navigator)) return;
  navigator.serviceWorker.ready
    .then((registration) => registration.active?.postMessage({ type: "cache-pages", urls }))
    .catch(() => {});
}

startCapture(document);
keepTripScreens(document);
document.addEventListener("htmx:load", (event) => {
  if (event.target === document.body) return;  // the first load is handled above
  if (event.target.querySelector?.("[data-capture]")) startCapture(event.target);
  keepTripScreens(event.target);
});
