import { html, render, nothing } from "../../vendor/lit-html.js";
import { app } from "../app-state.js";
import * as store from "../store.js";
import { SCALES, speak, speakerIcon } from "../pictures.js";
import { formatDate, nextReviewDue, today } from "../util.js";
import { wellbeingLabels } from "../wellbeing.js";
import { printMyGoals } from "./evidence-links.js";
import { mountYouSaidWeDid } from "./you-said-we-did.js";

// An open action is still "what happens next" until this many days after its due date; older ones
// are history, not plans (the worker's screens still list them for follow-up).
const CURRENT_FOR_DAYS = 14;

export function currentActions(actions, outcomeId, on = today()) {
  const since = new Date(`${on}T12:00:00Z`);
  since.setUTCDate(since.getUTCDate() - CURRENT_FOR_DAYS);
  const cutoff = since.toISOString().slice(0, 10);
  return actions
    .filter((a) => a.outcome_id === outcomeId && a.status === "open" && (!a.due_on || a.due_on >= cutoff))
    .sort((a, b) => (a.due_on || "9999").localeCompare(b.due_on || "9999"));
}

const firstWord = (name) => (name || "").trim().split(/[\s,]+/)[0];
const lowerFirst = (text) => (/^[A-Z][a-z]/.test(text) ? text[0].toLowerCase() + text.slice(1) : text);
const sentence = (text) => text.trim().replace(/[.!?]*$/, ".");

// Worded for the person: "You will …", "Alex will help you …".
export function actionForPerson(a) {
  const what = lowerFirst(a.description.trim());
  if (a.owner_kind === "person") return sentence(`You will ${what}`);
  const who = a.owner_kind === "staff" ? firstWord(a.owner_label) : (a.owner_name || "").trim();
  return sentence(`${who || "Your support worker"} will help you ${what}`);
}

// Who the person chooses their next goal with: the staff member helping with this goal.
function supporterOf(actions, outcomeId) {
  const staff = actions.filter((a) => a.outcome_id === outcomeId && a.owner_kind === "staff" && a.owner_label)
    .sort((a, b) => (b.due_on || "").localeCompare(a.due_on || ""));
  return staff.length ? firstWord(staff[0].owner_label) : "";
}

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
    const next = currentActions(actions, o.id);
    const due = o.status === "active" ? nextReviewDue(o, mine) : null;
    const doneIt = o.status === "achieved" || last?.score === 5;
    const supporter = supporterOf(actions, o.id) || "your support worker";
    const sayIt = [o.domain, o.persons_words, last ? `Now: ${scale.words[last.score]}.` : "", ...next.map(actionForPerson)].join(". ");
    return html`<li class="goal">
      <h2>${o.domain}</h2>
      <p class="easy persons-words">“${o.persons_words}”</p>
      ${o.wellbeing_areas?.length ? html`<p class="easy">This goal is about: ${wellbeingLabels(o.wellbeing_areas, { easyRead: true }).join(", ")}.</p>` : nothing}
      <button type="button" class="secondary hear" @click=${() => speak(sayIt)}>${speakerIcon()} Hear it</button>
      ${doneIt ? html`
        <div class="celebrate" role="group" aria-label="Well done">
          ${celebrationPicture()}
          <p class="easy"><strong>You did it, ${firstName}!</strong> Well done.</p>
          <p class="easy">${o.status === "achieved" ? "This goal is done." : "You said: Done it."}</p>
          <h3>Choose a new goal with ${supporter[0].toUpperCase() + supporter.slice(1)}</h3>
          <p class="easy">Tell ${supporter} what you would like to do next${due ? html`, at your next review on <strong>${formatDate(due)}</strong>` : ""}.</p>
        </div>` : nothing}
      ${last ? html`
        <div class="then-now ${first && first !== last ? "" : "single"}" role="group" aria-label="How it has gone">
          ${first && first !== last ? html`
            <figure>${scale.picture(first.score)}<figcaption>Then: ${scale.words[first.score]}<br><span class="muted">${formatDate(first.happened_at)}</span></figcaption></figure>
            <span class="arrow" aria-hidden="true">→</span>` : nothing}
          <figure>${scale.picture(last.score)}<figcaption>Now: ${scale.words[last.score]}<br><span class="muted">${formatDate(last.happened_at)}</span></figcaption></figure>
        </div>` : html`<p class="easy">No rating yet.</p>`}
      ${next.length || due ? html`<h3>What happens next</h3>` : nothing}
      ${next.length ? html`<ul class="easy-list next-actions">${next.map((a) => html`<li>${actionForPerson(a)}${a.due_on ? html`<br><span class="muted">By ${formatDate(a.due_on)}</span>` : nothing}</li>`)}</ul>` : nothing}
      ${due ? html`<p class="easy next-review">${due < today() ? html`Your review is due now.` : html`Your next review is on <strong>${formatDate(due)}</strong>.`}</p>` : nothing}
    </li>`;
  };

  render(html`
    <h1>My goals</h1>
    <p class="easy">Hello ${firstName}.</p>
    <p class="easy">These are your goals, in your words.</p>
    ${app.user.person_id ? printMyGoals(app.user.person_id) : nothing}
    ${outcomes.length ? html`<ul class="goals">${outcomes.map(goal)}</ul>` : html`<p class="easy">You have no goals written down yet.</p>`}
    <div id="you-said-we-did"></div>`, main);
  if (app.user.person_id) mountYouSaidWeDid(main.querySelector("#you-said-we-did"), app.user.person_id);
}

// A star with rays: shape, not colour, says "well done".
function celebrationPicture() {
  return html`<svg viewBox="0 0 96 96" aria-hidden="true" focusable="false" class="picture celebrate-picture">
    <path d="M48 14 L56.5 37 L81 37.8 L61.7 52.8 L68.6 76.4 L48 62.6 L27.4 76.4 L34.3 52.8 L15 37.8 L39.5 37 Z" fill="#0b5d57" stroke="#1a1a1a" stroke-width="3"/>
    <path d="M48 2 V9 M86 20 L80 25 M10 20 L16 25 M90 62 L83 60 M6 62 L13 60" stroke="#1a1a1a" stroke-width="3" stroke-linecap="round"/>
  </svg>`;
}
