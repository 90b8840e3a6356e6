// Every screen of the console, in the order of the navigation. A screen is a module whose default export
// is {path, title, group, roles, render(main, context)}; see the console page of the front-end guide.

import home from "./home.js";
import registryImport from "./registry-import.js";
import disclosuresImport from "./disclosures-import.js";
import reportQueue from "./report-queue.js";
import repairQueue from "./repair-queue.js";
import objectionQueue from "./objection-queue.js";
import monitoring from "./monitoring.js";
import rewards from "./rewards.js";
import departmentReports from "./department-reports.js";
import eventsImport from "./events-import.js";
import rubric from "./rubric.js";
import starLevels from "./star-levels.js";
import settings from "./settings.js";
import staff from "./staff.js";
import verifiers from "./verifiers.js";
import audit from "./audit.js";

// The navigation's groups, in order; a screen names its group (or none, to stay out of the navigation).
export const GROUPS = ["工作台", "审核", "部门工作", "数据导入", "监测", "系统管理"];

export const screens = [
  home,
  reportQueue,
  repairQueue,
  objectionQueue,
  rewards,
  departmentReports,
  eventsImport,
  registryImport,
  disclosuresImport,
  monitoring,
  rubric,
  starLevels,
  settings,
  staff,
  verifiers,
  audit,
];
