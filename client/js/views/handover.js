import { html, render, nothing } from "../../vendor/lit-html.js";
import { navigate } from "../main.js";
import * as store from "../store.js";
import { SCALES, speak, speakerIcon } from "../pictures.js";

// Hand-over mode: the person rates their own goal on the worker's phone. Only the goal in their
// own words and the five pictures are shown; no staff notes. The choice goes back to the review form.
export const handoverResult = new Map();

export async function handoverView(main, { outcomeId }) {
  const outcome = await store.getRecord("outcomes", outcomeId);
  if (!outcome) {
    render(html`<h1>Goal not found</h1><p><a href="/">Back</a></p>`, main);
    return;
  }
  const person = await store.getRecord("people", outcome.person_id);
  const scale = SCALES.progress;
  const firstName = (person?.preferred_name || person?.name || "").split(" ")[0];
  let chosen = null;
  let stage = "choose"; // choose → confirm → hand back
  document.body.classList.add("handover-mode");

  const finish = (ratedBy) => {
    handoverResult.set(outcome.id, { score: chosen, rated_by: ratedBy });
    document.body.classList.remove("handover-mode");
    navigate(`/outcomes/${outcome.id}/review`, { replace: true });
  };
  const cancel = () => {
    document.body.classList.remove("handover-mode");
    navigate(`/outcomes/${outcome.id}/review`, { replace: true });
  };

  const draw = () => {
    if (stage === "choose") {
      render(html`
        <section class="handover">
          <h1>${scale.question}</h1>
          <p class="handover-goal">“${outcome.persons_words}”</p>
          <button type="button" class="secondary hear" @click=${() => speak(`${scale.question} ${outcome.persons_words}`)}>${speakerIcon()} Hear it</button>
          <div class="picture-choices" role="group" aria-label="Choose one picture">
            ${[1, 2, 3, 4, 5].map((n) => html`
              <button type="button" class="picture-choice" @click=${() => { speak(scale.words[n]); chosen = n; stage = "confirm"; draw(); focusHeading(); }}>
                ${scale.picture(n)}<span class="picture-word">${scale.words[n]}</span><span class="visually-hidden">, ${n} of 5</span>
              </button>`)}
          </div>
          <p><button type="button" class="link-button dark" @click=${cancel}>Back to the worker</button></p>
        </section>`, main);
    } else if (stage === "confirm") {
      render(html`
        <section class="handover">
          <h1>You chose: ${scale.words[chosen]}. Is that right?</h1>
          <div class="picture-chosen">${scale.picture(chosen)}<span class="picture-word">${scale.words[chosen]}</span></div>
          <button type="button" class="secondary hear" @click=${() => speak(`You chose: ${scale.words[chosen]}. Is that right?`)}>${speakerIcon()} Hear it</button>
          <div class="actions-row big">
            <button type="button" class="primary" @click=${() => { stage = "handback"; draw(); focusHeading(); }}>Yes, that's right</button>
            <button type="button" class="secondary" @click=${() => { chosen = null; stage = "choose"; draw(); focusHeading(); }}>No, choose again</button>
          </div>
        </section>`, main);
    } else {
      render(html`
        <section class="handover">
          <h1>Thank you${firstName ? `, ${firstName}` : ""}. Please give the phone back.</h1>
          <div class="picture-chosen">${scale.picture(chosen)}<span class="picture-word">${scale.words[chosen]}</span></div>
          <p class="muted">For the support worker: who chose the rating?</p>
          <div class="actions-row big">
            <button type="button" class="primary" @click=${() => finish("person")}>${firstName || "They"} chose on their own</button>
            <button type="button" class="secondary" @click=${() => finish("together")}>We chose together</button>
          </div>
        </section>`, main);
    }
  };
  const focusHeading = () => requestAnimationFrame(() => main.querySelector("h1")?.focus());
  draw();
}
