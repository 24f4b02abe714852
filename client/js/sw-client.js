// Registers the service worker. A new version waits until the user chooses to update, and never
// swaps code under an open form.
import { html } from "../vendor/lit-html.js";

// A new version is installed and waiting for the user's "Update now".
let waiting = false;
// A new version took over while this page still runs the old code (the browser may activate a
// waiting version by itself, for example when the only window reloads): "Update now" reloads.
let takenOver = false;
let updateRequested = false;
let isBusy = () => false;

export function updateBanner() {
  if (!waiting && !takenOver) return "";
  return html`<div class="update-banner" role="status">
    Update available.
    <button type="button" @click=${applyUpdate}>Update now</button>
  </div>`;
}

async function applyUpdate() {
  if (isBusy() && !window.confirm("Updating reloads the app. Anything typed in the open form will be lost. Update now?")) return;
  updateRequested = true;
  // The worker waiting now, not the one first offered: a later deploy may have replaced it.
  const reg = await navigator.serviceWorker.getRegistration();
  if (reg?.waiting) reg.waiting.postMessage({ type: "SKIP_WAITING" });
  else location.reload(); // the new version is already in charge; this page needs its code
}

export async function registerServiceWorker(busy, onOffer = () => {}) {
  if (!("serviceWorker" in navigator)) return;
  isBusy = busy;
  const hadController = Boolean(navigator.serviceWorker.controller);
  let reloaded = false;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (reloaded) return;
    if (updateRequested) {
      // Reload once, and only when the user asked for the new version.
      reloaded = true;
      location.reload();
    } else if (hadController) {
      // Not on the first install: a new version took over by itself; offer the reload.
      waiting = false;
      takenOver = true;
      onOffer();
    }
  });
  // A module worker: it imports the outbox flush (sync.js) the page uses, for Background Sync.
  const reg = await navigator.serviceWorker.register("/service-worker.js", { scope: "/", type: "module" });
  const offer = () => {
    waiting = true;
    onOffer();
  };
  const watch = (worker) => {
    worker?.addEventListener("statechange", () => {
      if (worker.state === "installed" && navigator.serviceWorker.controller) offer();
    });
  };
  if (reg.waiting && navigator.serviceWorker.controller) offer();
  // An install that began before this listener was added is watched too.
  watch(reg.installing);
  reg.addEventListener("updatefound", () => watch(reg.installing));
}
