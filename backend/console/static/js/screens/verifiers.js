// 核验方: merchants, banks and organisations; one verifier's operators, one-time invites, and its bank
// system's API keys (each shown once, at creation).

import { api } from "../api.js";
import { VERIFIER_KINDS, VERIFIER_STATUSES, label, options } from "../labels.js";
import { href } from "../router.js";
import { button, facts, flash, h, pageHead, tag } from "../ui/dom.js";
import { editor } from "../ui/editor.js";
import { formatDateTime } from "../ui/format.js";
import { form } from "../ui/form.js";
import { listView } from "../ui/table.js";

const PATH = "/api/v1/admin/verifiers";

/** A secret the API shows this once: the admin copies it now or never. */
function secret(region, title, value, note) {
  const code = h("code", { tabindex: "0" }, value);
  const copy = button("复制", async () => {
    try {
      await navigator.clipboard.writeText(value);
      copy.textContent = "已复制";
    } catch {
      window.getSelection().selectAllChildren(code); // no clipboard (plain HTTP): select it for Ctrl+C
    }
  }, { kind: "secondary", small: true });
  flash(region, "warning", h("strong", {}, title), h("div", { class: "secret" }, code, copy), note);
}

function statusTag(verifier) {
  return verifier.status === "active" ? tag(label(VERIFIER_STATUSES, "active"), "ok") : tag(label(VERIFIER_STATUSES, "suspended"), "bad");
}

function renderList(main, { params, setParams }) {
  const status = h("div");
  const panel = editor();
  let list = null;

  function create() {
    const editorForm = form({
      fields: [
        { name: "name", label: "名称", required: true, wide: true },
        { name: "kind", label: "类型", type: "select", required: true, empty: "请选择", options: options(VERIFIER_KINDS) },
        { name: "uscc", label: "统一社会信用代码", required: true, maxlength: 30 },
        { name: "town", label: "所在镇街", required: true },
        { name: "address", label: "地址", required: true, wide: true },
      ],
      submitLabel: "登记",
      onSubmit: (values) => api.post(PATH, values),
      onSuccess: (verifier) => {
        panel.close({ restoreFocus: false });
        flash(status, "success", "已登记 ", h("a", { href: href("admin/verifiers", { id: verifier.id }) }, verifier.name), "。");
        list.reload();
      },
    });
    panel.open("登记核验方", editorForm.element);
  }

  main.append(pageHead("核验方", "扫码核验居民信用的商户、银行和组织。", button("登记核验方", create)), status, panel.element);
  list = listView({
    caption: "核验方",
    filters: [
      { name: "kind", label: "类型", type: "select", empty: "全部", options: options(VERIFIER_KINDS) },
      { name: "town", label: "镇街", placeholder: "如：长泾镇" },
      { name: "status", label: "状态", type: "select", empty: "全部", options: options(VERIFIER_STATUSES) },
    ],
    columns: [
      { label: "名称", value: (verifier) => h("a", { href: href("admin/verifiers", { id: verifier.id }) }, verifier.name), rowHeader: true },
      { label: "类型", value: (verifier) => label(VERIFIER_KINDS, verifier.kind) },
      { label: "统一社会信用代码", value: (verifier) => verifier.uscc, className: "nowrap" },
      { label: "镇街", value: (verifier) => verifier.town },
      { label: "状态", value: statusTag },
      { label: "登记时间", value: (verifier) => formatDateTime(verifier.created_at), className: "nowrap" },
    ],
    load: (query) => api.page(PATH, query),
    state: params,
    onState: setParams,
  });
  main.append(list.element);
}

async function renderOne(main, id) {
  const base = `${PATH}/${id}`;
  const status = h("div");
  const panel = editor();
  const info = h("div");
  const head = h("div");
  main.append(head, status, panel.element);
  let verifier = await api.get(base);

  function showInfo() {
    head.replaceChildren(pageHead(verifier.name, `${label(VERIFIER_KINDS, verifier.kind)} · ${verifier.town}`,
      h("a", { class: "button button-secondary", href: href("admin/verifiers") }, "返回列表")));
    info.replaceChildren(facts([
      ["统一社会信用代码", verifier.uscc],
      ["地址", verifier.address],
      ["状态", h("span", {}, statusTag(verifier), verifier.status_reason ? ` ${verifier.status_reason}` : "")],
      ["登记时间", formatDateTime(verifier.created_at)],
    ]));
  }

  function edit() {
    const editorForm = form({
      fields: [
        { name: "name", label: "名称", required: true, wide: true },
        { name: "town", label: "所在镇街", required: true },
        { name: "address", label: "地址", required: true, wide: true },
      ],
      submitLabel: "保存修改",
      changedOnly: true,
      onSubmit: (values) => api.patch(base, values),
      onSuccess: (saved) => {
        verifier = saved;
        showInfo();
        panel.close({ restoreFocus: false });
        flash(status, "success", "已保存。");
      },
    });
    editorForm.setValues(verifier);
    panel.open("修改核验方信息", editorForm.element);
  }

  function changeStatus() {
    const suspending = verifier.status === "active";
    const editorForm = form({
      fields: [{ name: "reason", label: suspending ? "暂停原因" : "恢复原因", required: true, wide: true,
        hint: suspending ? "暂停后，其核验员和 API 密钥从下一次请求起被拒绝" : null }],
      submitLabel: suspending ? "暂停" : "恢复",
      onSubmit: (values) => api.post(`${base}/${suspending ? "suspend" : "reinstate"}`, values),
      onSuccess: (saved) => {
        verifier = saved;
        showInfo();
        panel.close({ restoreFocus: false });
        flash(status, "success", suspending ? "已暂停。" : "已恢复。");
        actionsRow.replaceChildren(...actionButtons());
      },
    });
    panel.open(suspending ? "暂停核验方" : "恢复核验方", editorForm.element);
  }

  async function invite() {
    try {
      const answer = await api.post(`${base}/invites`);
      secret(status, "核验员邀请码（只显示这一次）", answer.invite_code,
        `请交给该核验方的工作人员在小程序中兑换；${formatDateTime(answer.expires_at)} 前有效，只能使用一次。`);
    } catch (error) {
      flash(status, "error", error.message);
    }
  }

  const actionButtons = () => [
    button("修改信息", edit, { kind: "secondary" }),
    button(verifier.status === "active" ? "暂停" : "恢复", changeStatus, { kind: verifier.status === "active" ? "danger" : "secondary" }),
    button("生成核验员邀请码", invite),
  ];
  const actionsRow = h("div", { class: "actions" }, ...actionButtons());
  showInfo();
  main.append(h("section", { class: "panel", "aria-labelledby": "verifier-info" }, h("h2", { id: "verifier-info" }, "基本信息"), info,
    h("div", { class: "form-actions" }, actionsRow)));

  // API keys of a bank's system
  const keyStatus = h("div");
  const keys = listView({
    caption: "API 密钥（银行系统）",
    columns: [
      { label: "前缀", value: (key) => h("code", {}, `${key.prefix}…`), rowHeader: true },
      { label: "用途", value: (key) => key.label || "—" },
      { label: "创建时间", value: (key) => formatDateTime(key.created_at), className: "nowrap" },
      { label: "最近使用", value: (key) => formatDateTime(key.last_used_at) || "从未", className: "nowrap" },
      { label: "状态", value: (key) => (key.revoked_at ? tag(`已吊销 ${formatDateTime(key.revoked_at)}`, "off") : tag("有效", "ok")) },
    ],
    load: (query) => api.page(`${base}/api-keys`, query),
    actions: (key) => (key.revoked_at ? [] : [button("吊销", async () => {
      if (!window.confirm(`吊销密钥 ${key.prefix}…？使用它的系统将从下一次请求起被拒绝。`)) return;
      try {
        await api.delete(`${base}/api-keys/${key.id}`);
        flash(keyStatus, "success", `已吊销 ${key.prefix}…。`);
        keys.reload();
      } catch (error) {
        flash(keyStatus, "error", error.message);
      }
    }, { kind: "danger", small: true, "aria-label": `吊销密钥 ${key.prefix}` })]),
  });
  const keyForm = form({
    fields: [{ name: "label", label: "新密钥的用途", placeholder: "如：信贷审批系统" }],
    submitLabel: "创建 API 密钥",
    layout: "inline",
    onSubmit: (values) => api.post(`${base}/api-keys`, values),
    onSuccess: (created) => {
      keyForm.reset();
      secret(keyStatus, "API 密钥（只显示这一次，之后无法再查看）", created.api_key, "请立即交给银行系统的管理员，放入其服务器配置中。");
      keys.reload();
    },
  });
  main.append(h("section", { class: "panel", "aria-labelledby": "verifier-keys" }, h("h2", { id: "verifier-keys" }, "银行系统 API 密钥"),
    keyStatus, keyForm.element, h("p"), keys.element));

  // Operators
  const operatorStatus = h("div");
  const operators = listView({
    caption: "核验员",
    columns: [
      { label: "编号", value: (operator) => String(operator.id), rowHeader: true },
      { label: "微信账号编号", value: (operator) => String(operator.account_id) },
      { label: "加入时间", value: (operator) => formatDateTime(operator.added_at), className: "nowrap" },
      { label: "状态", value: (operator) => (operator.removed_at ? tag(`已移除 ${formatDateTime(operator.removed_at)}`, "off") : tag("在岗", "ok")) },
    ],
    load: (query) => api.page(`${base}/operators`, query),
    actions: (operator) => (operator.removed_at ? [] : [button("移除", async () => {
      if (!window.confirm(`移除核验员 ${operator.id}？其下一次请求即被拒绝。`)) return;
      try {
        await api.delete(`${base}/operators/${operator.id}`);
        flash(operatorStatus, "success", "已移除。");
        operators.reload();
      } catch (error) {
        flash(operatorStatus, "error", error.message);
      }
    }, { kind: "danger", small: true, "aria-label": `移除核验员 ${operator.id}` })]),
  });
  main.append(h("section", { class: "panel", "aria-labelledby": "verifier-operators" }, h("h2", { id: "verifier-operators" }, "核验员"),
    operatorStatus, operators.element));
}

export default {
  path: "admin/verifiers",
  title: "核验方",
  group: "系统管理",
  roles: ["admin"],
  render(main, context) {
    const id = Number(context.params.id);
    return Number.isInteger(id) && id > 0 ? renderOne(main, id) : renderList(main, context);
  },
};
