import { html, render } from "../../vendor/lit-html.js";
import { get } from "../api.js";
import { speak, speakerIcon } from "../pictures.js";
import { formatDate } from "../util.js";

// "You said, we did" on My goals: the changes that answered what the person said in their feedback
// conversations. Read from the server (the service worker keeps the last answer for use offline).
export async function mountYouSaidWeDid(target, personId) {
  if (!target) return;
  let rows;
  try {
    rows = await get(`/api/v1/people/${personId}/you-said-we-did`);
  } catch {
    return; // nothing to show without a signal and no earlier copy: the goals above still work
  }
  if (!rows.length || !target.isConnected) return;
  render(html`<section class="you-said" aria-labelledby="you-said-heading">
    <h2 id="you-said-heading">You said, we did</h2>
    <ul class="goals">${rows.map((r) => html`<li class="goal">
      ${r.you_said.map((s) => html`<p class="easy"><strong>You said</strong> <span class="muted">(${formatDate(s.on)})</span>:<br>“${s.words}”</p>`)}
      <p class="easy"><strong>We did</strong> <span class="muted">(from ${formatDate(r.starts_on)})</span>:<br>${r.we_did}.</p>
      <button type="button" class="secondary hear" @click=${() => speak(`You said: ${r.you_said.map((s) => s.words).join(". ")}. We did: ${r.we_did}.`)}>${speakerIcon()} Hear it</button>
    </li>`)}</ul>
  </section>`, target);
}
