// 信用记录导入: a file of credit events (POST /api/v1/admin/credit-events/import). Departments send rows of
// their own source only; the same file again adds nothing.

import * as session from "../session.js";
import { h, pageHead } from "../ui/dom.js";
import { importer } from "../ui/importer.js";

const COLUMNS = [
  ["id_number", "居民身份证号，必填"],
  ["rubric_code", "评定标准项目代码，如 SF-01，必填"],
  ["occurred_at", "发生时间，ISO 8601 并带时区，如 2026-11-20T10:30:00+08:00，必填"],
  ["source", "报送来源，必填"],
  ["source_ref", "本部门的文号或编号，同一来源内唯一，必填"],
  ["note", "说明，可空；居民可以看到"],
];

export default {
  path: "imports/credit-events",
  title: "信用记录导入",
  group: "数据导入",
  roles: ["admin", "department"],
  render(main) {
    const me = session.current().me;
    main.append(
      pageHead("信用记录导入", "批量报送信用记录（单个文件最多约一百万行）。同一来源与编号的记录重复报送不会重复计分。"),
      h("section", { class: "panel", "aria-labelledby": "events-columns" },
        h("h2", { id: "events-columns" }, "文件格式"),
        me.source ? h("p", {}, "本部门只能报送来源为 ", h("code", {}, me.source), " 的记录。") : null,
        h("ul", { class: "columns-list" }, COLUMNS.map(([name, text]) => h("li", {}, h("code", {}, name), "：", text)))),
      h("section", { class: "panel", "aria-labelledby": "events-upload" },
        h("h2", { id: "events-upload" }, "上传"),
        importer({
          endpoint: "/api/v1/admin/credit-events/import",
          fileLabel: "信用记录文件",
          counts: [
            { key: "rows", label: "读取行数" },
            { key: "created", label: "新增记录" },
            { key: "unchanged", label: "已存在" },
            { key: "conflicts", label: "编号冲突", bad: true },
            { key: "notices_queued", label: "待发扣分提醒" },
            { key: "errors", label: "未导入的行", bad: true },
          ],
          errorColumns: [
            { label: "原因", value: (error) => error.message },
            { label: "代码", value: (error) => h("code", {}, error.reason) },
          ],
        })));
  },
};
