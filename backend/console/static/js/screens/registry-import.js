// 户籍导入: the population registry's file, idempotent by ID number (POST /api/v1/admin/residents/import).

import { h, pageHead } from "../ui/dom.js";
import { importer } from "../ui/importer.js";

const COLUMNS = [
  ["name", "姓名，必填"],
  ["id_number", "18 位身份证号，必填；是每行的主键"],
  ["phone", "11 位手机号，可空（空表示删除已登记的手机号）"],
  ["town", "镇街，必填"],
  ["village", "村（社区），必填"],
  ["household_no", "户号，必填"],
  ["status", "active（在册）、moved（迁出）或 deceased（死亡），空表示 active"],
];

export default {
  path: "imports/registry",
  title: "户籍导入",
  group: "数据导入",
  roles: ["admin"],
  render(main) {
    main.append(
      pageHead("户籍导入", "导入公安户籍名单。按身份证号更新：同一文件重复导入是安全的，未变化的行计为“未变化”。"),
      h("section", { class: "panel", "aria-labelledby": "registry-columns" },
        h("h2", { id: "registry-columns" }, "文件格式"),
        h("p", {}, "每行一位居民，每行写出该居民的完整信息。列名不区分大小写，顺序不限，其他列会被忽略。"),
        h("ul", { class: "columns-list" }, COLUMNS.map(([name, text]) => h("li", {}, h("code", {}, name), "：", text)))),
      h("section", { class: "panel", "aria-labelledby": "registry-upload" },
        h("h2", { id: "registry-upload" }, "上传"),
        importer({
          endpoint: "/api/v1/admin/residents/import",
          fileLabel: "户籍文件",
          counts: [
            { key: "created", label: "新增" },
            { key: "updated", label: "更新" },
            { key: "unchanged", label: "未变化" },
            { key: "errors", label: "未导入的行", bad: true },
          ],
          errorColumns: [{ label: "原因", value: (error) => error.reason }],
        })));
  },
};
