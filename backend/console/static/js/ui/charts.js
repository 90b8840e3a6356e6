// Charts through the vendored Chart.js (vendor/chartjs, MIT licence), loaded the first time a screen draws
// one. Each chart comes with its numbers in a table too: a canvas says nothing to a screen reader. The
// numbers are counts: the value axis has whole-number ticks.
//
//   await barChart(box, {labels: ["澄江街道", "长泾镇"], datasets: [{label: "信用户", data: [120, 80]}]});
//   await lineChart(box, {labels: ["2026-09", "2026-10"], datasets: [{label: "5★", data: [10, 12]}]});

import { h } from "./dom.js";

// The console's palette: blue, red, green, amber, then greys.
export const COLOURS = ["#22508f", "#b3121f", "#1d6b3a", "#c98a00", "#6b7684", "#8fb1e0", "#e59aa3"];
const SCRIPT = new URL("../../vendor/chartjs/chart.umd.min.js", import.meta.url).href;
let loading = null;

/** Chart.js itself (a classic script from this origin, as the CSP allows), loaded once. */
export function loadChartJs() {
  if (window.Chart) return Promise.resolve(window.Chart);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = SCRIPT;
      script.addEventListener("load", () => {
        const { Chart } = window;
        Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
        Chart.defaults.color = "#4a515c";
        Chart.defaults.animation = false; // an office tool: the numbers, at once
        resolve(Chart);
      });
      script.addEventListener("error", () => {
        loading = null;
        reject(new Error("图表组件加载失败。"));
      });
      document.head.append(script);
    });
  }
  return loading;
}

function draw(container, type, { labels, datasets, stacked = false, yTitle, description }) {
  return loadChartJs().then((Chart) => {
    const canvas = h("canvas", { role: "img", "aria-label": description || datasets.map((set) => set.label).join("、") });
    container.classList.add("chart");
    container.replaceChildren(canvas);
    return new Chart(canvas, {
      type,
      data: {
        labels,
        datasets: datasets.map((set, index) => ({
          borderColor: COLOURS[index % COLOURS.length],
          backgroundColor: COLOURS[index % COLOURS.length],
          borderWidth: type === "line" ? 2 : 0,
          ...set,
        })),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { position: "bottom" } },
        scales: {
          x: { stacked, grid: { display: false } },
          y: { stacked, beginAtZero: true, ticks: { precision: 0 }, title: yTitle ? { display: true, text: yTitle } : undefined },
        },
      },
    });
  });
}

/** Bars by category (towns, star levels); `stacked` piles the datasets. */
export function barChart(container, options) {
  return draw(container, "bar", options);
}

/** Lines over time (months). */
export function lineChart(container, options) {
  return draw(container, "line", options);
}
