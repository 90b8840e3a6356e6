// 评定标准: the rubric's items, city-wide and local (+N); add, change (for future events only), retire.

import { api } from "../api.js";
import { HONOUR_LEVELS, RUBRIC_CATEGORIES, RUBRIC_KINDS, SEVERITIES, label, options } from "../labels.js";
import { button, flash, h, pageHead, tag } from "../ui/dom.js";
import { editor } from "../ui/editor.js";
import { signed } from "../ui/format.js";
import { asBoolean, asNumber, form } from "../ui/form.js";
import { listView } from "../ui/table.js";

const PATH = "/api/v1/admin/rubric-items";
const YES_NO = [{ value: "true", label: "是" }, { value: "false", label: "否" }];
const STAR_CEILINGS = [1, 2, 3, 4].map((stars) => ({ value: String(stars), label: `${stars}★` }));

function itemFields({ creating }) {
  return [
    creating ? { name: "code", label: "代码", required: true, hint: "字母、数字、“.”“_”“-”，2–40 位，如 SF-05" } : null,
    { name: "category", label: "类别", type: "select", required: creating, empty: creating ? "请选择" : undefined, options: options(RUBRIC_CATEGORIES) },
    { name: "title", label: "名称", required: creating, wide: true },
    { name: "kind", label: "加分或扣分", type: "select", required: creating, empty: creating ? "请选择" : undefined, options: options(RUBRIC_KINDS) },
    { name: "points", label: "分值", type: "number", required: creating, min: -1000, max: 1000, hint: "加分为正数，扣分为负数" },
    { name: "severity", label: "严重程度（扣分项）", type: "select", empty: "—", nullable: !creating, options: options(SEVERITIES) },
    { name: "validity_days", label: "有效期（天）", type: "number", min: 1, max: 3650, hint: creating ? "留空则按类型和严重程度取默认值" : null },
    { name: "min_disclosure_days", label: "最短公示期（天）", type: "number", min: 0, max: 3650 },
    { name: "max_disclosure_days", label: "最长公示期（天）", type: "number", min: 0, max: 3650 },
    { name: "repairable", label: "可信用修复", type: "select", empty: creating ? "按默认" : undefined, options: YES_NO, parse: asBoolean },
    { name: "annual_cap", label: "年度加分上限", type: "number", min: 1, max: 10000, nullable: !creating, hint: "仅加分项" },
    { name: "caps_stars_at", label: "星级上限（直接判级）", type: "select", empty: "—", nullable: !creating, options: STAR_CEILINGS, parse: asNumber },
    { name: "town", label: "本地项目所属镇街", nullable: !creating, hint: "留空为全市通用项目" },
    creating ? { name: "honour_level", label: "荣誉级别（加分项）", type: "select", empty: "—", options: options(HONOUR_LEVELS),
      hint: "决定默认有效期：县级 1 年，地市级 2 年，省级 3 年，国家级 5 年" } : null,
  ].filter(Boolean);
}

function pointsCell(item) {
  return h("span", { class: item.points >= 0 ? "points-bonus" : "points-penalty" }, signed(item.points));
}

export default {
  path: "admin/rubric",
  title: "评定标准",
  group: "系统管理",
  roles: ["admin"],
  render(main, { params, setParams }) {
    const status = h("div");
    const panel = editor();
    let list = null;

    function create() {
      const editorForm = form({
        fields: itemFields({ creating: true }),
        submitLabel: "新增",
        onSubmit: (values) => api.post(PATH, values),
        onSuccess: (item) => {
          panel.close({ restoreFocus: false });
          flash(status, "success", `已新增项目 ${item.code}“${item.title}”。`);
          list.reload();
        },
      });
      panel.open("新增评定标准项目", editorForm.element);
    }

    function edit(item) {
      const editorForm = form({
        fields: itemFields({ creating: false }),
        submitLabel: "保存修改",
        changedOnly: true,
        onSubmit: (values) => api.patch(`${PATH}/${encodeURIComponent(item.code)}`, values),
        onSuccess: (saved) => {
          panel.close({ restoreFocus: false });
          flash(status, "success", `已保存 ${saved.code}。修改只影响今后录入的记录。`);
          list.reload();
        },
      });
      editorForm.setValues({ ...item, repairable: String(item.repairable), caps_stars_at: item.caps_stars_at === null ? null : String(item.caps_stars_at) });
      panel.open(`修改项目 ${item.code}`, editorForm.element);
    }

    async function setActive(item, active) {
      try {
        await api.patch(`${PATH}/${encodeURIComponent(item.code)}`, { active });
        flash(status, "success", active ? `已重新启用 ${item.code}。` : `已停用 ${item.code}：它不再出现在公开标准中，也不能再录入新记录。`);
        list.reload();
      } catch (error) {
        flash(status, "error", error.message);
      }
    }

    main.append(pageHead("评定标准", "“100+N”评定标准的项目。修改只影响今后录入的记录，已录入的记录保持原值。",
      button("新增项目", create)), status, panel.element);
    list = listView({
      caption: "评定标准项目",
      filters: [
        { name: "category", label: "类别", type: "select", empty: "全部", options: options(RUBRIC_CATEGORIES) },
        { name: "town", label: "镇街（本地项目）", placeholder: "如：长泾镇" },
        { name: "include_retired", label: "包括已停用的项目", type: "checkbox" },
      ],
      columns: [
        { label: "代码", value: (item) => item.code, rowHeader: true, className: "nowrap" },
        { label: "名称", value: (item) => item.title },
        { label: "类别", value: (item) => label(RUBRIC_CATEGORIES, item.category) },
        { label: "分值", value: pointsCell, className: "num" },
        { label: "严重程度", value: (item) => label(SEVERITIES, item.severity) || "—" },
        { label: "有效期（天）", value: (item) => String(item.validity_days), className: "num" },
        { label: "公示期（天）", value: (item) => (item.max_disclosure_days ? `${item.min_disclosure_days}–${item.max_disclosure_days}` : "—"), className: "nowrap" },
        { label: "可修复", value: (item) => (item.repairable ? "是" : "否") },
        { label: "镇街", value: (item) => item.town || "全市" },
        { label: "状态", value: (item) => (item.active ? tag("启用", "ok") : tag("已停用", "off")) },
      ],
      load: (query) => api.page(PATH, query),
      actions: (item) => [
        button("修改", () => edit(item), { kind: "secondary", small: true, "aria-label": `修改 ${item.code}` }),
        item.active
          ? button("停用", () => setActive(item, false), { kind: "danger", small: true, "aria-label": `停用 ${item.code}` })
          : button("启用", () => setActive(item, true), { kind: "secondary", small: true, "aria-label": `启用 ${item.code}` }),
      ],
      state: params,
      onState: setParams,
    });
    main.append(list.element);
  },
};
