// The review queues share one shape (SPEC §5, §6): a list of cases with their deadlines and the late ones
// marked, filters, assignment, and one case page (`#/<path>?id=N`) with the case's files and its decision
// form. The reports queue is this with the reports API; repairs and objections are the same with theirs:
//
//   export default queueScreen({
//     path: "queues/repairs", title: "信用修复", group: "审核", roles: ["admin", "reviewer"],
//     description: "…",
//     list: (main, context) => queueList({ caption: "信用修复申请", load: (query) => api.page(…, query),
//                                          caseLabel: (row) => row.application_no, columns: […], filters: […],
//                                          assign: (row) => `/api/v1/review/repairs/${row.id}/assign`, context }),
//     case: (main, id, context) => renderRepair(main, id, context),
//   });

import { api, imageUrl } from "../api.js";
import { ApiError } from "../http.js";
import { href } from "../router.js";
import * as session from "../session.js";
import { button, flash, h, tag } from "./dom.js";
import { formatDate, formatDateTime } from "./format.js";
import { listView } from "./table.js";

const DAY_MS = 24 * 60 * 60 * 1000;
const SOON_DAYS = 3;

/** Today in China time, "YYYY-MM-DD". */
export function today() {
  return formatDate(Date.now());
}

/** Whole days from today (China time) to a "YYYY-MM-DD" date: negative once it has passed. */
export function daysUntil(day) {
  const [y1, m1, d1] = today().split("-").map(Number);
  const [y2, m2, d2] = String(day).split("-").map(Number);
  return Math.round((Date.UTC(y2, m2 - 1, d2) - Date.UTC(y1, m1 - 1, d1)) / DAY_MS);
}

/**
 * A deadline as the queues show it: the date, and a tag when it needs attention. `late` is the API's
 * word that the step is past due; `done` means the step was taken (no tag then).
 */
export function deadline(day, { late = false, done = false } = {}) {
  if (!day) return "—";
  const date = h("span", { class: "nowrap" }, formatDate(day));
  if (done) return h("span", { class: "deadline" }, date, " ", tag("已完成", "off"));
  if (late) return h("span", { class: "deadline" }, date, " ", tag("逾期", "bad"));
  const left = daysUntil(day);
  if (left <= SOON_DAYS) return h("span", { class: "deadline" }, date, " ", tag(left <= 0 ? "今天到期" : `${left} 天内到期`, "warn"));
  return h("span", { class: "deadline" }, date);
}

/** The filter of a queue's "承办人" (assignee): everyone's, or mine. */
export function assigneeFilter() {
  const me = session.current().me;
  return { name: "assignee", label: "承办人", type: "select", empty: "全部", options: [{ value: String(me.id), label: "我承办的" }] };
}

/** The filter of the late ones. */
export const OVERDUE_FILTER = {
  name: "overdue", label: "是否逾期", type: "select", empty: "全部",
  options: [{ value: "true", label: "已逾期" }, { value: "false", label: "未逾期" }],
};

/** Who a case is assigned to, as far as this staff member can tell (reviewers cannot list the staff). */
export function assigneeName(staffId, names = {}) {
  if (staffId === null || staffId === undefined) return tag("未分派", "off");
  const me = session.current().me;
  if (staffId === me.id) return "我";
  return names[staffId] || `工作人员 #${staffId}`;
}

/**
 * Those a case may be assigned to: admins read the reviewers and admins from the staff list; a reviewer,
 * who may not list the staff, can take a case (assign it to themselves). [{value, label}]
 */
export async function assignees() {
  const me = session.current().me;
  const mine = [{ value: String(me.id), label: `我（${me.display_name}）` }];
  if (!session.hasRole("admin")) return mine;
  const people = [];
  for (const role of ["reviewer", "admin"]) {
    const answer = await api.page("/api/v1/admin/staff", { role, active: true, page_size: 100 });
    people.push(...answer.items);
  }
  return [...mine, ...people.filter((member) => member.id !== me.id)
    .map((member) => ({ value: String(member.id), label: `${member.display_name}（${member.username}）` }))];
}

/** Names of staff by id, for admins (an empty map for others). */
export async function staffNames() {
  if (!session.hasRole("admin")) return {};
  const names = {};
  for (const role of ["reviewer", "admin"]) {
    const answer = await api.page("/api/v1/admin/staff", { role, page_size: 100 });
    for (const member of answer.items) names[member.id] = member.display_name;
  }
  return names;
}

/**
 * The list of a queue. Options: caption, load(query), columns, filters, caseLabel(row) (its number, read
 * out on the buttons), assign(row) → the assign endpoint (or null when the case cannot be assigned),
 * status (the screen's notice area), context (the screen's context), empty, openLabel(row) (the text of the
 * button that opens the case: "办理" unless told). Each row has that button and, while the case is open,
 * "由我承办" (assign it to me).
 */
export function queueList({ caption, load, columns, filters = [], caseLabel, assign, status, context, empty,
  openLabel = () => "办理" }) {
  const me = session.current().me;
  let list = null;

  async function take(row) {
    try {
      await api.post(assign(row), { reviewer_id: me.id });
      flash(status, "success", `${caseLabel(row)} 已由您承办。`);
      list.reload();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (!error.sessionEnded) flash(status, "error", error.message);
    }
  }

  list = listView({
    caption,
    filters,
    columns,
    load,
    empty,
    actions: (row) => [
      h("a", { class: "button button-small", href: href(context.path, { id: row.id }), "aria-label": `${openLabel(row)} ${caseLabel(row)}` }, openLabel(row)),
      assign && assign(row) && row.assignee_id !== me.id
        ? button("由我承办", () => take(row), { kind: "secondary", small: true, "aria-label": `由我承办 ${caseLabel(row)}` })
        : null,
    ].filter(Boolean),
    state: context.params,
    onState: context.setParams,
  });
  return list;
}

/**
 * A case's files: images shown (fetched with the token, through blob: URLs), every file downloadable.
 * `pathOf(attachment)` is the endpoint of the feature that serves it.
 */
export function attachmentsView(attachments, pathOf, { what = "附件" } = {}) {
  if (!attachments.length) return h("p", { class: "muted" }, `没有${what}。`);
  const box = h("ul", { class: "attachments" });
  attachments.forEach((attachment, index) => {
    const name = `${what} ${index + 1}`;
    const isImage = attachment.media_type.startsWith("image/");
    const picture = isImage ? h("img", { alt: `${name}（正在加载）` }) : h("div", { class: "attachment-file" }, "PDF 文件");
    const save = button("下载", () => download(pathOf(attachment), attachment, name), {
      kind: "secondary", small: true, "aria-label": `下载${name}`,
    });
    box.append(h("li", {}, h("figure", {}, picture,
      h("figcaption", {}, `${name} · ${size(attachment.size)}`, " ", save))));
    if (isImage) showImage(picture, pathOf(attachment), name);
  });
  return box;
}

async function showImage(img, path, name) {
  try {
    const photo = await imageUrl(path);
    img.addEventListener("load", () => photo.revoke(), { once: true });
    img.src = photo.url;
    img.alt = name;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    img.alt = `${name}（未能加载：${error.message}）`;
  }
}

async function download(path, attachment, name) {
  const file = await imageUrl(path);
  const extension = { "image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf" }[attachment.media_type] || "bin";
  const link = h("a", { href: file.url, download: `${name}.${extension}`, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => file.revoke(), 10000);
}

function size(bytes) {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

/** A history of steps: [{step, at, detail}] as an ordered list. `names` gives each step's Chinese name. */
export function timeline(steps, names, describe = () => null) {
  if (!steps.length) return h("p", { class: "muted" }, "暂无记录。");
  return h("ol", { class: "timeline" }, steps.map((step) => h("li", {},
    h("span", { class: "timeline-at" }, formatDateTime(step.at)), " ", h("strong", {}, names[step.step] || step.step),
    describe(step) ? ["：", describe(step)] : null)));
}

/**
 * A queue screen: the list at `#/<path>`, one case at `#/<path>?id=N`.
 * Options: path, title, group, roles, description, list(main, context), case(main, id, context).
 */
export function queueScreen({ path, title, group, roles, description, list, case: renderCase }) {
  return {
    path,
    title,
    group,
    roles,
    description,
    render(main, context) {
      const id = Number(context.params.id);
      const withPath = { ...context, path };
      return Number.isInteger(id) && id > 0 ? renderCase(main, id, withPath) : list(main, withPath);
    },
  };
}
