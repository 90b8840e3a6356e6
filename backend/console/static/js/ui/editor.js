// A panel that opens above a list to create or change one thing: it takes the focus when it opens, Esc or
// "取消" closes it, and the focus goes back to the button that opened it.

import { h, button, uid } from "./dom.js";

export function editor() {
  const title = h("h2", { tabindex: "-1" });
  const body = h("div");
  const element = h("section", { class: "panel", hidden: true }, title, body);
  let opener = null;
  let onClose = null;

  function close({ restoreFocus = true } = {}) {
    if (element.hidden) return;
    element.hidden = true;
    body.replaceChildren();
    if (onClose) onClose();
    if (restoreFocus && opener && opener.isConnected) opener.focus();
  }

  /** Show `content` (usually a form's element) under `heading`; focus its first control. Options: onClose. */
  function open(heading, content, options = {}) {
    opener = document.activeElement;
    onClose = options.onClose || null;
    title.textContent = heading;
    body.replaceChildren(content);
    // "取消" sits beside the form's own buttons, or on its own row under content without any.
    const cancel = button("取消", () => close(), { kind: "secondary" });
    const actions = body.querySelector(".form-actions");
    if (actions) actions.append(cancel);
    else body.append(h("div", { class: "form-actions" }, cancel));
    element.hidden = false;
    const first = body.querySelector("input:not([type=hidden]), select, textarea, button");
    (first || title).focus();
    element.scrollIntoView({ block: "nearest" });
  }

  element.addEventListener("keydown", (event) => {
    // Esc closes the panel (a select's own list handles Esc itself first).
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  });
  title.id = uid("editor");
  element.setAttribute("aria-labelledby", title.id);
  return { element, open, close };
}
