// 转办举报: the reports the credit office forwarded to this department for verification (GET
// /api/v1/department/reports), waiting ones first with their deadlines, and one report's page: the facts,
// the subject and the photos (never the reporter), and the findings form with evidence uploaded first.

import { api, upload } from "../api.js";
import { FINDINGS, FORWARD_STATUSES, SUBJECT_TYPES, label, options } from "../labels.js";
import { href } from "../router.js";
import * as session from "../session.js";
import { append, clear, facts, flash, h, pageHead, tag } from "../ui/dom.js";
import { formatDateTime } from "../ui/format.js";
import { form } from "../ui/form.js";
import { attachmentsView, deadline, queueList, queueScreen } from "../ui/queue.js";

const PATH = "/api/v1/department/reports";

function subjectText(subject) {
  const number = subject.masked_id_number || subject.uscc;
  return `${label(SUBJECT_TYPES, subject.type)} · ${subject.masked_name}${number ? ` · ${number}` : ""}`;
}

function forwardTag(forward) {
  if (forward.status === "pending") return tag(forward.late ? "逾期未答复" : "待核查", forward.late ? "bad" : "warn");
  return tag(forward.finding ? label(FINDINGS, forward.finding) : label(FORWARD_STATUSES, forward.status), "off");
}

function renderList(main, context) {
  const me = session.current().me;
  const status = h("div");
  main.append(pageHead("转办举报", `信用办转交${me.source ? `本部门（${me.source}）` : "本部门"}核查的举报。请在答复期限内填报核查结论。`), status);
  const list = queueList({
    caption: "转办举报",
    caseLabel: (line) => line.report_no,
    columns: [
      { label: "编号", value: (line) => h("a", { href: href(context.path, { id: line.id }) }, line.report_no), rowHeader: true, className: "nowrap" },
      { label: "类别", value: (line) => line.category.name, className: "nowrap" },
      { label: "被举报对象", value: (line) => subjectText(line.subject) },
      { label: "转交时间", value: (line) => formatDateTime(line.forward.forwarded_at), className: "nowrap" },
      { label: "答复期限", value: (line) => deadline(line.forward.due_on, { late: line.forward.late, done: line.forward.status !== "pending" }) },
      { label: "状态", value: (line) => forwardTag(line.forward) },
    ],
    load: (query) => api.page(PATH, query),
    assign: () => null,
    openLabel: (line) => (line.forward.status === "pending" ? "办理" : "查看"),
    status,
    context,
    empty: "暂无转交本部门的举报",
  });
  main.append(list.element);
}

async function renderReport(main, id, context) {
  const base = `${PATH}/${id}`;
  const head = h("div", {}, pageHead("转办举报"));
  const status = h("div");
  const body = h("div");
  main.append(head, status, body);
  let report = await api.get(base);
  const attachmentPath = (attachment) => `${base}/attachments/${attachment.upload_id}`;

  function findingForm() {
    const findings = form({
      fields: [
        { name: "finding", label: "核查结论", type: "select", required: true, empty: "请选择", options: options(FINDINGS) },
        { name: "note", label: "核查说明", type: "textarea", required: true, hint: "写明核查经过与依据（如立案编号）；信用办据此作出决定" },
        { name: "evidence", label: "核查证据（可选）", type: "file", multiple: true, accept: "image/jpeg,image/png,application/pdf",
          hint: "JPEG、PNG 或 PDF，最多 9 个；照片的位置等信息会被去除" },
      ],
      submitLabel: "提交核查结论",
      errorTitle: "未能提交",
      labels: { evidence: "核查证据" },
      onSubmit: async (values) => {
        const evidence = [];
        for (const file of values.evidence || []) evidence.push((await upload("/api/v1/uploads", file)).upload_id);
        return api.post(`${base}/findings`, { finding: values.finding, note: values.note, evidence });
      },
      onSuccess: (answer) => {
        report = answer;
        draw();
        flash(status, "success", `已提交核查结论：${label(FINDINGS, answer.forward.finding)}。`);
      },
    });
    return h("section", { class: "panel", "aria-labelledby": "department-finding" },
      h("h2", { id: "department-finding" }, "填报核查结论"),
      h("p", { class: "muted" }, "核查结论一经提交不可更改。"),
      findings.element);
  }

  function findingView() {
    const forward = report.forward;
    return h("section", { class: "panel", "aria-labelledby": "department-finding" },
      h("h2", { id: "department-finding" }, "核查结论"),
      facts([
        ["结论", forwardTag(forward)],
        ["说明", forward.note || "—"],
        ["答复时间", formatDateTime(forward.finding_at) || "—"],
      ]),
      forward.evidence.length ? attachmentsView(forward.evidence, attachmentPath, { what: "核查证据" }) : null);
  }

  function draw() {
    const forward = report.forward;
    head.replaceChildren(pageHead(`举报 ${report.report_no}`, `${report.category.name} · ${label(FORWARD_STATUSES, forward.status)}`,
      h("a", { class: "button button-secondary", href: href(context.path) }, "返回列表")));
    append(clear(body), [
      h("section", { class: "panel", "aria-labelledby": "department-facts" },
        h("h2", { id: "department-facts" }, "举报概况"),
        facts([
          ["类别", report.category.name],
          ["被举报对象", subjectText(report.subject)],
          ["发生时间", formatDateTime(report.occurred_at)],
          ["举报时间", formatDateTime(report.filed_at)],
          ["地点", [report.town, report.location].filter(Boolean).join(" · ") || "—"],
          ["转交时间", formatDateTime(forward.forwarded_at)],
          ["答复期限", deadline(forward.due_on, { late: forward.late, done: forward.status !== "pending" })],
        ]),
        h("p", { class: "muted" }, "举报人身份不随举报转交。")),
      h("section", { class: "panel", "aria-labelledby": "department-content" },
        h("h2", { id: "department-content" }, "举报内容"),
        h("p", { class: "report-text" }, report.description),
        h("h3", {}, "照片与附件"),
        attachmentsView(report.attachments, attachmentPath, { what: "举报照片" })),
      forward.status === "pending" ? findingForm() : findingView()]);
  }

  draw();
}

export default queueScreen({
  path: "department/reports",
  title: "转办举报",
  group: "部门工作",
  roles: ["department"],
  list: renderList,
  case: renderReport,
});
