import { html, render } from "../../vendor/lit-html.js";

export async function notFoundView(main) {
  render(html`<h1>Page not found</h1><p><a href="/">Back to the start</a></p>`, main);
}
