import { html, render, nothing } from "../../vendor/lit-html.js";
import { navigate } from "../router.js";
import * as store from "../store.js";
import { SCALES } from "../pictures.js";
import { handOverScale } from "./scale-handover.js";

// Hand-over mode: the person rates their own goal on the worker's phone. Only the goal in their
// own words and the five pictures (and "Not sure / skip") are shown; no staff notes. The choice
// goes back to the review form.
export const handoverResult = new Map();

export async function handoverView(main, { outcomeId }) {
  const outcome = await store.getRecord("outcomes", outcomeId);
  if (!outcome) {
    render(html`<h1>Goal not found</h1><p><a href="/">Back</a></p>`, main);
    return;
  }
  const person = await store.getRecord("people", outcome.person_id);
  const firstName = (person?.preferred_name || person?.name || "").split(" ")[0];
  const result = await handOverScale(main, { scale: SCALES.progress, about: outcome.persons_words, firstName });
  if (result) handoverResult.set(outcome.id, result);
  navigate(`/outcomes/${outcome.id}/review`, { replace: true });
}
