// Building the page. Text always goes in as text nodes (never parsed as HTML), so nothing the API returns
// can become markup or script; handlers are attached with addEventListener, as the page's CSP requires.

/**
 * h("button", {class: "button", onClick: save, "aria-label": "保存"}, "保存")
 * Attributes: `class`, `on<Event>` (a function), `dataset` (an object), booleans (`hidden: true`),
 * anything else as an attribute; `null`, `undefined` and `false` leave it out. Children: strings, numbers,
 * nodes, arrays of them; `null` and `false` are skipped.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else if (name === "value" && "value" in element) {
      element.value = value;
    } else if (name === "checked" || name === "selected" || name === "disabled" || name === "multiple") {
      element[name] = Boolean(value);
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

export function append(element, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function clear(element) {
  element.replaceChildren();
  return element;
}

let serial = 0;

/** A page-unique element id, for label `for=` and `aria-describedby`. */
export function uid(prefix = "f") {
  serial += 1;
  return `${prefix}-${serial}`;
}

/** Tell screen-reader users what just happened (the page's polite live region). */
export function announce(message) {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  // A fresh text after a tick is read out even when it repeats the last one.
  setTimeout(() => { region.textContent = message; }, 50);
}

/** A notice box: kind is "info", "success", "warning" or "error". */
export function notice(kind, ...children) {
  const role = kind === "error" ? "alert" : "status";
  return h("div", { class: `notice notice-${kind}`, role }, ...children);
}

/** The heading block of a screen: its h1 takes the focus when the screen opens. */
export function pageHead(title, description, ...actions) {
  return h("div", { class: "page-head" },
    h("div", {}, h("h1", { tabindex: "-1" }, title), description ? h("p", {}, description) : null),
    actions.length ? h("div", { class: "page-actions" }, ...actions) : null);
}

export function button(label, onClick, { kind = "primary", small = false, ...attributes } = {}) {
  const classes = ["button"];
  if (kind !== "primary") classes.push(`button-${kind}`);
  if (small) classes.push("button-small");
  return h("button", { type: "button", class: classes.join(" "), onClick, ...attributes }, label);
}

export function tag(text, kind = "ok") {
  return h("span", { class: `tag tag-${kind}` }, text);
}

/** A definition list of [label, value] pairs. */
export function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.flatMap(([label, value]) => [h("dt", {}, label), h("dd", {}, value)]));
}

/** Put a notice in `region` (a screen's status area) and move the focus to it, so it is seen and read. */
export function flash(region, kind, ...children) {
  const box = notice(kind, ...children);
  box.setAttribute("tabindex", "-1");
  region.replaceChildren(box);
  box.focus();
  return box;
}
