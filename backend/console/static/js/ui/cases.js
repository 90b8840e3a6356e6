// The office's two queues of a resident's own requests about one credit event (SPEC §6): repairs (信用修复)
// and objections (异议). They share one API shape (/api/v1/review/<kind>: queue, case, assign, decision,
// evidence), so one module builds both screens on the queue helpers; repair-queue.js and
// objection-queue.js name what differs.

import { api } from "../api.js";
import { ApiError } from "../http.js";
import { CASE_STEPS, EVENT_STATUSES, RUBRIC_CATEGORIES, SEVERITIES, label, options } from "../labels.js";
import { href } from "../router.js";
import { append, button, clear, facts, flash, h, pageHead, tag } from "./dom.js";
import { editor } from "./editor.js";
import { formatDateTime, signed } from "./format.js";
import { asNumber, form } from "./form.js";
import {
  OVERDUE_FILTER, assigneeFilter, assigneeName, assignees, attachmentsView, deadline, queueList, queueScreen,
  staffNames, timeline,
} from "./queue.js";

function residentText(resident) {
  return `${resident.masked_name} · ${resident.town} · ${resident.village}`;
}

function eventFacts(event) {
  return facts([
    ["评定标准项目", `${event.rubric_code} ${event.title}`],
    ["分值", signed(event.points)],
    ["类别", label(RUBRIC_CATEGORIES, event.category)],
    event.severity ? ["严重程度", label(SEVERITIES, event.severity)] : null,
    ["发生时间", formatDateTime(event.occurred_at)],
    ["计分截止", formatDateTime(event.effective_until)],
    ["记录状态", label(EVENT_STATUSES, event.status)],
    ["报送来源", h("code", {}, event.source)],
  ].filter(Boolean));
}

/**
 * One of the two queue screens. Options: kind ("repairs" | "objections"), path, title, description, what
 * (the name of one case: "信用修复申请"), prefix (of a case's number: "XF"), statuses, decisions (the
 * decision codes' names), good (the decision that changes the event), textLabel, textOf(case) (the
 * applicant's statement or reason), decisionHint (what each decision does).
 */
export function caseScreen({ kind, path, title, description, what, prefix, statuses, decisions, good, textLabel,
  textOf, decisionHint }) {
  const base = `/api/v1/review/${kind}`;
  const number = (item) => `${prefix}-${item.id}`;

  async function renderList(main, context) {
    const status = h("div");
    main.append(pageHead(title, description), status);
    const names = await staffNames();
    const list = queueList({
      caption: what,
      caseLabel: number,
      filters: [
        { name: "status", label: "状态", type: "select", empty: "全部", options: options(statuses) },
        OVERDUE_FILTER,
        assigneeFilter(),
      ],
      columns: [
        { label: "编号", value: (item) => h("a", { href: href(context.path, { id: item.id }) }, number(item)), rowHeader: true, className: "nowrap" },
        { label: "申请人", value: (item) => residentText(item.resident) },
        { label: "信用记录", value: (item) => `记录 #${item.event_id}`, className: "nowrap" },
        { label: "状态", value: (item) => tag(label(statuses, item.status), item.status === "pending" ? "ok" : "off") },
        { label: "提交时间", value: (item) => formatDateTime(item.filed_at), className: "nowrap" },
        { label: "办理期限", value: (item) => deadline(item.due_on, { late: item.overdue, done: item.status !== "pending" }) },
        { label: "承办人", value: (item) => assigneeName(item.assignee_id, names) },
      ],
      load: (query) => api.page(base, query),
      assign: (item) => (item.status === "pending" ? `${base}/${item.id}/assign` : null),
      openLabel: (item) => (item.status === "pending" ? "办理" : "查看"),
      status,
      context,
      empty: `没有符合条件的${what}`,
    });
    main.append(list.element);
  }

  async function renderCase(main, id, context) {
    const path = `${base}/${id}`;
    const head = h("div");
    const status = h("div");
    const panel = editor();
    const body = h("div");
    head.append(pageHead(what));
    main.append(head, status, panel.element, body);
    const [first, names] = await Promise.all([api.get(path), staffNames()]);
    let item = first;

    function showError(error) {
      if (!(error instanceof ApiError)) throw error;
      if (!error.sessionEnded) flash(status, "error", error.message);
    }

    async function assign() {
      let people;
      try {
        people = await assignees();
      } catch (error) {
        showError(error);
        return;
      }
      const assignForm = form({
        fields: [{ name: "reviewer_id", label: "承办人", type: "select", required: true, empty: "请选择", options: people, parse: asNumber }],
        submitLabel: "分派",
        onSubmit: (values) => api.post(`${path}/assign`, values),
        onSuccess: async () => {
          panel.close({ restoreFocus: false });
          item = await api.get(path);
          draw();
          flash(status, "success", "已分派。");
        },
      });
      panel.open("分派承办人", assignForm.element);
    }

    function decisionForm() {
      const decide = form({
        fields: [
          { name: "decision", label: "处理决定", type: "select", required: true, empty: "请选择", options: options(decisions),
            hint: decisionHint },
          { name: "note", label: "书面理由", type: "textarea", required: true, hint: "申请人会收到通知并看到这段理由" },
        ],
        submitLabel: "提交决定",
        errorTitle: "未能作出决定",
        onSubmit: (values) => api.post(`${path}/decision`, values),
        onSuccess: (answer) => {
          item = answer;
          draw();
          flash(status, "success", `已作出决定：${label(statuses, answer.status)}。`);
        },
      });
      return h("section", { class: "panel", "aria-labelledby": "case-decide" },
        h("h2", { id: "case-decide" }, "作出决定"),
        h("p", { class: "muted" }, "决定一经提交即为最终决定：信用记录和信用分在同一事务中改变。"),
        decide.element);
    }

    function decisionView() {
      const decision = item.decision;
      return h("section", { class: "panel", "aria-labelledby": "case-decision" },
        h("h2", { id: "case-decision" }, "处理决定"),
        facts([
          ["处理决定", tag(label(statuses, item.status), item.status === good ? "ok" : "off")],
          ["决定时间", formatDateTime(decision.decided_at)],
          ["书面理由", decision.note],
          ["决定人", assigneeName(item.decided_by, names)],
        ]));
    }

    function describeStep(step) {
      if (step.step === "assigned") return assigneeName(Number(step.detail), names);
      if (step.step === "decided") return label(statuses, step.detail) || step.detail;
      return null;
    }

    function draw() {
      const pending = item.status === "pending";
      head.replaceChildren(pageHead(`${what} ${number(item)}`, label(statuses, item.status),
        h("a", { class: "button button-secondary", href: href(context.path) }, "返回队列")));
      append(clear(body), [
        h("section", { class: "panel", "aria-labelledby": "case-facts" },
          h("h2", { id: "case-facts" }, "概况"),
          facts([
            ["状态", tag(label(statuses, item.status), pending ? "ok" : "off")],
            ["申请人", `${item.resident.masked_name} · ${item.resident.masked_id_number}（居民编号 ${item.resident.id}）`],
            ["镇街 · 村（社区）", `${item.resident.town} · ${item.resident.village}`],
            ["提交时间", formatDateTime(item.filed_at)],
            ["办理期限", deadline(item.due_on, { late: item.overdue, done: !pending })],
            item.commitment_version ? ["信用承诺书", `第 ${item.commitment_version} 版（申请时已承诺）`] : null,
            ["承办人", assigneeName(item.assignee_id, names)],
          ].filter(Boolean)),
          pending ? h("div", { class: "actions" }, button("分派承办人", assign, { kind: "secondary" })) : null),
        h("section", { class: "panel", "aria-labelledby": "case-event" },
          h("h2", { id: "case-event" }, "涉及的信用记录"),
          eventFacts(item.event)),
        h("section", { class: "panel", "aria-labelledby": "case-text" },
          h("h2", { id: "case-text" }, textLabel),
          h("p", { class: "report-text" }, textOf(item)),
          h("h3", {}, "证明材料"),
          attachmentsView(item.evidence, (file) => `${path}/attachments/${file.upload_id}`, { what: "证明材料" })),
        pending ? decisionForm() : decisionView(),
        h("section", { class: "panel", "aria-labelledby": "case-history" },
          h("h2", { id: "case-history" }, "办理记录"),
          timeline(item.history, CASE_STEPS, describeStep))]);
    }

    draw();
  }

  return queueScreen({ path, title, group: "审核", roles: ["admin", "reviewer"], description, list: renderList, case: renderCase });
}
