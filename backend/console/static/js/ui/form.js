// The shared form helper: every control has a <label>, hints and errors are tied to their control with
// aria-describedby, and the API's refusal is shown as an error summary (focused, so keyboard and screen-
// reader users land on it) that links to each field the API named in `errors`.
//
//   const editor = form({
//     fields: [{name: "title", label: "名称", required: true}, {name: "points", label: "分值", type: "number"}],
//     submitLabel: "保存",
//     onSubmit: (values) => api.post("/api/v1/admin/rubric-items", values),
//     onSuccess: (item) => ...,
//   });
//   panel.append(editor.element);
//
// Field types: text, password, search, number, select, checkbox, checkboxes (several values → an array),
// textarea, json (a textarea whose text is parsed as JSON), file, datetime (China time → ISO with +08:00).
// Field options: required, hint, value, options [{value, label}], empty (text of a select's empty choice),
// nullable (empty sends null rather than being left out), min, max, step, autocomplete, wide (full row),
// accept (file types), multiple (a file field's several files, as an array), rows, parse (turns a non-empty
// value into what the API takes: a select of "true" and "false" into booleans, of "1"…"4" into numbers).

import { ApiError } from "../http.js";
import { h, uid, announce } from "./dom.js";
import { shanghaiIso } from "./format.js";

/** `parse` for a select of "true" and "false". */
export const asBoolean = (value) => value === true || value === "true";
/** `parse` for a select of numbers. */
export const asNumber = (value) => Number(value);

class LocalError extends Error {
  constructor(field, message) {
    super(message);
    this.field = field;
  }
}

function control(field, id, describedBy) {
  const common = { id, name: field.name, "aria-describedby": describedBy || null, required: field.required || null };
  switch (field.type) {
    case "select":
      return h("select", common,
        field.empty !== undefined ? h("option", { value: "" }, field.empty) : null,
        (field.options || []).map((option) => h("option", { value: option.value }, option.label)));
    case "checkbox":
      return h("input", { ...common, type: "checkbox", required: null });
    case "textarea":
    case "json":
      return h("textarea", { ...common, rows: field.rows || 4, spellcheck: "false" });
    case "number":
      return h("input", { ...common, type: "number", inputmode: "numeric", min: field.min, max: field.max, step: field.step || 1 });
    case "datetime":
      return h("input", { ...common, type: "datetime-local" });
    case "file":
      return h("input", { ...common, type: "file", accept: field.accept, multiple: field.multiple });
    case "password":
      return h("input", { ...common, type: "password", autocomplete: field.autocomplete || "new-password" });
    default:
      return h("input", { ...common, type: field.type === "search" ? "search" : "text", autocomplete: field.autocomplete || "off",
        maxlength: field.maxlength, placeholder: field.placeholder });
  }
}

function fieldBlock(field) {
  const id = uid("field");
  const hintId = field.hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  const error = h("div", { class: "field-error", id: errorId, hidden: true });
  const hint = field.hint ? h("div", { class: "hint", id: hintId }, field.hint) : null;
  const required = field.required ? h("span", { class: "required", "aria-hidden": "true" }, "*") : null;
  const classes = ["field"];
  if (field.wide || field.type === "textarea" || field.type === "json") classes.push("field-wide");

  if (field.type === "checkboxes") {
    const boxes = (field.options || []).map((option) => {
      const boxId = uid("check");
      return h("label", { class: "check", for: boxId },
        h("input", { type: "checkbox", id: boxId, name: field.name, value: option.value }), option.label);
    });
    const set = h("fieldset", { id, "aria-describedby": [hintId].filter(Boolean).join(" ") || null },
      h("legend", {}, field.label, required), ...boxes);
    return { element: h("div", { class: classes.join(" ") }, set, hint, error), input: set, error, hintId, id };
  }
  const input = control(field, id, hintId);
  const label = h("label", { for: id }, field.label, required, field.required ? h("span", { class: "sr-only" }, "（必填）") : null);
  if (field.type === "checkbox") {
    classes.push("field-check");
    return { element: h("div", { class: classes.join(" ") }, input, label, hint, error), input, error, hintId, id };
  }
  return { element: h("div", { class: classes.join(" ") }, label, input, hint, error), input, error, hintId, id };
}

function readValue(field, input) {
  const value = readRaw(field, input);
  return field.parse && value !== null && value !== undefined ? field.parse(value) : value;
}

function readRaw(field, input) {
  switch (field.type) {
    case "checkbox":
      return input.checked;
    case "checkboxes":
      return [...input.querySelectorAll("input:checked")].map((box) => box.value);
    case "number": {
      if (input.value.trim() === "") return null;
      const number = Number(input.value);
      if (!Number.isFinite(number)) throw new LocalError(field.name, "请输入数字。");
      return number;
    }
    case "json": {
      if (input.value.trim() === "") return null;
      try {
        return JSON.parse(input.value);
      } catch {
        throw new LocalError(field.name, "不是有效的 JSON。");
      }
    }
    case "file":
      if (!input.files || !input.files.length) return null;
      return field.multiple ? [...input.files] : input.files[0];
    case "datetime":
      return shanghaiIso(input.value);
    case "password":
      return input.value;
    default: {
      const text = input.value.trim();
      return text === "" ? null : text;
    }
  }
}

function writeValue(field, input, value) {
  switch (field.type) {
    case "checkbox":
      input.checked = Boolean(value);
      break;
    case "checkboxes":
      for (const box of input.querySelectorAll("input")) box.checked = (value || []).includes(box.value);
      break;
    case "json":
      input.value = value === null || value === undefined ? "" : JSON.stringify(value, null, 2);
      break;
    case "file":
      break;
    case "datetime":
      input.value = value ? String(value).slice(0, 16) : "";
      break;
    default:
      input.value = value === null || value === undefined ? "" : String(value);
  }
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Build a form. Options: fields, submitLabel, onSubmit(values) (may throw ApiError), onSuccess(result, values),
 * changedOnly (send only fields whose value differs from setValues'), extra (nodes before the buttons),
 * secondary (extra buttons beside submit), layout ("grid"; "filters" or "inline": controls and buttons on one
 * row), columns (a fixed number of grid columns, e.g. 2 for rows of pairs), errorTitle, labels (names for
 * error paths that are not fields, e.g. {levels: "星级"}), idle (the submit button text while busy).
 */
export function form(options) {
  const { fields, submitLabel = "保存", onSubmit, onSuccess, changedOnly = false, layout = "grid",
    errorTitle = "未能保存", labels = {} } = options;
  const blocks = new Map(fields.map((field) => [field.name, { field, ...fieldBlock(field) }]));
  const summary = h("div", { class: "notice notice-error", role: "alert", tabindex: "-1", hidden: true });
  const submit = h("button", { type: "submit", class: "button" }, submitLabel);
  const inline = layout === "filters" || layout === "inline";
  const grid = options.columns ? `form-grid form-grid-${options.columns}` : "form-grid";
  const element = h("form", { class: inline ? "filters" : "form", novalidate: true },
    inline ? null : summary,
    inline ? [...blocks.values()].map((block) => block.element)
      : h("div", { class: grid }, [...blocks.values()].map((block) => block.element)),
    options.extra || null,
    h("div", { class: "form-actions" }, submit, ...(options.secondary || [])),
    inline ? summary : null);
  let initial = {};
  let busy = false;

  function values({ all = false } = {}) {
    const result = {};
    for (const { field, input } of blocks.values()) {
      const value = readValue(field, input);
      if (!all && changedOnly && same(value, initial[field.name] ?? null)) continue;
      if (value === null && !field.nullable && !(changedOnly && field.name in initial)) continue;
      result[field.name] = value;
    }
    return result;
  }

  function setValues(data) {
    initial = {};
    for (const { field, input } of blocks.values()) {
      if (!(field.name in data)) continue;
      writeValue(field, input, data[field.name]);
      initial[field.name] = readValue(field, input);
    }
  }

  function clearErrors() {
    summary.hidden = true;
    summary.replaceChildren();
    for (const block of blocks.values()) {
      block.error.hidden = true;
      block.error.textContent = "";
      block.input.removeAttribute("aria-invalid");
      block.input.setAttribute("aria-describedby", [block.hintId].filter(Boolean).join(" ") || "");
      if (!block.input.getAttribute("aria-describedby")) block.input.removeAttribute("aria-describedby");
    }
  }

  function nameOf(path) {
    return labels[path] || (blocks.get(path) && blocks.get(path).field.label) || path;
  }

  /** Show {path: [messages]} beside the fields, and all of them in the summary; focus the summary. */
  function showFieldErrors(errors, message) {
    const items = [];
    for (const [path, messages] of Object.entries(errors)) {
      const text = messages.join("；");
      const block = blocks.get(path);
      if (block) {
        block.error.textContent = text;
        block.error.hidden = false;
        block.input.setAttribute("aria-invalid", "true");
        block.input.setAttribute("aria-describedby", [block.hintId, block.error.id].filter(Boolean).join(" "));
        items.push(h("li", {}, h("a", { href: `#${block.id}`, onClick: (event) => { event.preventDefault(); block.input.focus(); } },
          `${nameOf(path)}：${text}`)));
      } else {
        items.push(h("li", {}, `${nameOf(path)}：${text}`));
      }
    }
    summary.replaceChildren(h("h2", {}, errorTitle), items.length ? h("ul", {}, items) : h("p", {}, message));
    summary.hidden = false;
    summary.focus();
    announce(`${errorTitle}：${items.length ? `${items.length} 处需要修改` : message}`);
  }

  /** Show an ApiError from the API: its field errors, or its message. */
  function showError(error) {
    clearErrors();
    const fieldErrors = error.fieldErrors || {};
    let message = error.message;
    if (error.status === 429 && error.retryAfter) message += `（请在 ${Math.ceil(error.retryAfter / 60)} 分钟后重试）`;
    showFieldErrors(Object.keys(fieldErrors).length ? fieldErrors : {}, message);
  }

  function setBusy(value) {
    busy = value;
    submit.disabled = value;
    element.setAttribute("aria-busy", value ? "true" : "false");
  }

  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return;
    clearErrors();
    let data;
    try {
      data = values();
    } catch (error) {
      if (!(error instanceof LocalError)) throw error;
      showFieldErrors({ [error.field]: [error.message] });
      return;
    }
    for (const { field } of blocks.values()) {
      const missing = field.required && field.type !== "checkbox"
        && (data[field.name] === undefined || data[field.name] === null || data[field.name] === "")
        && !(changedOnly && field.name in initial);
      if (missing) {
        showFieldErrors({ [field.name]: ["必填。"] });
        return;
      }
    }
    if (changedOnly && Object.keys(data).length === 0) {
      showFieldErrors({}, "没有修改任何内容。");
      return;
    }
    setBusy(true);
    try {
      const result = await onSubmit(data);
      if (changedOnly) setValues({ ...initial, ...data });
      if (onSuccess) await onSuccess(result, data);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.sessionEnded) return; // the sign-in page replaces this screen
      showError(error);
    } finally {
      setBusy(false);
    }
  });

  return {
    element,
    values,
    setValues,
    showError,
    clearErrors,
    control: (name) => blocks.get(name).input,
    focusFirst: () => [...blocks.values()][0].input.focus(),
    reset: () => { element.reset(); clearErrors(); },
  };
}
