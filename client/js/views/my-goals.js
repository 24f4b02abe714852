import { html, render } from "../../vendor/lit-html.js";
import { get } from "../api.js";
import { app } from "../main.js";
import * as store from "../store.js";
import { SCORE_WORDS, formatDate } from "../util.js";

// "My goals" for a person signed in as themselves: their goals in their own words, easy-read.
export async function myGoalsView(main) {
  const outcomes = (await store.all("outcomes")).filter((o) => o.status === "active" || o.status === "achieved");
  const reviews = await store.all("reviews");
  render(html`
    <h1>My goals</h1>
    <p class="lead">Hello ${app.user.name.split(" ")[0]}.</p>
    ${outcomes.length ? "" : html`<p>You have no goals written down yet.</p>`}
    <ul class="goals">
      ${outcomes.map((o) => {
        const mine = reviews.filter((r) => r.outcome_id === o.id).sort((a, b) => a.happened_at.localeCompare(b.happened_at));
        const first = mine[0];
        const last = mine[mine.length - 1];
        return html`<li class="goal">
          <h2>${o.domain}</h2>
          <p class="persons-words">“${o.persons_words}”</p>
          ${last ? html`<p>Last time: <strong>${SCORE_WORDS[last.score]}</strong> (${last.score} of 5), ${formatDate(last.happened_at)}.</p>` : html`<p>No rating yet.</p>`}
          ${first && last && first !== last ? html`<p>Then: ${SCORE_WORDS[first.score]}. Now: ${SCORE_WORDS[last.score]}.</p>` : ""}
          ${o.status === "achieved" ? html`<p><strong>You did it!</strong></p>` : ""}
        </li>`;
      })}
    </ul>`, main);
  get("/api/v1/session").catch(() => {});
}
