// The shared list helper: filters above, a table with a caption and column headers, and pagination from
// the API's X-Pagination header. Keyboard: Tab reaches each row's buttons in reading order; ↑ and ↓ move
// between rows (to the same button of the row above or below); the filters submit with Enter.
//
//   const list = listView({
//     caption: "评定标准项目",
//     columns: [{label: "代码", value: (item) => item.code, rowHeader: true}, {label: "分值", value: ..., className: "num"}],
//     filters: [{name: "category", label: "类别", type: "select", empty: "全部", options: [...]}],
//     load: (query) => api.page("/api/v1/admin/rubric-items", query),
//     actions: (item) => [button("编辑", () => edit(item), {small: true, kind: "secondary"})],
//     state: ctx.params, onState: ctx.setParams,     // filters and page live in the URL fragment
//   });
//   main.append(list.element);   list.reload() after a change.

import { ApiError } from "../http.js";
import { h, announce, button, notice } from "./dom.js";
import { form } from "./form.js";

export const PAGE_SIZE = 20;

/** A `load` for rows already in hand (an import's errors): pages them here. */
export function fromArray(items) {
  return async ({ page = 1, page_size: size = PAGE_SIZE } = {}) => {
    const start = (page - 1) * size;
    return { items: items.slice(start, start + size), pagination: { total: items.length, total_pages: Math.ceil(items.length / size), page } };
  };
}

function cell(column, item) {
  const value = column.value(item);
  const attributes = { class: column.className || null };
  if (column.rowHeader) return h("th", { ...attributes, scope: "row" }, value);
  return h("td", attributes, value);
}

function focusables(row) {
  return [...row.querySelectorAll("a[href], button:not([disabled]), input, select, textarea, [tabindex='0']")];
}

/** ↑/↓ from a control in one row to the control at the same place in the next row. */
function rowKeys(tbody) {
  tbody.addEventListener("keydown", (event) => {
    if (!["ArrowDown", "ArrowUp"].includes(event.key) || event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    if (["INPUT", "SELECT", "TEXTAREA"].includes(target.tagName)) return;
    const row = target.closest("tr");
    if (!row) return;
    const position = Math.max(0, focusables(row).indexOf(target));
    let next = event.key === "ArrowDown" ? row.nextElementSibling : row.previousElementSibling;
    while (next && focusables(next).length === 0) {
      next = event.key === "ArrowDown" ? next.nextElementSibling : next.previousElementSibling;
    }
    if (!next) return;
    event.preventDefault();
    const controls = focusables(next);
    controls[Math.min(position, controls.length - 1)].focus();
  });
}

/**
 * Options: caption, columns [{label, value(item) → text or node, className ("num", "nowrap"), rowHeader}],
 * load(query) → {items, pagination}, filters (form fields), actions(item) → buttons, empty (text),
 * pageSize, state (initial {page, ...filters}), onState(state) (called when filters or page change),
 * filterLabel (the filter button's text).
 */
export function listView(options) {
  const { caption, columns, load, filters = [], actions, empty = "暂无记录", pageSize = PAGE_SIZE, onState } = options;
  const state = { page: 1, ...(options.state || {}) };
  state.page = Math.max(1, Number(state.page) || 1);
  const headers = [...columns.map((column) => h("th", { scope: "col", class: column.className || null }, column.label)),
    actions ? h("th", { scope: "col" }, "操作") : null];
  const tbody = h("tbody");
  rowKeys(tbody);
  const status = h("span", { class: "pager-status", "aria-live": "polite" });
  const previous = button("上一页", () => go(state.page - 1), { kind: "secondary", small: true });
  const next = button("下一页", () => go(state.page + 1), { kind: "secondary", small: true });
  const problem = h("div");
  const table = h("table", { class: "data" }, caption ? h("caption", {}, caption) : null,
    h("thead", {}, h("tr", {}, headers)), tbody);
  const pager = h("div", { class: "pager" }, status, h("div", { class: "actions" }, previous, next));
  let filterForm = null;
  if (filters.length) {
    filterForm = form({
      fields: filters,
      layout: "filters",
      submitLabel: options.filterLabel || "查询",
      errorTitle: "筛选条件有误",
      onSubmit: async (values) => {
        for (const filter of filters) delete state[filter.name];
        Object.assign(state, values, { page: 1 });
        await refresh();
      },
      secondary: [button("清空", async () => {
        filterForm.reset();
        for (const filter of filters) delete state[filter.name];
        state.page = 1;
        await refresh();
      }, { kind: "secondary" })],
    });
    const current = {};
    for (const filter of filters) if (state[filter.name] !== undefined) current[filter.name] = filter.type === "checkbox" ? state[filter.name] === true || state[filter.name] === "true" : state[filter.name];
    filterForm.setValues(current);
  }
  const element = h("section", { class: "list" }, filterForm ? filterForm.element : null, problem,
    h("div", { class: "table-wrap" }, table, pager));
  let serial = 0;

  function query() {
    const result = { page: state.page, page_size: pageSize };
    for (const filter of filters) {
      if (state[filter.name] !== undefined && state[filter.name] !== null && state[filter.name] !== "") result[filter.name] = state[filter.name];
    }
    return result;
  }

  function placeholder(text) {
    tbody.replaceChildren(h("tr", {}, h("td", { class: "empty", colspan: String(headers.filter(Boolean).length) }, text)));
  }

  async function refresh() {
    serial += 1;
    const mine = serial;
    problem.replaceChildren();
    placeholder("正在加载……");
    element.setAttribute("aria-busy", "true");
    if (onState) onState(query());
    let answer;
    try {
      answer = await load(query());
    } catch (error) {
      if (mine !== serial) return;
      element.setAttribute("aria-busy", "false");
      if (!(error instanceof ApiError)) throw error;
      if (error.sessionEnded) return;
      if (filterForm && error.status === 422 && Object.keys(error.fieldErrors).length) {
        filterForm.showError(error);
      } else {
        problem.replaceChildren(notice("error", error.message, " ", button("重试", refresh, { kind: "secondary", small: true })));
      }
      placeholder("未能加载");
      return;
    }
    if (mine !== serial) return;
    element.setAttribute("aria-busy", "false");
    const { items, pagination } = answer;
    if (!items.length) {
      placeholder(empty);
    } else {
      tbody.replaceChildren(...items.map((item) => h("tr", {}, columns.map((column) => cell(column, item)),
        actions ? h("td", { class: "nowrap" }, h("div", { class: "actions" }, actions(item))) : null)));
    }
    const total = pagination ? pagination.total : items.length;
    const pages = pagination ? Math.max(1, pagination.total_pages) : 1;
    status.textContent = total ? `第 ${state.page} / ${pages} 页，共 ${total} 条` : "共 0 条";
    previous.disabled = state.page <= 1;
    next.disabled = state.page >= pages;
    announce(status.textContent);
  }

  async function go(page) {
    state.page = page;
    await refresh();
    const first = tbody.querySelector("a[href], button");
    if (first) first.focus();
  }

  refresh();
  return { element, reload: refresh, state };
}
