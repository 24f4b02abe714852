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

export async function request(method, url, body, { timeout = 15000 } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeout);
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      signal: controller.signal,
    });
  } catch (err) {
    throw new OfflineError();
  } finally {
    clearTimeout(timer);
  }
  let data = null;
  const type = response.headers.get("Content-Type") || "";
  if (type.includes("json")) data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const get = (url, opts) => request("GET", url, undefined, opts);
export const post = (url, body, opts) => request("POST", url, body, opts);
export const patch = (url, body, opts) => request("PATCH", url, body, opts);
export const del = (url, body, opts) => request("DELETE", url, body, opts);

export async function refreshSession() {
  const data = await get("/api/v1/session");
  setCsrf(data.csrf_token);
  return data;
}
