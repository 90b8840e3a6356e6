// The console's calls to the JSON API, each with the staff member's access token in the Authorization
// header (never in a URL). Screens use `api` for JSON, `upload` for import files and `imageUrl` for images.

import { ApiError, LANGUAGE, fetchJson } from "./http.js";
import * as session from "./session.js";

export { ApiError };

function pagination(headers) {
  const value = headers && headers.get("X-Pagination");
  return value ? JSON.parse(value) : null;
}

async function call(method, path, { body, query, signal } = {}) {
  const answer = await session.authorized((token) =>
    fetchJson(method, path, { body, query, signal, headers: { Authorization: `Bearer ${token}` } }));
  return { status: answer.status, data: answer.data, pagination: pagination(answer.headers) };
}

export const api = {
  /** GET a JSON document. */
  get: async (path, query, options) => (await call("GET", path, { query, ...options })).data,
  /** GET one page of a list: {items, pagination} (pagination from the X-Pagination header). */
  page: async (path, query, options) => {
    const answer = await call("GET", path, { query, ...options });
    return { items: answer.data, pagination: answer.pagination };
  },
  /** POST for one page of a list whose filter belongs in a body (ID numbers never go in URLs). */
  pageByPost: async (path, body, query, options) => {
    const answer = await call("POST", path, { body, query, ...options });
    return { items: answer.data, pagination: answer.pagination };
  },
  post: async (path, body, options) => (await call("POST", path, { body, ...options })).data,
  put: async (path, body, options) => (await call("PUT", path, { body, ...options })).data,
  patch: async (path, body, options) => (await call("PATCH", path, { body, ...options })).data,
  delete: async (path, options) => (await call("DELETE", path, options)).data,
};

/** A public endpoint (no token), e.g. the town ratings. */
export async function publicGet(path, query) {
  return (await fetchJson("GET", path, { query })).data;
}

/**
 * Upload a file as multipart field `file` with XMLHttpRequest, whose upload events give the progress bar
 * (fetch has none). `onProgress({phase, loaded, total})`: phase "uploading", then "processing" once the
 * last byte is sent and the server is reading the rows. Resolves with the JSON answer; rejects with ApiError.
 */
export function upload(path, file, { onProgress = () => {}, field = "file" } = {}) {
  return session.authorized((token) => new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("Accept-Language", LANGUAGE);
    xhr.upload.addEventListener("progress", (event) => {
      onProgress({ phase: "uploading", loaded: event.loaded, total: event.lengthComputable ? event.total : file.size });
    });
    xhr.upload.addEventListener("load", () => onProgress({ phase: "processing", loaded: file.size, total: file.size }));
    xhr.addEventListener("load", () => {
      let data = null;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        data = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(data);
      } else {
        reject(new ApiError(xhr.status, data, { get: (name) => xhr.getResponseHeader(name) }));
      }
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, { message: "上传中断，请检查网络后重试。", reason: "network_error" })));
    const form = new FormData();
    form.append(field, file);
    xhr.send(form);
  }));
}

/**
 * An image the API serves only with a token (a report's photos): fetched with the token and shown through
 * a blob: URL, which the page's CSP allows for images. Call `revoke()` when the image leaves the page.
 */
export async function imageUrl(path) {
  const blob = await session.authorized(async (token) => {
    const response = await fetch(path, { headers: { Authorization: `Bearer ${token}` }, credentials: "omit", cache: "no-store" });
    if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null), response.headers);
    return response.blob();
  });
  const url = URL.createObjectURL(blob);
  return { url, revoke: () => URL.revokeObjectURL(url) };
}
