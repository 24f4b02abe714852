// "Who has seen and changed Sam's record": the audit log of one person, newest first, for managers
// and senior leaders. Online only (the log is not kept on phones); pages of 50 with "Load more".
import { html, render, nothing } from "../../vendor/lit-html.js";
import { get } from "../api.js";
import * as store from "../store.js";
import { announce, formatDate } from "../util.js";

const time = (iso) => new Date(iso).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });

// "Jordan Lee (support worker) viewed Sam Taylor's outcomes on 26 Nov 2026 at 14:02 from Android phone (Chrome)."
const sentence = (item) => html`${item.summary} on <time datetime=${item.at}>${formatDate(item.at)} at ${time(item.at)}</time>${item.device ? ` from ${item.device.label}` : ""}.`;

export async function auditView(main, { id }) {
  const local = await store.getRecord("people", id);
  const state = { items: [], next: null, error: null, loading: true, name: local ? local.name : null };

  const load = async () => {
    state.loading = true;
    const query = new URLSearchParams({ person_id: id });
    if (state.next) query.set("cursor", state.next);
    try {
      const page = await get(`/api/v1/audit?${query}`);
      const before = state.items.length;
      state.items.push(...page.items);
      state.next = page.next_cursor;
      state.error = null;
      if (!state.name) state.name = page.items.find((i) => i.person_name)?.person_name || null;
      return before;
    } catch (err) {
      state.error = err.offline ? "The record of who has seen and changed this needs a connection." : err.message;
      return null;
    } finally {
      state.loading = false;
    }
  };

  const more = async () => {
    draw();
    const first = await load();
    draw();
    if (first !== null) {
      announce(`${state.items.length - first} more entries shown.`);
      main.querySelector(`#audit-${first}`)?.focus();
    }
  };

  const draw = () => {
    const whose = state.name ? `${state.name}’s` : "this person’s";
    render(html`
      <p class="breadcrumb"><a href="/people/${id}">← ${state.name || "Back"}</a></p>
      <h1>Who has seen and changed ${whose} record</h1>
      <p>Every time staff viewed or changed ${whose} record, newest first.</p>
      ${state.error ? html`<p class="notice warning" role="alert">${state.error}</p>` : nothing}
      ${state.items.length ? html`<ol class="plain audit-list">${state.items.map((item, i) => html`
        <li id="audit-${i}" tabindex="-1">${sentence(item)}</li>`)}</ol>`
        : !state.loading && !state.error ? html`<p>Nobody has viewed or changed this record yet.</p>` : nothing}
      ${state.loading ? html`<p class="loading" role="status">Loading…</p>` : nothing}
      ${state.next && !state.loading ? html`<p><button type="button" class="secondary" @click=${more}>Load more</button></p>`
        : state.items.length && !state.loading ? html`<p class="muted">That is everything.</p>` : nothing}`, main);
  };

  draw();
  await load();
  draw();
}
