// The JSON API: one place that sends the CSRF token and turns error replies into ApiError.
let csrfToken = null;

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `Request failed (${status})`);
    this.status = status;
    this.code = error.code || "error";
    this.fields = error.fields || {};
    this.body = body;
  }
}

export class OfflineError extends Error {
  constructor() {
    super("No connection. Your changes are kept on this phone.");
    this.offline = true;
  }
}

export function setCsrf(token) {
  csrfToken = token;
}

// A request stopped through `signal` (sign-out stops every sync at once) rejects with Aborted.
export class Aborted extends Error {
  constructor() {
    super("Stopped.");
    this.aborted = true;
  }
}

// `raw` sends a file as the body as it is (the CSV import), with `contentType`.
export async function request(method, url, body, { timeout = 15000, signal, raw, contentType } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (raw !== undefined) headers["Content-Type"] = contentType || "application/octet-stream";
  if (method !== "GET" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  if (signal?.aborted) throw new Aborted();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeout);
  const stop = () => controller.abort();
  signal?.addEventListener("abort", stop);
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: raw !== undefined ? raw : body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      signal: controller.signal,
    });
  } catch (err) {
    signal?.removeEventListener("abort", stop);
    if (signal?.aborted) throw new Aborted();
    throw new OfflineError();
  } finally {
    clearTimeout(timer);
  }
  let data = null;
  try {
    const type = response.headers.get("Content-Type") || "";
    if (type.includes("json")) data = await response.json().catch(() => null);
  } finally {
    signal?.removeEventListener("abort", stop);
  }
  if (signal?.aborted) throw new Aborted(); // stopped while the reply was being read
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const get = (url, opts) => request("GET", url, undefined, opts);
export const post = (url, body, opts) => request("POST", url, body, opts);
export const patch = (url, body, opts) => request("PATCH", url, body, opts);
export const put = (url, body, opts) => request("PUT", url, body, opts);
export const del = (url, body, opts) => request("DELETE", url, body, opts);

// Lists that page (`{items, next_cursor}`): `pagedUrl` asks for one page, `getAll` follows
// next_cursor to the end where a screen needs every row (counts, a choice of all the changes).
export function pagedUrl(url, limit, cursor) {
  return `${url}${url.includes("?") ? "&" : "?"}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
}

export async function getAll(url, { limit = 200, ...opts } = {}) {
  const items = [];
  let cursor = null;
  do {
    const page = await get(pagedUrl(url, limit, cursor), opts);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

export async function refreshSession(opts) {
  const data = await get("/api/v1/session", opts);
  setCsrf(data.csrf_token);
  return data;
}
