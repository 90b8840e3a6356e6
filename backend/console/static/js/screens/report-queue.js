// 举报审核: the office's queue of reports with their deadlines (GET /api/v1/review/reports), and one report's
// page: its facts and photos, the steps of the office (acknowledge, assign, extend, forward to the
// department, ask the reporter), the department's findings, the reporter's identity behind
// `reports:identity` (each view recorded by the API), and the final decision with the rubric items to apply.

import { api, publicGet } from "../api.js";
import { ApiError } from "../http.js";
import {
  FINDINGS, FORWARD_STATUSES, LATE_STEPS, REPORT_OUTCOMES, REPORT_STATUSES, REPORT_STEPS, RESIDENT_STATUSES,
  REWARD_STATUSES, SCREENINGS, SUBJECT_TYPES, label, options,
} from "../labels.js";
import { href } from "../router.js";
import * as session from "../session.js";
import { append, button, clear, facts, flash, h, notice, pageHead, tag } from "../ui/dom.js";
import { editor } from "../ui/editor.js";
import { formatDateTime, formatNumber } from "../ui/format.js";
import { asNumber, form } from "../ui/form.js";
import {
  OVERDUE_FILTER, assigneeFilter, assigneeName, assignees, attachmentsView, deadline, queueList, queueScreen,
  staffNames, timeline,
} from "../ui/queue.js";

const PATH = "/api/v1/review/reports";
const OFFICE = ["admin", "reviewer"];

/** The report categories (public), for the filter and the forwarding hint. */
async function categories() {
  try {
    return await publicGet("/api/v1/public/report-categories", { page_size: 100 });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return [];
  }
}

/** The published rubric's items, flat. */
async function rubricItems() {
  try {
    const groups = await publicGet("/api/v1/public/rubric");
    return groups.flatMap((group) => group.items);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return [];
  }
}

function statusTags(report) {
  return h("span", { class: "tags" },
    tag(label(REPORT_STATUSES, report.status), report.status === "decided" ? "off" : "ok"),
    report.outcome ? [" ", tag(label(REPORT_OUTCOMES, report.outcome), report.outcome === "substantiated" ? "bad" : "off")] : null,
    report.extended ? [" ", tag("已延期", "warn")] : null,
    report.flagged ? [" ", tag(`内容${label(SCREENINGS, report.screening)}`, "warn")] : null,
    report.late.map((step) => [" ", tag(label(LATE_STEPS, step), "bad")]));
}

function subjectText(subject) {
  const number = subject.masked_id_number || subject.uscc;
  return `${label(SUBJECT_TYPES, subject.type)} · ${subject.masked_name}${number ? ` · ${number}` : ""}`;
}

// --- the queue -------------------------------------------------------------------------------------------

async function renderQueue(main, context) {
  const status = h("div");
  main.append(pageHead("举报审核", "按办结期限排序，逾期的步骤标红。点击“办理”查看举报、转交部门核查并作出决定。"), status);
  const [kinds, names] = await Promise.all([categories(), staffNames()]);
  const list = queueList({
    caption: "举报",
    caseLabel: (report) => report.report_no,
    filters: [
      { name: "status", label: "状态", type: "select", empty: "全部", options: options(REPORT_STATUSES) },
      { name: "category", label: "类别", type: "select", empty: "全部", options: kinds.map((kind) => ({ value: kind.code, label: kind.name })) },
      OVERDUE_FILTER,
      assigneeFilter(),
    ],
    columns: [
      { label: "编号", value: (report) => h("a", { href: href(context.path, { id: report.id }) }, report.report_no), rowHeader: true, className: "nowrap" },
      { label: "类别", value: (report) => report.category.name, className: "nowrap" },
      { label: "被举报对象", value: (report) => subjectText(report.subject) },
      { label: "状态", value: statusTags },
      { label: "受理期限", value: (report) => deadline(report.acknowledge_due_on, { late: report.late.includes("acknowledge"), done: report.status !== "submitted" }) },
      { label: "核查期限", value: (report) => deadline(report.finding_due_on, { late: report.late.includes("finding") }) },
      { label: "办结期限", value: (report) => deadline(report.decide_due_on, { late: report.late.includes("decide"), done: report.status === "decided" }) },
      { label: "承办人", value: (report) => assigneeName(report.assignee_id, names) },
    ],
    load: (query) => api.page(PATH, query),
    assign: (report) => (report.status === "decided" ? null : `${PATH}/${report.id}/assign`),
    openLabel: (report) => (report.status === "decided" ? "查看" : "办理"),
    status,
    context,
    empty: "没有符合条件的举报",
  });
  main.append(list.element);
}

// --- one report ------------------------------------------------------------------------------------------

async function renderReport(main, id, context) {
  const base = `${PATH}/${id}`;
  const head = h("div");
  const status = h("div");
  const panel = editor();
  const body = h("div");
  head.append(pageHead("举报办理"));
  main.append(head, status, panel.element, body);
  const [first, kinds, items, names] = await Promise.all([api.get(base), categories(), rubricItems(), staffNames()]);
  const admin = session.hasRole("admin");
  let report = first;

  const attachmentPath = (attachment) => `${base}/attachments/${attachment.upload_id}`;

  async function reload() {
    report = await api.get(base);
    draw();
  }

  /** Run one step of the office; the answer (the report, or nothing) redraws the page. */
  function step(title, fields, submitLabel, send, done) {
    const stepForm = form({
      fields,
      submitLabel,
      onSubmit: send,
      onSuccess: async (answer) => {
        panel.close({ restoreFocus: false });
        if (answer && answer.report_no) {
          report = answer;
          draw();
        } else {
          await reload();
        }
        flash(status, "success", done);
      },
    });
    panel.open(title, stepForm.element);
  }

  async function acknowledge() {
    try {
      report = await api.post(`${base}/acknowledge`);
      draw();
      flash(status, "success", "已受理；实名举报人会收到通知。");
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (!error.sessionEnded) flash(status, "error", error.message);
    }
  }

  async function assign() {
    let people;
    try {
      people = await assignees();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (!error.sessionEnded) flash(status, "error", error.message);
      return;
    }
    step("分派承办人", [{ name: "reviewer_id", label: "承办人", type: "select", required: true, empty: "请选择", options: people, parse: asNumber }],
      "分派", (values) => api.post(`${base}/assign`, values), "已分派。");
  }

  function extend() {
    step("延期办结", [{ name: "reason", label: "延期理由", type: "textarea", required: true,
      hint: "只能延期一次：办结期限改为举报之日起 90 天" }], "延期", (values) => api.post(`${base}/extend`, values), "已延期。");
  }

  function forward() {
    const kind = kinds.find((candidate) => candidate.code === report.category.code);
    step("转交部门核查", [{ name: "source", label: "核查部门（来源名）", placeholder: kind ? kind.department_source : "",
      hint: `留空则转交该类别的核查部门${kind ? `（${kind.department_source}）` : ""}；只转交事实、对象和附件，不含举报人` }],
    "转交", (values) => api.post(`${base}/forward`, values), "已转交，部门须在 10 个工作日内答复。");
  }

  function ask() {
    step("向举报人提问", [{ name: "text", label: "问题", type: "textarea", required: true,
      hint: "举报人在小程序的举报详情（实名）或回执查询（匿名）中看到并答复" }], "发送", (values) => api.post(`${base}/questions`, values), "问题已发送。");
  }

  function officeSteps() {
    if (report.status === "decided") return null;
    return h("section", { class: "panel", "aria-labelledby": "report-steps" },
      h("h2", { id: "report-steps" }, "办理"),
      h("div", { class: "actions" },
        report.status === "submitted" ? button("受理", acknowledge) : null,
        button("分派承办人", assign, { kind: "secondary" }),
        button("转交部门核查", forward, { kind: "secondary" }),
        button("向举报人提问", ask, { kind: "secondary" }),
        report.extended ? null : button("延期办结", extend, { kind: "secondary" })));
  }

  function reporterSection() {
    if (!session.hasPermission("reports:identity")) return null;
    const result = h("div", { class: "identity", "aria-live": "polite" });
    const show = async () => {
      result.replaceChildren(h("p", { class: "muted" }, "正在查看……"));
      try {
        const who = await api.get(`${base}/reporter`);
        if (who.anonymous || !who.resident) {
          result.replaceChildren(notice("info", "匿名举报：系统不保存举报人身份。"));
          return;
        }
        const person = who.resident;
        result.replaceChildren(facts([
          ["姓名", person.masked_name], ["身份证号", person.masked_id_number], ["手机号", person.masked_phone || "—"],
          ["镇街 · 村（社区）", `${person.town} · ${person.village}`], ["户籍状态", label(RESIDENT_STATUSES, person.status)],
        ]), h("p", { class: "muted" }, `本次查看已于 ${formatDateTime(new Date())} 记入审计记录。`));
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        if (!error.sessionEnded) result.replaceChildren(notice("error", error.message));
      }
    };
    return h("section", { class: "panel", "aria-labelledby": "report-reporter" },
      h("h2", { id: "report-reporter" }, "举报人身份"),
      report.anonymous
        ? h("p", {}, "匿名举报：系统不保存举报人身份。")
        : [h("p", { class: "muted" }, "只在需要时查看。每次查看都记入审计记录，被举报人永远看不到举报人。"),
          button("查看举报人身份", show, { kind: "secondary" }), result]);
  }

  function forwardsSection() {
    const rows = report.forwards;
    return h("section", { class: "panel", "aria-labelledby": "report-forwards" },
      h("h2", { id: "report-forwards" }, "部门核查"),
      rows.length ? rows.map((row) => h("div", { class: "forward" },
        facts([
          ["核查部门", h("code", {}, row.source)],
          ["转交时间", formatDateTime(row.forwarded_at)],
          ["答复期限", deadline(row.due_on, { late: row.late, done: row.status !== "pending" })],
          ["状态", tag(label(FORWARD_STATUSES, row.status), row.status === "pending" ? "warn" : "off")],
          ["核查结论", row.finding ? tag(label(FINDINGS, row.finding), row.finding === "confirmed" ? "ok" : "off") : "—"],
          ["说明", row.note || "—"],
          ["答复时间", formatDateTime(row.finding_at) || "—"],
        ]),
        row.evidence.length ? attachmentsView(row.evidence, attachmentPath, { what: "核查证据" }) : null))
        : h("p", { class: "muted" }, "尚未转交部门核查。属实的决定需要部门“核查属实”的结论。"));
  }

  function messagesSection() {
    if (!report.messages.length) return null;
    return h("section", { class: "panel", "aria-labelledby": "report-messages" },
      h("h2", { id: "report-messages" }, "与举报人的往来"),
      h("ol", { class: "messages" }, report.messages.map((message) => h("li", { class: `message message-${message.kind}` },
        h("div", { class: "muted" }, message.kind === "question" ? "信用办提问" : "举报人答复", " · ", formatDateTime(message.at)),
        h("p", {}, message.text),
        message.attachments.length ? attachmentsView(message.attachments, attachmentPath, { what: "答复附件" }) : null))));
  }

  function decisionView() {
    const decision = report.decision;
    return h("section", { class: "panel", "aria-labelledby": "report-decision" },
      h("h2", { id: "report-decision" }, "处理决定"),
      facts([
        ["处理结果", tag(label(REPORT_OUTCOMES, decision.outcome), decision.outcome === "substantiated" ? "bad" : "off")],
        ["决定时间", formatDateTime(decision.decided_at)],
        ["决定理由", decision.note],
        ["适用的扣分项目", decision.rubric_code ? h("code", {}, decision.rubric_code) : "—"],
        ["依据的核查结论", decision.finding ? `${decision.finding.source} · ${label(FINDINGS, decision.finding.finding)} · ${formatDateTime(decision.finding.finding_at)}` : "—"],
        decision.override_reason ? ["无核查结论的理由", decision.override_reason] : null,
        ["举报奖励", report.reward ? `¥${formatNumber(report.reward.amount)} · ${label(REWARD_STATUSES, report.reward.status)}` : "无"],
      ].filter(Boolean)));
  }

  function decisionForm() {
    const penalties = items.filter((item) => item.kind === "penalty");
    const bonuses = items.filter((item) => item.kind === "bonus" && item.category === "reporting");
    const kind = kinds.find((candidate) => candidate.code === report.category.code);
    const person = report.subject.type === "person";
    const confirmed = report.forwards.some((row) => row.status === "answered" && row.finding === "confirmed");
    const fields = [
      { name: "outcome", label: "处理结果", type: "select", required: true, empty: "请选择", options: options(REPORT_OUTCOMES),
        hint: confirmed ? "部门已核查属实" : "“属实”需要部门“核查属实”的结论" },
      { name: "note", label: "决定理由", type: "textarea", required: true, hint: "写明依据；实名举报人会收到处理结果" },
    ];
    if (person) {
      fields.push({ name: "rubric_code", label: "适用的扣分项目", type: "select",
        empty: `按举报类别${kind ? `（${kind.rubric_code}）` : ""}`,
        options: penalties.map((item) => ({ value: item.code, label: `${item.code} ${item.title}（${item.points} 分）` })),
        hint: "属实时对被举报居民适用的评定标准项目" });
      fields.push({ name: "subject_resident_id", label: "被举报居民编号", type: "number", min: 1,
        hint: report.subject_credit ? `默认：举报时身份证号对应的居民（编号 ${report.subject_credit.resident.id}）` : "举报未写身份证号时，填写户籍中的居民编号" });
    }
    if (!report.anonymous) {
      fields.push({ name: "reward_rubric_code", label: "举报人加分项目", type: "select", empty: "一般举报奖励（默认）",
        options: bonuses.map((item) => ({ value: item.code, label: `${item.code} ${item.title}（+${item.points} 分）` })),
        hint: "属实时给实名举报人的加分" });
    }
    fields.push({ name: "reward_amount", label: "奖励金额（元）", type: "number", min: 0,
      hint: "属实且为同组第一份属实的举报时必填，须在奖励上下限之内" });
    if (admin) {
      fields.push({ name: "without_finding_reason", label: "无核查结论作出属实决定的理由", type: "textarea",
        hint: "仅管理员：部门未核查属实而直接认定属实时填写，记入决定" });
    }
    const decide = form({
      fields,
      submitLabel: "提交决定",
      errorTitle: "未能作出决定",
      labels: { reward_amount: "奖励金额（元）" },
      onSubmit: (values) => api.post(`${base}/decision`, values),
      onSuccess: (answer) => {
        report = answer;
        draw();
        flash(status, "success", `已作出决定：${label(REPORT_OUTCOMES, answer.outcome)}。`);
      },
    });
    return h("section", { class: "panel", "aria-labelledby": "report-decide" },
      h("h2", { id: "report-decide" }, "作出决定"),
      h("p", { class: "muted" }, "决定一经提交即为最终决定：扣分、加分和奖励在同一事务中生效。"),
      decide.element);
  }

  function describeStep(entry) {
    if (entry.step === "assigned") return assigneeName(Number(entry.detail), names);
    if (entry.step === "forwarded") return entry.detail;
    if (entry.step === "finding") return label(FINDINGS, entry.detail);
    if (entry.step === "decided") return label(REPORT_OUTCOMES, entry.detail);
    return null;
  }

  function draw() {
    head.replaceChildren(pageHead(`举报 ${report.report_no}`, `${report.category.name} · ${label(REPORT_STATUSES, report.status)}`,
      h("a", { class: "button button-secondary", href: href(context.path) }, "返回队列")));
    const credit = report.subject_credit;
    append(clear(body), [
      h("section", { class: "panel", "aria-labelledby": "report-facts" },
        h("h2", { id: "report-facts" }, "举报概况"),
        facts([
          ["状态", statusTags(report)],
          ["类别", report.category.name],
          ["举报方式", report.anonymous ? "匿名" : "实名"],
          ["被举报对象", subjectText(report.subject)],
          ["发生时间", formatDateTime(report.occurred_at)],
          ["举报时间", formatDateTime(report.filed_at)],
          ["地点", [report.town, report.location].filter(Boolean).join(" · ") || "—"],
          ["受理期限", deadline(report.acknowledge_due_on, { late: report.late.includes("acknowledge"), done: report.status !== "submitted" })],
          ["办结期限", deadline(report.decide_due_on, { late: report.late.includes("decide"), done: report.status === "decided" })],
          report.extension_reason ? ["延期理由", report.extension_reason] : null,
          ["承办人", assigneeName(report.assignee_id, names)],
          report.duplicate_of ? ["重复举报", `与 ${report.duplicate_of} 同组`] : null,
          report.group.length ? ["同组举报", report.group.map((other) => `${other.report_no}（${label(REPORT_STATUSES, other.status)}${other.outcome ? `，${label(REPORT_OUTCOMES, other.outcome)}` : ""}）`).join("；")] : null,
        ].filter(Boolean))),
      h("section", { class: "panel", "aria-labelledby": "report-content" },
        h("h2", { id: "report-content" }, "举报内容"),
        h("p", { class: "report-text" }, report.description),
        h("h3", {}, "照片与附件"),
        attachmentsView(report.attachments, attachmentPath, { what: "举报照片" })),
      credit ? h("section", { class: "panel", "aria-labelledby": "report-subject" },
        h("h2", { id: "report-subject" }, "被举报居民的信用"),
        h("p", { class: "muted" }, report.status === "decided" ? "本次查看记为“举报核查”查询记录，被举报人可以看到。"
          : "本次查看记为“举报核查”查询记录，举报办结后被举报人才能看到。"),
        facts([
          ["居民", `${credit.resident.masked_name} · ${credit.resident.masked_id_number}（编号 ${credit.resident.id}）`],
          ["镇街 · 村（社区）", `${credit.resident.town} · ${credit.resident.village}`],
          ["信用分", formatNumber(credit.points)],
          ["星级", `${credit.stars}★ ${credit.level_name}`],
        ])) : null,
      officeSteps(),
      forwardsSection(),
      messagesSection(),
      reporterSection(),
      report.decision ? decisionView() : decisionForm(),
      h("section", { class: "panel", "aria-labelledby": "report-history" },
        h("h2", { id: "report-history" }, "办理记录"),
        timeline(report.history, REPORT_STEPS, describeStep))]);
  }

  draw();
}

export default queueScreen({
  path: "queues/reports",
  title: "举报审核",
  group: "审核",
  roles: OFFICE,
  list: renderQueue,
  case: renderReport,
});
