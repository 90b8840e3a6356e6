// 工作人员: staff accounts, their named permissions, disabling and enabling (admins).

import { api } from "../api.js";
import { PERMISSIONS, ROLES, label, options } from "../labels.js";
import * as session from "../session.js";
import { button, flash, h, pageHead, tag } from "../ui/dom.js";
import { editor } from "../ui/editor.js";
import { formatDateTime } from "../ui/format.js";
import { form } from "../ui/form.js";
import { listView } from "../ui/table.js";

const PATH = "/api/v1/admin/staff";

export default {
  path: "admin/staff",
  title: "工作人员",
  group: "系统管理",
  roles: ["admin"],
  render(main, { params, setParams }) {
    const status = h("div");
    const panel = editor();
    let list = null;

    function done(message) {
      panel.close({ restoreFocus: false });
      flash(status, "success", message);
      list.reload();
    }

    function create() {
      const editorForm = form({
        fields: [
          { name: "username", label: "用户名", required: true, hint: "3–64 位小写字母、数字、“.”“_”“-”；登录用" },
          { name: "display_name", label: "姓名或部门名称", required: true },
          { name: "password", label: "初始密码", type: "password", required: true, hint: "请当面或电话告知本人" },
          { name: "role", label: "角色", type: "select", required: true, empty: "请选择", options: options(ROLES) },
          { name: "source", label: "报送来源（仅部门）", hint: "部门账号必填，如 market-regulation" },
          { name: "permissions", label: "权限", type: "checkboxes", options: options(PERMISSIONS) },
        ],
        submitLabel: "新建账号",
        onSubmit: (values) => api.post(PATH, values),
        onSuccess: (staff) => done(`已新建账号 ${staff.username}。`),
      });
      panel.open("新建工作人员账号", editorForm.element);
    }

    function edit(staff) {
      const editorForm = form({
        fields: [
          { name: "display_name", label: "姓名或部门名称", required: true },
          { name: "password", label: "新密码", type: "password", hint: "留空则不修改；修改密码会结束此人所有的登录" },
        ],
        submitLabel: "保存修改",
        changedOnly: true,
        onSubmit: (values) => {
          const body = { ...values };
          if (!body.password) delete body.password;
          return api.patch(`${PATH}/${staff.id}`, body);
        },
        onSuccess: (saved) => done(`已保存 ${saved.username} 的修改。`),
      });
      editorForm.setValues({ display_name: staff.display_name, password: "" });
      panel.open(`修改 ${staff.username}`, editorForm.element);
    }

    function permissions(staff) {
      const editorForm = form({
        fields: [{ name: "permissions", label: "权限", type: "checkboxes", options: options(PERMISSIONS) }],
        submitLabel: "保存权限",
        onSubmit: async ({ permissions: wanted = [] }) => {
          let current = staff;
          for (const name of wanted.filter((permission) => !staff.permissions.includes(permission))) {
            current = await api.post(`${PATH}/${staff.id}/permissions`, { permission: name });
          }
          for (const name of staff.permissions.filter((permission) => !wanted.includes(permission))) {
            current = await api.delete(`${PATH}/${staff.id}/permissions/${encodeURIComponent(name)}`);
          }
          return current;
        },
        onSuccess: (saved) => done(`已保存 ${saved.username} 的权限。`),
      });
      editorForm.setValues({ permissions: staff.permissions });
      panel.open(`${staff.username} 的权限`, editorForm.element);
    }

    async function setActive(staff, active) {
      try {
        await api.post(`${PATH}/${staff.id}/${active ? "enable" : "disable"}`);
        flash(status, "success", active ? `已启用 ${staff.username}。` : `已停用 ${staff.username}，其登录立即失效。`);
        list.reload();
      } catch (error) {
        flash(status, "error", error.message);
      }
    }

    const myself = session.current().me.id;
    main.append(pageHead("工作人员", "信用办管理员、审核员和报送部门的账号。每项改动都记入审计。", button("新建账号", create)),
      status, panel.element);
    list = listView({
      caption: "工作人员账号",
      filters: [
        { name: "role", label: "角色", type: "select", empty: "全部", options: options(ROLES) },
        { name: "active", label: "状态", type: "select", empty: "全部", options: [{ value: "true", label: "正常" }, { value: "false", label: "已停用" }] },
      ],
      columns: [
        { label: "用户名", value: (staff) => staff.username, rowHeader: true },
        { label: "姓名或部门", value: (staff) => staff.display_name },
        { label: "角色", value: (staff) => label(ROLES, staff.role) },
        { label: "报送来源", value: (staff) => staff.source || "—" },
        { label: "权限", value: (staff) => staff.permissions.map((name) => label(PERMISSIONS, name)).join("、") || "—" },
        { label: "状态", value: (staff) => (staff.active ? tag("正常", "ok") : tag("已停用", "off")) },
        { label: "创建时间", value: (staff) => formatDateTime(staff.created_at), className: "nowrap" },
      ],
      load: (query) => api.page(PATH, query),
      actions: (staff) => [
        button("修改", () => edit(staff), { kind: "secondary", small: true, "aria-label": `修改 ${staff.username}` }),
        staff.id === myself ? null // another admin changes one's own permissions
          : button("权限", () => permissions(staff), { kind: "secondary", small: true, "aria-label": `${staff.username} 的权限` }),
        staff.id === myself ? null : staff.active
          ? button("停用", () => setActive(staff, false), { kind: "danger", small: true, "aria-label": `停用 ${staff.username}` })
          : button("启用", () => setActive(staff, true), { kind: "secondary", small: true, "aria-label": `启用 ${staff.username}` }),
      ].filter(Boolean),
      state: params,
      onState: setParams,
    });
    main.append(list.element);
  },
};
