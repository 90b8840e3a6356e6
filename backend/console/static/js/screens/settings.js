// 设置项: every setting of the product with its default; saving sends only the changed ones, all checked
// before any is stored (PUT /api/v1/admin/settings), each change audited.

import { api } from "../api.js";
import { SETTINGS, label } from "../labels.js";
import { flash, h, pageHead } from "../ui/dom.js";
import { form } from "../ui/form.js";

const PATH = "/api/v1/admin/settings";

function shown(value) {
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function field(setting) {
  const base = {
    name: setting.key,
    label: label(SETTINGS, setting.key),
    required: setting.type !== "list",
    hint: `${setting.key} · 默认 ${shown(setting.default)}${setting.changed ? " · 已修改" : ""}`,
  };
  if (setting.type === "integer") return { ...base, type: "number" };
  if (setting.type === "fraction") return { ...base, type: "number", step: "0.01", min: 0, max: 1 };
  return { ...base, type: "json", rows: 3 };
}

export default {
  path: "admin/settings",
  title: "设置项",
  group: "系统管理",
  roles: ["admin"],
  async render(main) {
    const status = h("div");
    const host = h("section", { class: "panel", "aria-labelledby": "settings-form" }, h("h2", { id: "settings-form" }, "全部设置项"));
    main.append(pageHead("设置项", "系统的可调参数。只保存改动过的项；所有改动先整体校验，全部通过才会保存，每项改动都记入审计。"), status, host);
    const settings = await api.get(PATH);
    const editorForm = form({
      fields: settings.map(field),
      submitLabel: "保存改动",
      changedOnly: true,
      onSubmit: (values) => api.put(PATH, values),
      onSuccess: (_saved, values) => flash(status, "success", `已保存 ${Object.keys(values).length} 项设置。`),
    });
    editorForm.setValues(Object.fromEntries(settings.map((setting) => [setting.key, setting.value])));
    host.append(editorForm.element);
  },
};
