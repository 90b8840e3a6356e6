// Chinese names of the API's codes (the API keeps codes in English, SPEC §10). A code without a name here
// is shown as it is, so a new code never breaks a screen.

export const ROLES = { admin: "管理员", reviewer: "审核员", department: "部门" };

export const PERMISSIONS = {
  "reports:identity": "查看实名举报人身份",
  "rewards:pay": "登记举报奖励发放",
};

export const RUBRIC_CATEGORIES = {
  social_contribution: "社会贡献",
  law_and_village_rules: "遵纪守法与村规民约",
  public_order: "社会治安",
  family_planning: "计划生育",
  environment: "生态环境",
  safety: "安全生产与食品安全",
  finance: "金融信用",
  reporting: "举报",
};

export const RUBRIC_KINDS = { bonus: "加分", penalty: "扣分" };
export const SEVERITIES = { minor: "轻微", general: "一般", serious: "严重" };
export const HONOUR_LEVELS = { county: "县级", prefecture: "地市级", province: "省级", nation: "国家级" };

export const VERIFIER_KINDS = { merchant: "商户", bank: "银行", organisation: "组织" };
export const VERIFIER_STATUSES = { active: "正常", suspended: "已暂停" };

export const SETTINGS = {
  "credit.base_points": "基础分（每个账户的起始分）",
  "auth.refresh_grace_seconds": "刷新令牌宽限期（秒）",
  "credit_code.ttl_seconds": "信用码有效期（秒）",
  "claims.show_minutes": "扫码领取优惠：出示页面时长（分钟）",
  "verifiers.invite_ttl_days": "核验员邀请码有效期（天）",
  "uploads.max_bytes": "单个上传文件上限（字节）",
  "reports.duplicate_window_days": "重复举报合并窗口（天）",
  "reports.acknowledge_working_days": "举报受理期限（工作日）",
  "reports.decide_days": "举报办结期限（自然日）",
  "reports.extended_decide_days": "延期举报办结期限（自然日）",
  "reports.finding_working_days": "部门核查反馈期限（工作日）",
  "rewards.min_amount": "举报奖励下限（元）",
  "rewards.max_amount": "举报奖励上限（元）",
  "repairs.decide_working_days": "信用修复办理期限（工作日）",
  "objections.decide_days": "异议处理期限（自然日）",
  "ratings.household_min_stars": "信用户：每位成员至少星级",
  "ratings.household_top_stars": "信用户：至少一位成员达到星级",
  "ratings.village_share": "信用村：信用户占比",
  "ratings.town_share": "信用镇：信用村占比",
  "monitoring.penalty_rise_share": "预警：某镇扣分事件环比增长超过此比例",
  "monitoring.penalty_rise_from_zero": "预警：上月无扣分时，某镇扣分事件达到此数",
  "monitoring.overdue_reviews_at": "预警：某镇月末逾期审核达到此数",
  "monitoring.overdue_commitments_at": "预警：某镇月末逾期政务承诺达到此数",
  "credit_reports.validity_days": "信用报告有效期（天）",
  "credit_reports.issuer": "信用报告出具单位",
  "calendar.overrides": "工作日调整（节假日日历未覆盖的年份）",
  "limits.public_per_minute": "公开接口：每个 IP 每分钟请求次数",
  "limits.staff_login_failures_per_15_minutes": "工作人员登录：每个用户名 15 分钟内失败次数",
  "limits.wechat_sign_in_per_minute": "微信登录：每个账号每分钟次数",
  "limits.binding_per_day": "每个账号每天实名绑定次数",
  "limits.wrong_api_keys_per_minute": "错误 API 密钥：每个 IP 每分钟次数",
  "limits.api_key_per_minute": "每个 API 密钥每分钟请求次数",
  "limits.credit_code_png_per_minute": "信用码图片：每个账号每分钟次数",
  "limits.invite_redemptions_per_hour": "核验员邀请码：每个账号每小时兑换次数",
  "limits.reports_per_day": "每个账号每天举报次数",
  "limits.uploads_per_day": "每个账号每天上传次数",
  "limits.claims_per_day": "扫码领取优惠：每个账号每天次数",
  "limits.credit_reports_per_day": "信用报告：每个账号每天生成次数",
  "limits.receipt_lookups_per_hour": "匿名举报回执查询：每个 IP 每小时次数",
};

export const AUDIT_OBJECTS = {
  staff: "工作人员", setting: "设置项", rubric_item: "评定标准项目", star_levels: "星级", residents: "户籍",
  resident: "居民", credit_event: "信用记录", credit_events: "信用记录", verifier: "核验方", offer: "优惠",
  report: "举报", report_reward: "举报奖励", report_category: "举报类别",
  repair: "信用修复申请", objection: "异议", published_month: "月度监测结果", commitment_letter: "信用承诺书",
};

export const AUDIT_ACTIONS = {
  "staff.create": "新建工作人员", "staff.update": "修改工作人员", "staff.disable": "停用工作人员",
  "staff.enable": "启用工作人员", "staff.grant": "授予权限", "staff.revoke": "撤销权限",
  "settings.update": "修改设置项", "rubric.create": "新增评定标准项目", "rubric.update": "修改评定标准项目",
  "star_levels.update": "修改星级", "residents.import": "导入户籍", "credit_events.import": "导入信用记录",
  "credit_event.create": "录入信用记录", "identity.bind": "实名绑定", "identity.unbind": "解除绑定",
  "identity.admin_unbind": "管理员解除绑定", "verifier.create": "登记核验方", "verifier.update": "修改核验方",
  "verifier.suspend": "暂停核验方", "verifier.reinstate": "恢复核验方", "verifier.invite": "生成邀请码",
  "verifier.operator_joined": "核验员加入", "verifier.operator_removed": "移除核验员",
  "verifier.api_key_created": "创建 API 密钥", "verifier.api_key_revoked": "吊销 API 密钥",
  "offer.create": "发布优惠", "offer.update": "修改优惠", "offer.withdraw": "撤下优惠",
  "report.assign": "分派举报", "report.acknowledge": "受理举报", "report.extend": "举报延期",
  "report.forward": "转交部门核查", "report.question": "向举报人提问", "report.finding": "部门核查答复",
  "report.decide": "举报处理决定", "report.view_reporter": "查看举报人身份", "reward.view_payee": "查看奖励领取人",
  "reward.paid": "登记奖励发放", "reward.claim_lookup": "匿名举报领奖查询", "report.penalty_voided": "举报扣分被撤销",
  "report_category.create": "新增举报类别", "report_category.update": "修改举报类别",
  "repair.assign": "分派信用修复申请", "repair.decide": "信用修复决定", "objection.assign": "分派异议",
  "objection.decide": "异议处理决定", "monitoring.publish": "发布月度监测结果",
  "commitment_letter.publish": "发布信用承诺书",
};

export const REPORT_STATUSES = { submitted: "待受理", acknowledged: "办理中", decided: "已办结" };
export const REPORT_OUTCOMES = { substantiated: "属实", unsubstantiated: "不属实", malicious: "恶意举报" };
export const SUBJECT_TYPES = { person: "个人", enterprise: "企业" };
export const SCREENINGS = { pass: "通过", review: "需人工复核", unavailable: "未能检测" };
export const FINDINGS = { confirmed: "核查属实", not_confirmed: "核查不属实" };
export const FORWARD_STATUSES = { pending: "待核查", answered: "已答复", withdrawn: "已撤回" };
export const LATE_STEPS = { acknowledge: "受理逾期", decide: "办结逾期", finding: "核查逾期" };
export const REPORT_STEPS = {
  filed: "提交举报", acknowledged: "受理", assigned: "分派", extended: "延期", forwarded: "转交部门核查",
  finding: "部门答复", question: "向举报人提问", answer: "举报人答复", decided: "作出决定", reward_paid: "奖励已发放",
  reward_cancelled: "奖励已取消",
};
export const REWARD_STATUSES = { approved: "待发放", paid: "已发放", cancelled: "已取消" };
export const PAY_METHODS = { cash: "现金", bank_transfer: "银行转账", wechat_pay: "微信支付", alipay: "支付宝", other: "其他" };
export const RESIDENT_STATUSES = { active: "在册", moved: "迁出", deceased: "死亡" };

export const EVENT_STATUSES = { active: "有效", disputed: "异议中", repaired: "已修复", voided: "已撤销", expired: "已过期" };
export const REPAIR_STATUSES = { pending: "待办理", approved: "修复通过", rejected: "未通过" };
export const REPAIR_DECISIONS = { approve: "同意修复", reject: "不予修复" };
export const OBJECTION_STATUSES = { pending: "待办理", upheld: "异议成立", rejected: "异议不成立" };
export const OBJECTION_DECISIONS = { upheld: "异议成立", rejected: "异议不成立" };
export const CASE_STEPS = { filed: "提交申请", assigned: "分派", decided: "作出决定" };

export const REVIEW_KINDS = { reports: "举报", repairs: "信用修复", objections: "异议" };
export const WARNING_KINDS = {
  overdue_reviews: "审核逾期", overdue_commitments: "政务承诺逾期", penalty_rise: "扣分事件增多",
  credit_village_share_fell: "信用村占比下降",
};

export function label(names, code) {
  if (code === null || code === undefined || code === "") return "";
  return names[code] || code;
}

/** [{value, label}] for a select, in the order the names are written. */
export function options(names) {
  return Object.entries(names).map(([value, text]) => ({ value, label: text }));
}
