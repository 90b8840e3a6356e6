// 异议处理: the office's queue of objections to credit events (GET /api/v1/review/objections) and one
// objection's page: the disputed event, the resident's reason and evidence, assignment, and the final
// decision with its written reason.

import { OBJECTION_DECISIONS, OBJECTION_STATUSES } from "../labels.js";
import { caseScreen } from "../ui/cases.js";

export default caseScreen({
  kind: "objections",
  path: "queues/objections",
  title: "异议处理",
  description: "按办理期限排序（默认 20 个自然日），逾期的标红。异议期间记录仍计分，标为“异议中”。",
  what: "异议",
  prefix: "YY",
  statuses: OBJECTION_STATUSES,
  decisions: OBJECTION_DECISIONS,
  good: "upheld",
  textLabel: "异议理由",
  textOf: (item) => item.reason,
  decisionHint: "异议成立：该记录作废（举报引起的扣分连同举报人的加分和未发放的奖励一并撤销）；异议不成立：记录恢复有效",
});
