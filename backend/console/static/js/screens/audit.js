// 审计记录: every staff write — who, what, which object, when, before and after (read-only, newest first).

import { api } from "../api.js";
import { AUDIT_ACTIONS, AUDIT_OBJECTS, label } from "../labels.js";
import { h, pageHead } from "../ui/dom.js";
import { formatDateTime } from "../ui/format.js";
import { listView } from "../ui/table.js";

function change(record) {
  if (!record.before && !record.after && !record.note) return "—";
  return h("details", {},
    h("summary", {}, "查看"),
    record.note ? h("p", {}, `说明：${record.note}`) : null,
    record.before ? [h("div", { class: "muted" }, "修改前"), h("pre", {}, JSON.stringify(record.before, null, 2))] : null,
    record.after ? [h("div", { class: "muted" }, "修改后"), h("pre", {}, JSON.stringify(record.after, null, 2))] : null);
}

function actor(record) {
  if (record.actor_kind === "system") return "系统";
  if (record.actor_kind === "staff") return record.actor_name || `工作人员 #${record.actor_id}`;
  if (record.actor_kind === "wechat") return `微信用户 #${record.actor_id}`;
  if (record.actor_kind === "apikey") return `API 密钥 #${record.actor_id}`;
  return `${record.actor_kind} #${record.actor_id ?? ""}`;
}

export default {
  path: "admin/audit",
  title: "审计记录",
  group: "系统管理",
  roles: ["admin"],
  render(main, { params, setParams }) {
    main.append(pageHead("审计记录", "工作人员的每一次写操作：谁、做了什么、针对哪个对象、何时，以及修改前后的内容。记录不可修改。"));
    const list = listView({
      caption: "审计记录（最新在前）",
      filters: [
        { name: "action", label: "操作代码", placeholder: "如：settings.update" },
        { name: "object_type", label: "对象类型", placeholder: "如：rubric_item" },
        { name: "object_id", label: "对象编号", placeholder: "如：SF-05" },
        { name: "actor_id", label: "操作人编号", type: "number", min: 0 },
        { name: "since", label: "起始时间", type: "datetime" },
        { name: "until", label: "截止时间", type: "datetime" },
      ],
      columns: [
        { label: "时间", value: (record) => formatDateTime(record.at), className: "nowrap", rowHeader: true },
        { label: "操作人", value: actor },
        { label: "操作", value: (record) => h("span", { title: record.action }, label(AUDIT_ACTIONS, record.action)) },
        { label: "对象", value: (record) => `${label(AUDIT_OBJECTS, record.object_type)}${record.object_id ? ` ${record.object_id}` : ""}` },
        { label: "内容", value: change },
      ],
      load: (query) => api.page("/api/v1/admin/audit", query),
      state: params,
      onState: setParams,
    });
    main.append(list.element);
  },
};
