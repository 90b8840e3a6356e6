// 信用修复: the office's queue of repair applications (GET /api/v1/review/repairs) and one application's
// page: the penalty, the applicant's statement and proof, assignment, and the final decision with its
// written reason.

import { REPAIR_DECISIONS, REPAIR_STATUSES } from "../labels.js";
import { caseScreen } from "../ui/cases.js";

export default caseScreen({
  kind: "repairs",
  path: "queues/repairs",
  title: "信用修复",
  description: "按办理期限排序（默认 10 个工作日），逾期的标红。点击“办理”查看申请人的履约材料并作出决定。",
  what: "信用修复申请",
  prefix: "XF",
  statuses: REPAIR_STATUSES,
  decisions: REPAIR_DECISIONS,
  good: "approved",
  textLabel: "履约情况说明",
  textOf: (item) => item.statement,
  decisionHint: "同意修复：该扣分记录不再计分，也不再公示；不予修复：记录不变，申请人可再次申请",
});
