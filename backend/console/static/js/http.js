// The wire: JSON requests to the API and its error body. Knows nothing of tokens (api.js adds them).

// The console is in Chinese, so the API's messages and field errors should be too, whatever language the
// browser itself prefers.
export const LANGUAGE = "zh-CN";

/** An answer of the API other than 2xx: `reason` is the stable word to branch on (SPEC §10). */
export class ApiError extends Error {
  constructor(status, body, headers) {
    super((body && body.message) || `请求失败（${status}）`);
    this.status = status;
    this.body = body || {};
    this.reason = this.body.reason || (status === 0 ? "network_error" : "unknown");
    this.headers = headers;
    // Set by the session when this refusal ended the sign-in: the sign-in page replaces the screen, so
    // there is nothing to show on it.
    this.sessionEnded = false;
  }

  /** Seconds to wait, from Retry-After on a 429. */
  get retryAfter() {
    const value = this.headers && this.headers.get("Retry-After");
    return value ? Number(value) : null;
  }

  /** Field messages as {field path: [messages]}, whatever the location (json, query, form, files). */
  get fieldErrors() {
    return flattenFieldErrors(this.body.errors || {});
  }
}

export function flattenFieldErrors(errors) {
  const flat = {};
  for (const location of Object.values(errors)) {
    if (location && typeof location === "object" && !Array.isArray(location)) walk(location, "", flat);
  }
  return flat;
}

function walk(node, prefix, flat) {
  for (const [key, value] of Object.entries(node)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (Array.isArray(value) && value.every((item) => typeof item === "string")) {
      flat[path] = value;
    } else if (typeof value === "string") {
      flat[path] = [value];
    } else if (value && typeof value === "object") {
      walk(value, path, flat);
    }
  }
}

/** Query string from an object; empty values are left out. */
export function queryString(query) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query || {})) {
    if (value === undefined || value === null || value === "") continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/**
 * One JSON request. Returns {status, data, headers}; throws ApiError for any non-2xx answer and for a
 * network failure (status 0).
 */
export async function fetchJson(method, path, { body, query, headers = {}, signal } = {}) {
  const init = { method, headers: { Accept: "application/json", "Accept-Language": LANGUAGE, ...headers },
    signal, credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path + queryString(query), init);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, { message: "无法连接服务器，请检查网络后重试。", reason: "network_error" });
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data, response.headers);
  return { status: response.status, data, headers: response.headers };
}
