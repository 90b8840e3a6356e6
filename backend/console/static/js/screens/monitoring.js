// 指标监测: one month's figures per town and city-wide with its warnings (GET /api/v1/admin/stats/monthly),
// the star distribution by town and the trend over the published months (GET /api/v1/public/stats/monthly)
// as charts with their numbers in tables, and publishing an ended month
// (POST /api/v1/admin/stats/monthly/{month}/publish), which freezes it (按月度发布监测结果和预警报告).

import { api, publicGet } from "../api.js";
import { ApiError } from "../http.js";
import { REVIEW_KINDS, WARNING_KINDS, label } from "../labels.js";
import { barChart, lineChart } from "../ui/charts.js";
import { append, button, clear, flash, h, notice, pageHead, tag } from "../ui/dom.js";
import { editor } from "../ui/editor.js";
import { formatDateTime, formatNumber } from "../ui/format.js";
import { form } from "../ui/form.js";
import { today } from "../ui/queue.js";

const STARS = ["1", "2", "3", "4", "5"];
const MONTHS_OFFERED = 24;
const TREND_MONTHS = 24;
const CITY = "全市";

function thisMonth() {
  return today().slice(0, 7);
}

function monthBefore(month) {
  const [year, number] = month.split("-").map(Number);
  return number === 1 ? `${year - 1}-12` : `${year}-${String(number - 1).padStart(2, "0")}`;
}

function monthName(month) {
  const [year, number] = month.split("-");
  return `${year} 年 ${Number(number)} 月`;
}

/** The months to choose from: this one and the ones before it, newest first. */
function monthChoices(published) {
  const choices = [];
  let month = thisMonth();
  for (let index = 0; index < MONTHS_OFFERED; index += 1) {
    const marks = [index === 0 ? "本月，截至目前" : null, published.has(month) ? "已发布" : null].filter(Boolean);
    choices.push({ value: month, label: `${monthName(month)}${marks.length ? `（${marks.join("，")}）` : ""}` });
    month = monthBefore(month);
  }
  return choices;
}

const percent = (share) => `${(share * 100).toFixed(1)}%`;
const num = (value) => h("td", { class: "num" }, formatNumber(value));

/** A table of the towns and the city: one row each, the columns [heading, value(row)]. */
function figuresTable(caption, rows, columns) {
  return h("div", { class: "table-wrap" }, h("table", { class: "data" },
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "镇街"),
      columns.map(([heading]) => h("th", { scope: "col", class: "num" }, heading)))),
    h("tbody", {}, rows.map((row) => h("tr", { class: row.town === CITY ? "total" : null },
      h("th", { scope: "row" }, row.town),
      columns.map(([, value]) => {
        const shown = value(row);
        return typeof shown === "number" ? num(shown) : h("td", { class: "num" }, shown);
      }))))));
}

function warningsSection(document) {
  const items = document.warnings;
  return h("section", { class: "panel", "aria-labelledby": "monitoring-warnings" },
    h("h2", { id: "monitoring-warnings" }, `预警（${items.length}）`),
    items.length
      ? h("ul", { class: "warnings" }, items.map((warning) => h("li", {},
        tag(label(WARNING_KINDS, warning.kind), "bad"), " ",
        h("strong", {}, warning.town || CITY), "：", warning.message)))
      : h("p", { class: "muted" }, "本月没有预警。"));
}

function starsSection(document) {
  const rows = [...document.towns, { ...document.city, town: CITY }];
  const box = h("div", { class: "chart" }, h("p", { class: "muted" }, "正在绘制……"));
  const section = h("section", { class: "panel", "aria-labelledby": "monitoring-stars" },
    h("h2", { id: "monitoring-stars" }, "各镇街星级分布"),
    box,
    figuresTable("各镇街月末各星级人数", rows, [...STARS.map((stars) => [`${stars}★`, (row) => row.stars[stars]]),
      ["合计", (row) => STARS.reduce((sum, stars) => sum + row.stars[stars], 0)]]));
  const draw = () => (document.towns.length
    ? barChart(box, {
      labels: document.towns.map((town) => town.town),
      datasets: STARS.map((stars) => ({ label: `${stars}★`, data: document.towns.map((town) => town.stars[stars]) })),
      stacked: true,
      yTitle: "人",
      description: "各镇街月末各星级人数的堆叠柱状图，数字见下表",
    })
    : Promise.resolve(box.replaceChildren(h("p", { class: "muted" }, "尚无镇街数据。"))));
  return { section, draw };
}

function trendSection() {
  const box = h("div", { class: "chart" }, h("p", { class: "muted" }, "正在加载……"));
  const table = h("div");
  const section = h("section", { class: "panel", "aria-labelledby": "monitoring-trend" },
    h("h2", { id: "monitoring-trend" }, "逐月趋势（已发布的月份）"), box, table);
  const draw = async () => {
    let months;
    try {
      months = await publicGet("/api/v1/public/stats/monthly", { page_size: TREND_MONTHS });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      box.replaceChildren(notice("error", error.message));
      return;
    }
    if (!months.length) {
      box.replaceChildren(h("p", { class: "muted" }, "尚无已发布的月份：发布一个月份后，这里显示逐月趋势。"));
      return;
    }
    const rows = [...months].reverse(); // oldest first
    const series = [
      ["信用户", (row) => row.ratings.credit_households],
      ["加分事件", (row) => row.figures.events.bonus],
      ["扣分事件", (row) => row.figures.events.penalty],
      ["核验次数", (row) => row.figures.verifications.total],
      ["预警", (row) => row.warnings],
    ];
    await lineChart(box, {
      labels: rows.map((row) => row.month),
      datasets: series.map(([name, value]) => ({ label: name, data: rows.map(value) })),
      description: "全市逐月信用户、加减分事件、核验次数与预警数的折线图，数字见下表",
    });
    table.replaceChildren(h("div", { class: "table-wrap" }, h("table", { class: "data" },
      h("caption", {}, "全市逐月数据"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "月份"),
        [...series.map(([name]) => name), ...STARS.map((stars) => `${stars}★`)]
          .map((name) => h("th", { scope: "col", class: "num" }, name)))),
      h("tbody", {}, rows.map((row) => h("tr", {},
        h("th", { scope: "row" }, row.month),
        series.map(([, value]) => num(value(row))),
        STARS.map((stars) => num(row.figures.stars[stars]))))))));
  };
  return { section, draw };
}

function figuresSections(document) {
  const rows = [...document.towns, { ...document.city, town: CITY }];
  // The office's reviews in the order of the navigation, then any the console has no name for yet.
  const kinds = [...Object.keys(REVIEW_KINDS), ...Object.keys(document.city.reviews)]
    .filter((kind, index, all) => kind in document.city.reviews && all.indexOf(kind) === index);
  const withUnplaced = [...document.towns, { ...document.unplaced, town: "未归属镇街" }, { ...document.city, town: CITY }];
  return [
    h("section", { class: "panel", "aria-labelledby": "monitoring-figures" },
      h("h2", { id: "monitoring-figures" }, "居民与信用评定"),
      figuresTable("各镇街居民、信用户与信用村", rows, [
        ["在册居民", (row) => row.residents],
        ["已绑定微信", (row) => row.bound_residents],
        ["户数", (row) => row.ratings.households],
        ["信用户", (row) => row.ratings.credit_households],
        ["村（社区）", (row) => row.ratings.villages],
        ["信用村", (row) => row.ratings.credit_villages],
        ["信用村占比", (row) => percent(row.ratings.credit_village_share)],
        ["信用镇", (row) => (row.town === CITY ? `${row.ratings.credit_towns} / ${row.ratings.towns}` : (row.ratings.is_credit_town ? "是" : "否"))],
        ["加分事件", (row) => row.events.bonus],
        ["扣分事件", (row) => row.events.penalty],
      ])),
    h("section", { class: "panel", "aria-labelledby": "monitoring-reviews" },
      h("h2", { id: "monitoring-reviews" }, "审核与奖励"),
      figuresTable("各镇街本月提交、办结与月末逾期的审核", withUnplaced, kinds.flatMap((kind) => [
        [`${label(REVIEW_KINDS, kind)}提交`, (row) => row.reviews[kind].filed],
        [`${label(REVIEW_KINDS, kind)}办结`, (row) => row.reviews[kind].decided],
        [`${label(REVIEW_KINDS, kind)}逾期`, (row) => row.reviews[kind].overdue],
      ])),
      figuresTable("各镇街举报奖励与政务承诺", withUnplaced, [
        ["奖励批准（笔）", (row) => row.rewards.approved],
        ["批准金额（元）", (row) => row.rewards.approved_yuan],
        ["奖励发放（笔）", (row) => row.rewards.paid],
        ["发放金额（元）", (row) => row.rewards.paid_yuan],
        ["承诺到期", (row) => row.commitments.due],
        ["已兑现", (row) => row.commitments.fulfilled],
        ["逾期未兑现", (row) => row.commitments.overdue],
        ["失信", (row) => row.commitments.broken],
      ]),
      figuresTable("各镇街信用核验", rows, [
        ["核验次数", (row) => row.verifications.total],
        ["优惠兑现", (row) => row.verifications.redemptions],
      ])),
  ];
}

function monthStatus(document) {
  if (document.published) return tag(`已发布 · ${formatDateTime(document.published_at)}`, "ok");
  if (!document.complete) return tag("本月未结束，数字截至目前", "warn");
  return tag("未发布", "off");
}

export default {
  path: "monitoring",
  title: "指标监测",
  group: "监测",
  roles: ["admin"],
  async render(main, context) {
    const status = h("div");
    const panel = editor();
    const body = h("div", { "aria-busy": "true" });
    main.append(pageHead("指标监测", "每月指标（各镇街星级分布、逐月趋势）与预警。月份结束后发布，发布后的数字不再改变。"),
      status, panel.element);
    const month = /^\d{4}-\d{2}$/.test(context.params.month || "") ? context.params.month : thisMonth();

    let published = new Set();
    try {
      const months = await publicGet("/api/v1/public/stats/monthly", { page_size: MONTHS_OFFERED });
      published = new Set(months.map((row) => row.month));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
    }
    const chooser = form({
      fields: [{ name: "month", label: "月份", type: "select", required: true, value: month, options: monthChoices(published) }],
      submitLabel: "查看",
      layout: "inline",
      onSubmit: async (values) => values,
      onSuccess: (values) => context.navigate("monitoring", { month: values.month }),
    });
    main.append(chooser.element, body);

    let document;
    try {
      document = await api.get("/api/v1/admin/stats/monthly", { month }, { signal: context.signal });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      body.removeAttribute("aria-busy");
      if (!error.sessionEnded) body.replaceChildren(notice("error", error.message));
      return;
    }

    function publish() {
      const confirm = form({
        fields: [],
        submitLabel: `确认发布 ${monthName(month)}`,
        extra: h("p", {}, "发布后本月的数字和预警即被冻结，之后的记录、决定和导入都不再改变它，也不能撤回；公众可以查看已发布的月份。"),
        onSubmit: () => api.post(`/api/v1/admin/stats/monthly/${month}/publish`),
        onSuccess: async (answer) => {
          panel.close({ restoreFocus: false });
          document = answer;
          await draw();
          flash(status, "success", `${monthName(month)}的监测结果已发布。`);
        },
      });
      panel.open(`发布 ${monthName(month)}的监测结果`, confirm.element);
    }

    async function draw() {
      const stars = starsSection(document);
      const trend = trendSection();
      append(clear(body), [
        h("section", { class: "panel", "aria-labelledby": "monitoring-month" },
          h("h2", { id: "monitoring-month" }, monthName(document.month)),
          h("p", {}, monthStatus(document), " ", h("span", { class: "muted" },
            `数字截至 ${formatDateTime(document.as_of)}（北京时间）`)),
          document.complete && !document.published
            ? h("div", { class: "actions" }, button(`发布 ${monthName(month)}`, publish))
            : null,
          document.complete ? null : h("p", { class: "muted" }, "本月结束后才能发布。")),
        warningsSection(document),
        stars.section,
        trend.section,
        ...figuresSections(document)]);
      // Drawn once on the page: a chart takes the size of its box.
      await Promise.all([stars.draw(), trend.draw()]);
      body.removeAttribute("aria-busy");
    }

    await draw();
  },
};
