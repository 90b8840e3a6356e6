// 奖励发放: the rewards of substantiated reports, unpaid first (GET /api/v1/review/rewards). Staff with
// `rewards:pay` see who is to be paid (each view recorded), record the payout once, and find an anonymous
// reporter's reward by the receipt the reporter brings to the office.

import { api } from "../api.js";
import { ApiError } from "../http.js";
import { PAY_METHODS, RESIDENT_STATUSES, REWARD_STATUSES, label, options } from "../labels.js";
import * as session from "../session.js";
import { append, button, clear, facts, flash, h, notice, pageHead, tag } from "../ui/dom.js";
import { editor } from "../ui/editor.js";
import { formatDateTime, formatNumber } from "../ui/format.js";
import { form } from "../ui/form.js";
import { listView } from "../ui/table.js";

const PATH = "/api/v1/review/rewards";

function statusTag(reward) {
  const kind = { approved: "warn", paid: "ok", cancelled: "off" }[reward.status] || "off";
  return tag(label(REWARD_STATUSES, reward.status), kind);
}

export default {
  path: "rewards",
  title: "奖励发放",
  group: "审核",
  roles: ["admin", "reviewer"],
  render(main, context) {
    const paying = session.hasPermission("rewards:pay");
    const status = h("div");
    const panel = editor();
    let list = null;

    async function payee(reward) {
      try {
        const who = await api.get(`${PATH}/${reward.id}/payee`);
        const person = who.resident;
        const content = who.anonymous || !person
          ? h("p", {}, "匿名举报：凭举报人出示的回执码在窗口发放（见下方“匿名举报领奖”）。")
          : facts([["姓名", person.masked_name], ["身份证号", person.masked_id_number], ["手机号", person.masked_phone || "—"],
            ["镇街 · 村（社区）", `${person.town} · ${person.village}`], ["户籍状态", label(RESIDENT_STATUSES, person.status)]]);
        panel.open(`举报 ${reward.report_no} 的奖励领取人`, h("div", {}, content,
          h("p", { class: "muted" }, "本次查看已记入审计记录；请核对领取人的身份证件。")));
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        if (!error.sessionEnded) flash(status, "error", error.message);
      }
    }

    function pay(reward) {
      const payForm = form({
        fields: [
          { name: "paid_at", label: "发放时间", type: "datetime", required: true },
          { name: "method", label: "发放方式", type: "select", required: true, empty: "请选择", options: options(PAY_METHODS) },
          { name: "reference", label: "凭证号", required: true, hint: "转账流水号或收据本编号，加密保存" },
        ],
        submitLabel: "登记发放",
        onSubmit: (values) => api.post(`${PATH}/${reward.id}/paid`, values),
        onSuccess: () => {
          panel.close({ restoreFocus: false });
          flash(status, "success", `举报 ${reward.report_no} 的奖励 ¥${formatNumber(reward.amount)} 已登记发放。`);
          list.reload();
        },
      });
      panel.open(`登记发放：举报 ${reward.report_no}，¥${formatNumber(reward.amount)}`, payForm.element);
    }

    main.append(pageHead("奖励发放", "属实举报的奖励，待发放的在前。同一奖励只能登记发放一次。"), status,
      paying ? null : notice("info", "登记发放、查看领取人需要“登记举报奖励发放”权限，请联系管理员授予。"),
      panel.element);
    list = listView({
      caption: "举报奖励",
      filters: [{ name: "status", label: "状态", type: "select", empty: "全部", options: options(REWARD_STATUSES) }],
      columns: [
        { label: "举报编号", value: (reward) => reward.report_no, rowHeader: true, className: "nowrap" },
        { label: "举报方式", value: (reward) => (reward.anonymous ? "匿名" : "实名") },
        { label: "金额（元）", value: (reward) => formatNumber(reward.amount), className: "num" },
        { label: "状态", value: statusTag },
        { label: "批准时间", value: (reward) => formatDateTime(reward.approved_at), className: "nowrap" },
        { label: "发放", value: (reward) => (reward.paid_at ? `${formatDateTime(reward.paid_at)} · ${label(PAY_METHODS, reward.method)}` : "—") },
      ],
      load: (query) => api.page(PATH, query),
      actions: paying ? (reward) => (reward.status !== "approved" ? [] : [
        button("领取人", () => payee(reward), { kind: "secondary", small: true, "aria-label": `查看举报 ${reward.report_no} 的奖励领取人` }),
        button("登记发放", () => pay(reward), { small: true, "aria-label": `登记举报 ${reward.report_no} 的奖励发放` }),
      ]) : null,
      state: context.params,
      onState: context.setParams,
    });
    main.append(list.element);

    if (paying) {
      const found = h("div");
      const claim = form({
        fields: [{ name: "receipt", label: "回执码", required: true, placeholder: "XXXX-XXXX-XXXX-XXXX-XXXX",
          hint: "举报人匿名举报时得到的回执码；大小写、空格、连字符不影响" }],
        submitLabel: "查找奖励",
        layout: "inline",
        errorTitle: "未找到",
        onSubmit: (values) => api.post(`${PATH}/claim`, values),
        onSuccess: (reward) => {
          claim.reset();
          append(clear(found), [facts([["举报编号", reward.report_no], ["金额（元）", formatNumber(reward.amount)], ["状态", statusTag(reward)]]),
            reward.status === "approved" ? h("div", { class: "form-actions" }, button("登记发放", () => pay(reward))) : null]);
          flash(status, "success", `找到举报 ${reward.report_no} 的奖励。`);
        },
      });
      main.append(h("section", { class: "panel", "aria-labelledby": "rewards-claim" },
        h("h2", { id: "rewards-claim" }, "匿名举报领奖"),
        h("p", { class: "muted" }, "匿名举报人凭回执码在窗口领奖，查找不会显示举报人是谁。"),
        claim.element, found));
    }
  },
};
