// Screens by URL fragment: "#/admin/rubric?page=2" opens the screen whose path is "admin/rubric" with
// params {page: "2"}. The fragment never reaches the server; still, keep personal data (ID numbers, names)
// out of it, since it stays in the browser's history.

import { h, clear, notice, pageHead } from "./ui/dom.js";
import * as session from "./session.js";

const TITLE = "江阴市信用办工作台";

export function parseLocation(hash = window.location.hash) {
  const text = hash.replace(/^#\/?/, "");
  const [path, search = ""] = text.split("?");
  return { path: path.replace(/\/$/, ""), params: Object.fromEntries(new URLSearchParams(search)) };
}

export function href(path, params = {}) {
  const search = new URLSearchParams(Object.entries(params).filter(([, value]) => value !== undefined && value !== null && value !== "")).toString();
  return `#/${path}${search ? `?${search}` : ""}`;
}

/** May the signed-in staff member open this screen? */
export function allowed(screen) {
  return session.hasRole(...screen.roles);
}

export function createRouter({ screens, groups, main, nav }) {
  let active = null; // {screen, controller}

  function renderNav(current) {
    const visible = screens.filter((screen) => screen.group && allowed(screen));
    nav.replaceChildren(...groups.map((group) => {
      const entries = visible.filter((screen) => screen.group === group);
      if (!entries.length) return null;
      const headingId = `nav-${groups.indexOf(group)}`;
      return h("div", { class: "nav-group" },
        h("h2", { id: headingId }, group),
        h("ul", { "aria-labelledby": headingId }, entries.map((screen) => h("li", {},
          h("a", { href: href(screen.path), "aria-current": screen === current ? "page" : null },
            h("span", {}, screen.title), screen.pending ? h("span", { class: "nav-badge" }, "待开放") : null)))));
    }).filter(Boolean));
  }

  async function show({ focus = true } = {}) {
    const { path, params } = parseLocation();
    const screen = screens.find((candidate) => candidate.path === path) || screens.find((candidate) => candidate.path === "");
    if (active) active.controller.abort();
    const controller = new AbortController();
    active = { screen, controller };
    renderNav(screen);
    document.title = screen.path ? `${screen.title} · ${TITLE}` : TITLE;
    // Each screen renders into its own box: whatever a screen left loading still adds to its box once the
    // staff member has moved on, never to the next screen.
    const host = h("div", { class: "screen" });
    clear(main).append(host);
    if (!allowed(screen)) {
      host.append(pageHead(screen.title), notice("error", "您的账号无权使用此功能。"));
    } else {
      const current = () => !controller.signal.aborted;
      const context = {
        params,
        screens,
        groups,
        signal: controller.signal,
        navigate: (to, toParams) => { window.location.hash = href(to, toParams); },
        // Keep a list's page and filters in the fragment without opening the screen again.
        setParams: (next) => { if (current()) history.replaceState(null, "", href(screen.path, next)); },
        refresh: () => show({ focus: false }),
      };
      try {
        await screen.render(host, context);
      } catch (error) {
        if (!current()) return;
        if (error && error.sessionEnded) return;
        host.append(notice("error", (error && error.message) || "页面出错了。"));
        console.error(error);
      }
    }
    if (focus && active.screen === screen) {
      const heading = main.querySelector("h1");
      (heading || main).focus();
    }
  }

  window.addEventListener("hashchange", () => show());
  return { show, renderNav };
}
