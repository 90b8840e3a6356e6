// 工作台: who is signed in, the screens they can open, and (for the credit office) the towns' credit
// households, from the public ratings.

import { publicGet } from "../api.js";
import { ApiError } from "../http.js";
import { PERMISSIONS, ROLES, label } from "../labels.js";
import { href } from "../router.js";
import * as session from "../session.js";
import { barChart } from "../ui/charts.js";
import { h, facts, notice, pageHead } from "../ui/dom.js";
import { formatDateTime, formatNumber } from "../ui/format.js";

async function townChart(panel) {
  const box = h("div", { class: "chart" }, h("p", { class: "muted" }, "正在加载……"));
  const table = h("div");
  panel.append(box, table);
  let towns;
  try {
    towns = await publicGet("/api/v1/public/towns");
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    box.replaceChildren(notice("error", error.message));
    return;
  }
  if (!towns.length) {
    box.replaceChildren(h("p", { class: "muted" }, "尚无户籍数据。"));
    return;
  }
  await barChart(box, {
    labels: towns.map((town) => town.town),
    datasets: [
      { label: "户数", data: towns.map((town) => town.households) },
      { label: "信用户", data: towns.map((town) => town.credit_households) },
    ],
    yTitle: "户",
    description: "各镇街户数与信用户数的柱状图，数字见下表",
  });
  table.replaceChildren(h("div", { class: "table-wrap" }, h("table", { class: "data" },
    h("caption", {}, "各镇街信用户与信用村"),
    h("thead", {}, h("tr", {}, ["镇街", "户数", "信用户", "村（社区）", "信用村", "信用镇"].map((text, index) =>
      h("th", { scope: "col", class: index && index < 5 ? "num" : null }, text)))),
    h("tbody", {}, towns.map((town) => h("tr", {},
      h("th", { scope: "row" }, town.town),
      h("td", { class: "num" }, formatNumber(town.households)),
      h("td", { class: "num" }, formatNumber(town.credit_households)),
      h("td", { class: "num" }, formatNumber(town.villages)),
      h("td", { class: "num" }, formatNumber(town.credit_villages)),
      h("td", {}, town.is_credit_town ? "是" : "否")))))));
}

export default {
  path: "",
  title: "工作台",
  group: "工作台",
  roles: ["admin", "reviewer", "department"],
  async render(main, { screens, groups }) {
    const state = session.current();
    const me = state.me;
    const shortcuts = groups.map((group) => [group, screens.filter((screen) =>
      screen.path && screen.group === group && session.hasRole(...screen.roles))]).filter(([, entries]) => entries.length);
    main.append(
      pageHead("工作台", `您好，${me.display_name}。`),
      h("div", { class: "grid-2" },
        h("section", { class: "panel", "aria-labelledby": "home-account" },
          h("h2", { id: "home-account" }, "我的账号"),
          facts([
            ["用户名", me.username],
            ["角色", label(ROLES, me.role)],
            me.source ? ["报送来源", me.source] : null,
            ["权限", me.permissions.length ? me.permissions.map((name) => label(PERMISSIONS, name)).join("、") : "无"],
            ["登录有效至", formatDateTime(state.refreshExpiresAt)],
          ].filter(Boolean))),
        h("section", { class: "panel", "aria-labelledby": "home-shortcuts" },
          h("h2", { id: "home-shortcuts" }, "常用功能"),
          h("div", { class: "shortcuts" }, shortcuts.map(([group, entries]) => h("div", {},
            h("h3", {}, group),
            h("ul", {}, entries.map((screen) => h("li", {},
              h("a", { href: href(screen.path) }, screen.title),
              screen.pending ? h("span", { class: "muted" }, " 待开放") : null)))))))));
    if (session.hasRole("admin", "reviewer")) {
      const panel = h("section", { class: "panel", "aria-labelledby": "home-towns" },
        h("h2", { id: "home-towns" }, "各镇街信用户情况"));
      main.append(panel);
      await townChart(panel);
    }
  },
};
