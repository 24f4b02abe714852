import { html, render, nothing } from "../../vendor/lit-html.js";
import { app } from "../main.js";
import * as store from "../store.js";
import { SCALES, speak, speakerIcon } from "../pictures.js";
import { formatDate } from "../util.js";

// "My goals" for a person signed in as themselves: easy-read, one idea per line, a picture beside
// the words. Only their own goals reach this phone (the server scopes the sync to them).
export async function myGoalsView(main) {
  const scale = SCALES.progress;
  const outcomes = (await store.all("outcomes")).filter((o) => o.status === "active" || o.status === "achieved");
  const reviews = await store.all("reviews");
  const actions = await store.all("actions");
  const firstName = app.user.name.split(" ")[0];

  const goal = (o) => {
    const mine = reviews.filter((r) => r.outcome_id === o.id).sort((a, b) => a.happened_at.localeCompare(b.happened_at));
    const first = mine[0];
    const last = mine[mine.length - 1];
    const next = actions.filter((a) => a.outcome_id === o.id && a.status === "open");
    const sayIt = [o.domain, o.persons_words, last ? `Now: ${scale.words[last.score]}.` : ""].join(". ");
    return html`<li class="goal">
      <h2>${o.domain}</h2>
      <p class="easy persons-words">“${o.persons_words}”</p>
      <button type="button" class="secondary hear" @click=${() => speak(sayIt)}>${speakerIcon()} Hear it</button>
      ${o.status === "achieved" ? html`<p class="easy"><strong>You did it!</strong></p>` : nothing}
      ${last ? html`
        <div class="then-now" role="group" aria-label="How it has gone">
          ${first && first !== last ? html`
            <figure>${scale.picture(first.score)}<figcaption>Then: ${scale.words[first.score]}<br><span class="muted">${formatDate(first.happened_at)}</span></figcaption></figure>
            <span class="arrow" aria-hidden="true">→</span>` : nothing}
          <figure>${scale.picture(last.score)}<figcaption>Now: ${scale.words[last.score]}<br><span class="muted">${formatDate(last.happened_at)}</span></figcaption></figure>
        </div>` : html`<p class="easy">No rating yet.</p>`}
      ${next.length ? html`<h3>What happens next</h3>
        <ul class="easy-list">${next.map((a) => html`<li>${a.description}.<br><span class="muted">Who helps: ${a.owner_kind === "person" ? "You" : a.owner_label || a.owner_name || "Your support worker"}.</span></li>`)}</ul>` : nothing}
    </li>`;
  };

  render(html`
    <h1>My goals</h1>
    <p class="easy">Hello ${firstName}.</p>
    <p class="easy">These are your goals, in your words.</p>
    ${outcomes.length ? html`<ul class="goals">${outcomes.map(goal)}</ul>` : html`<p class="easy">You have no goals written down yet.</p>`}`, main);
}
