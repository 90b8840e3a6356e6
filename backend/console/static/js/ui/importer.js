// An import: pick a file, watch it upload (a progress bar fed by XMLHttpRequest's upload events), then read
// the server's counts and the refused rows by line. Every import screen (registry, credit events,
// disclosures) is this with its own endpoint, counts and error columns.
//
//   importer({
//     endpoint: "/api/v1/admin/residents/import",
//     counts: [{key: "created", label: "新增"}, ..., {key: "errors", label: "错误行", bad: true}],
//     errorColumns: [{label: "原因", value: (error) => error.reason}],
//   })

import { upload } from "../api.js";
import { h, announce, flash, uid } from "./dom.js";
import { form } from "./form.js";
import { formatNumber } from "./format.js";
import { listView, fromArray } from "./table.js";

const ACCEPT = ".csv,.ndjson,.jsonl,text/csv,application/x-ndjson";

function size(bytes) {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${bytes} B`;
}

export function importer({ endpoint, counts, errorColumns, fileLabel = "导入文件", submitLabel = "上传并导入" }) {
  const barText = h("span", { class: "muted", id: uid("progress") });
  const bar = h("progress", { max: "100", value: "0", "aria-labelledby": barText.id });
  const progress = h("div", { class: "progress-line", hidden: true }, bar, barText);
  const result = h("div");

  function onProgress({ phase, loaded, total }) {
    progress.hidden = false;
    if (phase === "uploading") {
      const percent = total ? Math.round((loaded / total) * 100) : 0;
      bar.value = percent;
      barText.textContent = `已上传 ${percent}%（${size(loaded)} / ${size(total)}）`;
    } else {
      bar.value = 100;
      barText.textContent = "上传完成，服务器正在逐行检查……";
      announce(barText.textContent);
    }
  }

  function showResult(answer) {
    barText.textContent = "导入完成";
    const errors = answer.errors || [];
    const summary = counts.map((count) => {
      const value = count.key === "errors" ? errors.length : answer[count.key];
      return h("div", { class: `count${count.bad && value ? " count-bad" : ""}` },
        h("dt", {}, count.label), h("dd", { dataset: { count: count.key } }, formatNumber(value)));
    });
    const status = h("div");
    result.replaceChildren(status, h("dl", { class: "counts" }, summary));
    if (errors.length) {
      const list = listView({
        caption: `未导入的行（${errors.length} 行）：修改后重新上传整个文件即可，已导入的行不会重复`,
        columns: [{ label: "行号", value: (error) => String(error.line), className: "num", rowHeader: true }, ...errorColumns],
        load: fromArray(errors),
        empty: "没有错误",
      });
      result.append(list.element);
      flash(status, "warning", `导入完成，但有 ${errors.length} 行未导入，见下表。`);
    } else {
      flash(status, "success", "导入完成，所有行均已处理。");
    }
  }

  const picker = form({
    fields: [{ name: "file", label: fileLabel, type: "file", accept: ACCEPT, required: true,
      hint: "CSV（首行为列名）或 NDJSON（每行一个 JSON 对象），UTF-8 编码" }],
    submitLabel,
    errorTitle: "未能导入",
    onSubmit: async (values) => {
      result.replaceChildren();
      bar.value = 0;
      try {
        return await upload(endpoint, values.file, { onProgress });
      } catch (error) {
        progress.hidden = true;
        throw error;
      }
    },
    onSuccess: (answer) => showResult(answer),
  });
  return h("div", {}, picker.element, progress, result);
}
