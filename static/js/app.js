// Registers the service worker and shows whether the phone is online.
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
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((error) => {
    console.warn("Service worker not registered", error);
  });
}
