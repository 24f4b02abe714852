import { html } from "../../vendor/lit-html.js";
import { SCALES } from "../pictures.js";
import { formatDate } from "../util.js";

// What people say about their support, counted (server/domain/person_voice.py): complaints,
// compliments and the people's own answer to "How happy are you with your support?", always with n.

function satisfaction(s) {
  if (!s || !s.n) return html`No answers <span class="muted">(n = 0)</span>`;
  const nearest = Math.min(5, Math.max(1, Math.round(s.mean)));
  return html`${Number(s.mean).toFixed(1)} out of 5 <span class="muted">(nearest: ${SCALES.satisfaction.words[nearest]}; n = ${s.n} answer${s.n === 1 ? "" : "s"})</span>`;
}

// The service measures screen: one quarter.
export function serviceVoiceTable(m) {
  return html`<div class="table-scroll voice" tabindex="0" role="region" aria-label="Table (scrolls sideways on a small screen)"><table class="data">
    <caption>What people say about their support</caption>
    <tbody>
      <tr><th scope="row">${SCALES.satisfaction.question} <span class="muted">(their own answer, 1 to 5)</span></th><td>${satisfaction(m.satisfaction)}</td></tr>
      <tr><th scope="row">Complaints</th><td>${m.complaints ?? 0}</td></tr>
      <tr><th scope="row">Compliments</th><td>${m.compliments ?? 0}</td></tr>
    </tbody>
  </table></div>`;
}

// The change page: before and after the change, in the same 13-week periods as the feedback themes.
export function changeVoiceSection(voice) {
  if (!voice) return html``;
  const { before, after } = voice;
  const span = (side) => `${formatDate(side.from)} to ${formatDate(side.to)}`;
  return html`<section class="change-voice" aria-labelledby="change-voice-heading">
    <h2 id="change-voice-heading">What people said about their support</h2>
    <div class="table-scroll" tabindex="0" role="region" aria-label="Table (scrolls sideways on a small screen)"><table class="data">
      <caption>Before: ${span(before)}. After: ${span(after)}.</caption>
      <thead><tr><th scope="col">Measure</th><th scope="col">Before</th><th scope="col">After</th></tr></thead>
      <tbody>
        <tr><th scope="row">${SCALES.satisfaction.question} <span class="muted">(their own answer, 1 to 5)</span></th>
          <td>${satisfaction(before.satisfaction)}</td><td>${satisfaction(after.satisfaction)}</td></tr>
        <tr><th scope="row">Complaints</th><td>${before.complaints}</td><td>${after.complaints}</td></tr>
        <tr><th scope="row">Compliments</th><td>${before.compliments}</td><td>${after.compliments}</td></tr>
      </tbody>
    </table></div>
    <p class="muted">${voice.method}</p>
  </section>`;
}
