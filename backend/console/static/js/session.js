// The staff member's sign-in: the token pair, refreshed before it expires, and sign-out (SPEC §10).
//
// Where the tokens live: sessionStorage of this tab, never a URL, a cookie or localStorage. A reload keeps
// the reviewer at work; closing the tab forgets the tokens; another tab signs in on its own; and nothing is
// written to disk for later. Memory alone would sign staff out at every reload, and localStorage would keep
// a 12-hour refresh token on disk and share it between tabs that would then race to rotate it. The page's
// CSP (scripts from this origin only, nothing inline) is what keeps other scripts away from the storage.

import { fetchJson, ApiError } from "./http.js";
import { parseInstant } from "./ui/format.js";

const STORAGE_KEY = "chengxin.console.session";
// Refresh when the access token (2 hours) has less than this left; the sign-in itself lasts 12 hours.
export const REFRESH_MARGIN_MS = 5 * 60 * 1000;
// After a failed refresh that may pass (network, rate limit), try again this much later.
const RETRY_MS = 30 * 1000;

let state = null; // {accessToken, refreshToken, accessExpiresAt, refreshExpiresAt, roles, me}
let inflight = null;
let timer = null;
const listeners = new Set();

/** The current sign-in, or null. `me` is GET /api/v1/staff/me: name, role, source, permissions. */
export function current() {
  return state;
}

/** `listener(state, why)` runs on "signed-in", "refreshed", "signed-out", "expired" and "revoked". */
export function onChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function emit(why) {
  for (const listener of listeners) listener(state, why);
}

export function hasRole(...roles) {
  return Boolean(state && state.roles.some((role) => roles.includes(role)));
}

export function hasPermission(permission) {
  return Boolean(state && state.me && state.me.permissions.includes(permission));
}

function fromPair(pair, me) {
  const now = Date.now();
  const accessMs = pair.expires_in * 1000;
  // Both lifetimes from the server's own times, so a wrong clock on this computer does not matter.
  const refreshMs = parseInstant(pair.refresh_expires_at) - parseInstant(pair.access_expires_at) + accessMs;
  return {
    accessToken: pair.access_token,
    refreshToken: pair.refresh_token,
    accessExpiresAt: now + accessMs,
    refreshExpiresAt: now + refreshMs,
    roles: pair.roles,
    me,
  };
}

function save() {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(state));
}

function end(why) {
  clearTimeout(timer);
  timer = null;
  const had = state !== null;
  state = null;
  sessionStorage.removeItem(STORAGE_KEY);
  if (had) emit(why);
}

async function loadMe(accessToken) {
  const { data } = await fetchJson("GET", "/api/v1/staff/me", { headers: { Authorization: `Bearer ${accessToken}` } });
  return data;
}

/** Sign in with username and password; throws ApiError (401 invalid_credentials, 429 rate_limited …). */
export async function signIn(username, password) {
  const { data } = await fetchJson("POST", "/api/v1/auth/staff-login", { body: { username, password } });
  const signedIn = fromPair(data, null);
  signedIn.me = await loadMe(signedIn.accessToken);
  state = signedIn;
  save();
  schedule();
  emit("signed-in");
  return state;
}

/**
 * Rotate the pair. One refresh at a time: callers arriving while one is in flight share its answer, so a
 * burst of expired calls spends the refresh token once.
 */
export function refresh() {
  if (!state) return Promise.reject(Object.assign(new ApiError(401, { reason: "unauthenticated", message: "请先登录。" }), { sessionEnded: true }));
  if (inflight) return inflight;
  const spent = state.refreshToken;
  inflight = (async () => {
    try {
      const { data } = await fetchJson("POST", "/api/v1/auth/refresh", { body: { refresh_token: spent } });
      if (!state || state.refreshToken !== spent) return state; // signed out meanwhile
      state = fromPair(data, state.me);
      save();
      schedule();
      emit("refreshed");
      return state;
    } catch (error) {
      if (error.status === 401) {
        error.sessionEnded = true;
        end(error.reason === "token_expired" ? "expired" : "revoked");
      } else if (state) {
        clearTimeout(timer);
        timer = setTimeout(tick, RETRY_MS);
      }
      throw error;
    } finally {
      inflight = null;
    }
  })();
  return inflight;
}

/** An access token with some life left: refreshed first when it is about to expire. */
export async function freshAccessToken() {
  if (!state) throw Object.assign(new ApiError(401, { reason: "unauthenticated", message: "请先登录。" }), { sessionEnded: true });
  if (state.accessExpiresAt - Date.now() < 30 * 1000) await refresh();
  return state.accessToken;
}

/**
 * A request with the access token. A 401 token_expired (a sleeping laptop, a late timer) refreshes and
 * tries once more; any other 401 means the sign-in is over (disabled account, sign-out elsewhere).
 */
export async function authorized(send) {
  const token = await freshAccessToken();
  try {
    return await send(token);
  } catch (error) {
    if (error.status !== 401) throw error;
    if (error.reason !== "token_expired") {
      error.sessionEnded = true;
      end("revoked");
      throw error;
    }
  }
  await refresh();
  try {
    return await send(state.accessToken);
  } catch (error) {
    if (error.status === 401) {
      error.sessionEnded = true;
      end("revoked");
    }
    throw error;
  }
}

/** End the sign-in on the server (its refresh token and access tokens stop working) and here. */
export async function signOut() {
  if (!state) return;
  try {
    await authorized((token) => fetchJson("POST", "/api/v1/auth/logout", { headers: { Authorization: `Bearer ${token}` } }));
  } catch {
    // Signed out here regardless; the server-side sign-in then ends on its own within 12 hours.
  }
  end("signed-out");
}

function schedule() {
  clearTimeout(timer);
  if (!state) return;
  const now = Date.now();
  const next = Math.min(state.accessExpiresAt - REFRESH_MARGIN_MS, state.refreshExpiresAt);
  timer = setTimeout(tick, Math.max(0, Math.min(next - now, 2 ** 31 - 1)));
}

function tick() {
  if (!state) return;
  const now = Date.now();
  if (now >= state.refreshExpiresAt) {
    end("expired");
  } else if (state.accessExpiresAt - now <= REFRESH_MARGIN_MS) {
    refresh().catch(() => {});
  } else {
    schedule();
  }
}

/** Pick up this tab's sign-in after a reload; refreshes at once when the access token is nearly spent. */
export async function restore() {
  let saved = null;
  try {
    saved = JSON.parse(sessionStorage.getItem(STORAGE_KEY));
  } catch {
    saved = null;
  }
  if (!saved || !saved.refreshToken || Date.now() >= saved.refreshExpiresAt) {
    sessionStorage.removeItem(STORAGE_KEY);
    return null;
  }
  state = saved;
  try {
    if (state.accessExpiresAt - Date.now() <= REFRESH_MARGIN_MS) await refresh();
    // Roles and permissions as they are now: an admin may have changed them since.
    state.me = await authorized(loadMe);
    state.roles = [state.me.role];
    save();
  } catch (error) {
    if (!state) return null; // the sign-in had ended on the server
    // Anything else (no network, a rate limit): keep the sign-in; the next calls try again.
  }
  schedule();
  return state;
}

// A laptop woken from sleep: its timers ran late, so look at the clock again.
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") tick();
});
