import { html, render, nothing } from "../../vendor/lit-html.js";
import { SKIP_WORDS, skipPicture, speak, speakerIcon } from "../pictures.js";

// Hand-over: the person answers a 1–5 picture scale on the worker's phone (their goal's progress,
// their mood this week, how happy they are with their support). Only the question, what it is about
// in their words and the pictures are shown; "Not sure / skip" is always there. Resolves with
// { score, rated_by } (rated_by "person" or "together"), { skipped: true }, or null when the worker
// takes the phone back without an answer.
export function handOverScale(main, { scale, question = scale.question, about = "", firstName = "" }) {
  return new Promise((resolve) => {
    let chosen = null;
    let stage = "choose"; // choose → confirm → hand back
    document.body.classList.add("handover-mode");
    // Leaving with the browser's Back button: the header comes back; nothing is answered.
    const leave = () => document.body.classList.remove("handover-mode");
    window.addEventListener("popstate", leave, { once: true });
    const done = (result) => { window.removeEventListener("popstate", leave); leave(); resolve(result); };
    const focusHeading = () => requestAnimationFrame(() => main.querySelector("h1")?.focus());
    const pick = (n) => { speak(n ? scale.words[n] : SKIP_WORDS); chosen = n; stage = n ? "confirm" : "skipped"; draw(); focusHeading(); };

    const draw = () => {
      if (stage === "choose") {
        render(html`
          <section class="handover">
            <h1 tabindex="-1">${question}</h1>
            ${about ? html`<p class="handover-goal">“${about}”</p>` : nothing}
            <button type="button" class="secondary hear" @click=${() => speak(`${question} ${about}`)}>${speakerIcon()} Hear it</button>
            <div class="picture-choices" role="group" aria-label="Choose one picture">
              ${[1, 2, 3, 4, 5].map((n) => html`
                <button type="button" class="picture-choice" @click=${() => pick(n)}>
                  ${scale.picture(n)}<span class="picture-word">${scale.words[n]}</span><span class="visually-hidden">, ${n} of 5</span>
                </button>`)}
              <button type="button" class="picture-choice skip" @click=${() => pick(null)}>
                ${skipPicture()}<span class="picture-word">${SKIP_WORDS}</span>
              </button>
            </div>
            <p><button type="button" class="link-button dark" @click=${() => done(null)}>Back to the worker</button></p>
          </section>`, main);
      } else if (stage === "confirm") {
        render(html`
          <section class="handover">
            <h1 tabindex="-1">You chose: ${scale.words[chosen]}. Is that right?</h1>
            <div class="picture-chosen">${scale.picture(chosen)}<span class="picture-word">${scale.words[chosen]}</span></div>
            <button type="button" class="secondary hear" @click=${() => speak(`You chose: ${scale.words[chosen]}. Is that right?`)}>${speakerIcon()} Hear it</button>
            <div class="actions-row big">
              <button type="button" class="primary" @click=${() => { stage = "handback"; draw(); focusHeading(); }}>Yes, that's right</button>
              <button type="button" class="secondary" @click=${() => { chosen = null; stage = "choose"; draw(); focusHeading(); }}>No, choose again</button>
            </div>
          </section>`, main);
      } else if (stage === "skipped") {
        render(html`
          <section class="handover">
            <h1 tabindex="-1">That's fine${firstName ? `, ${firstName}` : ""}. Please give the phone back.</h1>
            <div class="picture-chosen">${skipPicture()}<span class="picture-word">${SKIP_WORDS}</span></div>
            <div class="actions-row big">
              <button type="button" class="primary" @click=${() => done({ skipped: true })}>Back to the form</button>
              <button type="button" class="secondary" @click=${() => { stage = "choose"; draw(); focusHeading(); }}>Choose a picture after all</button>
            </div>
          </section>`, main);
      } else {
        render(html`
          <section class="handover">
            <h1 tabindex="-1">Thank you${firstName ? `, ${firstName}` : ""}. Please give the phone back.</h1>
            <div class="picture-chosen">${scale.picture(chosen)}<span class="picture-word">${scale.words[chosen]}</span></div>
            <p class="muted">For the support worker: who chose?</p>
            <div class="actions-row big">
              <button type="button" class="primary" @click=${() => done({ score: chosen, rated_by: "person" })}>${firstName || "They"} chose on their own</button>
              <button type="button" class="secondary" @click=${() => done({ score: chosen, rated_by: "together" })}>We chose together</button>
            </div>
          </section>`, main);
      }
    };
    draw();
    focusHeading();
  });
}
