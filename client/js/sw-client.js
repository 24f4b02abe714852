// Registers the service worker. A new version waits until the user chooses to update, and never
// swaps code under an open form.
import { html } from "../vendor/lit-html.js";

let waiting = null;
let updateRequested = false;
let isBusy = () => false;

export function updateBanner() {
  if (!waiting) return "";
  return html`<div class="update-banner" role="status">
    Update available.
    <button type="button" @click=${applyUpdate}>Update now</button>
  </div>`;
}

function applyUpdate() {
  if (!waiting) return;
  if (isBusy() && !window.confirm("Updating reloads the app. Anything typed in the open form will be lost. Update now?")) return;
  updateRequested = true;
  waiting.postMessage({ type: "SKIP_WAITING" });
}

export async function registerServiceWorker(busy, onOffer = () => {}) {
  if (!("serviceWorker" in navigator)) return;
  isBusy = busy;
  let reloaded = false;
  // Reload once, and only when the user asked for the new version (not on the first install).
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (reloaded || !updateRequested) return;
    reloaded = true;
    location.reload();
  });
  // A module worker: it imports the outbox flush (sync.js) the page uses, for Background Sync.
  const reg = await navigator.serviceWorker.register("/service-worker.js", { scope: "/", type: "module" });
  const offer = (worker) => {
    waiting = worker;
    onOffer();
  };
  if (reg.waiting && navigator.serviceWorker.controller) offer(reg.waiting);
  reg.addEventListener("updatefound", () => {
    const worker = reg.installing;
    worker?.addEventListener("statechange", () => {
      if (worker.state === "installed" && navigator.serviceWorker.controller) offer(worker);
    });
  });
}
