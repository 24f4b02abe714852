import { html, render } from "../../vendor/lit-html.js";
import { app } from "../main.js";
import * as store from "../store.js";
import { dueLabel, formatDate, nextReviewDue } from "../util.js";

export async function caseloadView(main) {
  if (app.user.role === "person") {
    const { navigate } = await import("../main.js");
    return navigate("/me", { replace: true });
  }
  if (app.user.role === "commissioner") {
    const { navigate } = await import("../main.js");
    return navigate("/services", { replace: true });
  }
  if (app.user.role === "admin") {
    const { adminView } = await import("./admin.js");
    return adminView(main);
  }
  const [people, outcomes, reviews] = await Promise.all([store.all("people"), store.all("outcomes"), store.all("reviews")]);
  const rows = people.map((p) => {
    const active = outcomes.filter((o) => o.person_id === p.id && o.status === "active");
    const dues = active.map((o) => nextReviewDue(o, reviews)).filter(Boolean).sort();
    return { person: p, active: active.length, due: dues[0] || null };
  }).sort((a, b) => (a.due || "9999").localeCompare(b.due || "9999") || a.person.name.localeCompare(b.person.name));
  const title = app.user.role === "support_worker" ? "My caseload" : "People";
  render(html`
    <h1>${title}</h1>
    ${rows.length ? html`
      <ul class="cards" aria-label=${title}>
        ${rows.map(({ person, active, due }) => html`
          <li class="card ${due && due < new Date().toISOString().slice(0, 10) ? "overdue" : ""}">
            <a href="/people/${person.id}" class="card-link">
              <span class="card-title">${person.name}</span>
              <span class="card-meta">${active} active outcome${active === 1 ? "" : "s"}</span>
              <span class="due">${dueLabel(due)}${due ? html` <span class="muted">(${formatDate(due)})</span>` : ""}</span>
            </a>
          </li>`)}
      </ul>` : html`<p>No one is on your caseload on this phone yet. When you have a signal, it will load.</p>`}`, main);
}
