// 公示信息导入: a department's licences and penalties (双公示, POST /api/v1/admin/disclosures/import) and its
// red, watch and black list entries (POST /api/v1/admin/list-entries/import), in the national standard's
// columns or ours. Departments send rows of their own source only; the same file again changes nothing.

import * as session from "../session.js";
import { h, pageHead } from "../ui/dom.js";
import { importer } from "../ui/importer.js";

const COUNTS = [
  { key: "rows", label: "读取行数" },
  { key: "created", label: "新增" },
  { key: "updated", label: "更新（保留原版本）" },
  { key: "unchanged", label: "未变化" },
  { key: "errors", label: "未导入的行", bad: true },
];

const ERROR_COLUMNS = [
  { label: "列", value: (error) => (error.field ? h("code", {}, error.field) : "—") },
  { label: "原因", value: (error) => error.message },
  { label: "代码", value: (error) => h("code", {}, error.reason) },
];

const DISCLOSURE_COLUMNS = [
  ["type", "行政许可（licence）或行政处罚（penalty）；用国家标准代码（XK_*、CF_*）时可省略"],
  ["decision_no", "决定文书号（XK_WSH / CF_WSH），必填；与类型、决定机关一起确定一条记录"],
  ["subject_category、subject_name、subject_uscc", "相对人类别、名称、统一社会信用代码（企业须先由信用办导入）"],
  ["content、decided_on、authority、authority_uscc", "内容、决定日期、决定机关及其代码，必填"],
  ["data_source", "数据来源，即报送部门的来源名"],
  ["severity", "处罚的严重程度：minor、general 或 serious（国家标准中没有此列）"],
];

const LIST_COLUMNS = [
  ["list", "red（守信红名单）、watch（重点关注名单）或 black（失信黑名单）"],
  ["subject_category、subject_uscc 或 subject_id_number、subject_name", "名单对象"],
  ["reason、listed_on、listing_authority、data_source", "列入理由、日期、认定机关与数据来源，必填"],
  ["removed_on、removal_reason、removal_authority", "移出名单时填写，可空"],
];

function section(id, title, columns, note, options) {
  return [
    h("section", { class: "panel", "aria-labelledby": `${id}-columns` },
      h("h2", { id: `${id}-columns` }, `${title}：文件格式`),
      h("p", {}, note),
      h("ul", { class: "columns-list" }, columns.map(([name, text]) => h("li", {}, h("code", {}, name), "：", text)))),
    h("section", { class: "panel", "aria-labelledby": `${id}-upload` },
      h("h2", { id: `${id}-upload` }, `${title}：上传`),
      importer({ counts: COUNTS, errorColumns: ERROR_COLUMNS, ...options })),
  ];
}

export default {
  path: "imports/disclosures",
  title: "公示信息导入",
  group: "数据导入",
  roles: ["admin", "department"],
  render(main) {
    const me = session.current().me;
    main.append(
      pageHead("公示信息导入", "行政许可、行政处罚（双公示）与红黑名单的批量报送。同一条记录再次报送时，内容变化的保留原版本，未变化的不重复记录。"),
      me.source ? h("p", {}, "本部门只能报送数据来源为 ", h("code", {}, me.source), " 的记录。") : null,
      ...section("disclosures", "行政许可与行政处罚", DISCLOSURE_COLUMNS,
        "列名可用国家标准代码（如 CF_WSH、XK_XDR_MC）或英文列名，可以混用，不区分大小写；其他列会被忽略。单个文件最大 512 MB。",
        { endpoint: "/api/v1/admin/disclosures/import", fileLabel: "双公示文件" }),
      ...section("lists", "红黑名单", LIST_COLUMNS, "每行一个名单条目；其他列会被忽略。",
        { endpoint: "/api/v1/admin/list-entries/import", fileLabel: "名单文件" }));
  },
};
