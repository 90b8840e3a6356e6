// Every screen of the console, in the order of the navigation. A screen is a module whose default export
// is {path, title, group, roles, render(main, context)}; see the console page of the front-end guide.

import { pending } from "./pending.js";
import home from "./home.js";
import registryImport from "./registry-import.js";
import disclosuresImport from "./disclosures-import.js";
import reportQueue from "./report-queue.js";
import rewards from "./rewards.js";
import departmentReports from "./department-reports.js";
import eventsImport from "./events-import.js";
import rubric from "./rubric.js";
import starLevels from "./star-levels.js";
import settings from "./settings.js";
import staff from "./staff.js";
import verifiers from "./verifiers.js";
import audit from "./audit.js";

const OFFICE = ["admin", "reviewer"];
const ADMIN = ["admin"];

// The navigation's groups, in order; a screen names its group (or none, to stay out of the navigation).
export const GROUPS = ["工作台", "审核", "部门工作", "数据导入", "监测", "系统管理"];

export const screens = [
  home,
  reportQueue,
  pending({ path: "queues/repairs", title: "信用修复", group: "审核", roles: OFFICE,
    description: "信用修复申请的办理期限、材料与决定。" }),
  pending({ path: "queues/objections", title: "异议处理", group: "审核", roles: OFFICE,
    description: "居民对信用记录提出的异议、办理期限与决定。" }),
  rewards,
  departmentReports,
  eventsImport,
  registryImport,
  disclosuresImport,
  pending({ path: "monitoring", title: "指标监测", group: "监测", roles: ADMIN,
    description: "每月指标（各镇街星级分布、逐月趋势）与预警，以及月度数据的发布。" }),
  rubric,
  starLevels,
  settings,
  staff,
  verifiers,
  audit,
];
