// A navigation entry whose API is not built yet: the screen says so and what it will hold. When the API
// lands, write the screen's module and put it in place of its pending(...) line in index.js.

import { h, notice, pageHead } from "../ui/dom.js";

export function pending({ path, title, group, roles, description }) {
  return {
    path,
    title,
    group,
    roles,
    pending: true,
    render(main) {
      main.append(pageHead(title, description),
        notice("info", h("strong", {}, "尚未开放。"), "此功能的接口还在建设中，开放后将在这里办理。"));
    },
  };
}
