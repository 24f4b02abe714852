// Form building blocks: labelled fields, error messages tied to their inputs, an error summary.
import { html, nothing } from "../vendor/lit-html.js";

export function errorSummary(errors) {
  const names = Object.keys(errors);
  if (!names.length) return nothing;
  return html`<div class="notice error" id="error-summary" role="alert" tabindex="-1">
    <h2>There is a problem</h2>
    <ul>${names.map((n) => html`<li><a href="#f-${n}">${errors[n].join(" ")}</a></li>`)}</ul>
  </div>`;
}

export function fieldError(errors, name) {
  return errors[name] ? html`<p class="field-error" id="e-${name}">${errors[name].join(" ")}</p>` : nothing;
}

export function textField(state, errors, name, label, { hint, type = "text", multiline = false, required = false } = {}) {
  const describedBy = [hint ? `h-${name}` : "", errors[name] ? `e-${name}` : ""].filter(Boolean).join(" ") || nothing;
  const onInput = (e) => { state[name] = e.target.value; };
  return html`<div class="field ${errors[name] ? "has-error" : ""}">
    <label for="f-${name}">${label}${required ? "" : html` <span class="muted">(optional)</span>`}</label>
    ${hint ? html`<p class="hint" id="h-${name}">${hint}</p>` : nothing}
    ${fieldError(errors, name)}
    ${multiline
      ? html`<textarea id="f-${name}" name=${name} rows="3" .value=${state[name] ?? ""} @input=${onInput}
          aria-invalid=${errors[name] ? "true" : "false"} aria-describedby=${describedBy} ?required=${required}></textarea>`
      : html`<input id="f-${name}" name=${name} type=${type} .value=${state[name] ?? ""} @input=${onInput}
          aria-invalid=${errors[name] ? "true" : "false"} aria-describedby=${describedBy} ?required=${required}>`}
  </div>`;
}

export function selectField(state, errors, name, label, options, { onChange } = {}) {
  return html`<div class="field ${errors[name] ? "has-error" : ""}">
    <label for="f-${name}">${label}</label>
    ${fieldError(errors, name)}
    <select id="f-${name}" name=${name} @change=${(e) => { state[name] = e.target.value; onChange?.(e.target.value); }}
      aria-invalid=${errors[name] ? "true" : "false"} aria-describedby=${errors[name] ? `e-${name}` : nothing}>
      ${options.map(([value, text]) => html`<option value=${value} ?selected=${state[name] === value}>${text}</option>`)}
    </select>
  </div>`;
}

export function focusErrors(main) {
  requestAnimationFrame(() => main.querySelector("#error-summary")?.focus());
}

// A 1–5 choice with the person's pictures (progress or mood): large targets, a word under each.
export function pictureChoice(state, errors, name, legend, scale, onPick) {
  return html`<fieldset class="field ${errors[name] ? "has-error" : ""}" id="f-${name}" tabindex="-1">
    <legend>${legend}</legend>
    ${fieldError(errors, name)}
    <div class="score-options">
      ${[1, 2, 3, 4, 5].map((n) => html`
        <label class="score-option ${state[name] === n ? "chosen" : ""}">
          <input type="radio" name=${name} value=${n} .checked=${state[name] === n} @change=${() => onPick(n)}>
          ${scale.picture(n)}<span class="score-number">${n}</span><span class="score-word">${scale.words[n]}</span>
        </label>`)}
    </div>
  </fieldset>`;
}
