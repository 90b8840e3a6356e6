// 星级: the five levels' names and thresholds (PUT /api/v1/admin/star-levels replaces all five at once).

import { api } from "../api.js";
import { flash, h, pageHead } from "../ui/dom.js";
import { form } from "../ui/form.js";

const PATH = "/api/v1/admin/star-levels";
const ORDER = [5, 4, 3, 2, 1]; // the list the API gets, by index: levels.0 is 5★

function fields() {
  return ORDER.flatMap((stars, index) => (stars > 1
    ? [{ name: `levels.${index}.name`, label: `${stars}★ 名称`, required: true, maxlength: 20 },
      { name: `levels.${index}.min_points`, label: `${stars}★ 最低分`, type: "number", required: true }]
    : [{ name: `levels.${index}.name`, label: "1★ 名称", required: true, maxlength: 20,
      hint: "1★ 为 2★ 最低分以下的所有分数，不设最低分" }]));
}

export default {
  path: "admin/star-levels",
  title: "星级",
  group: "系统管理",
  roles: ["admin"],
  async render(main) {
    const status = h("div");
    const editorForm = form({
      fields: fields(),
      submitLabel: "保存星级",
      columns: 2,
      labels: { levels: "星级" },
      onSubmit: (values) => api.put(PATH, {
        levels: ORDER.map((stars, index) => {
          const level = { stars, name: values[`levels.${index}.name`] };
          const minimum = values[`levels.${index}.min_points`];
          if (minimum !== undefined && minimum !== null) level.min_points = minimum;
          return level;
        }),
      }),
      onSuccess: () => flash(status, "success", "星级已保存，所有居民的星级随即按新门槛计算。"),
    });
    main.append(
      pageHead("星级", "五个星级的名称和门槛。最低分从 5★ 到 2★ 依次降低；修改后所有居民的星级立即随之变化。"),
      status,
      h("section", { class: "panel", "aria-labelledby": "levels-form" }, h("h2", { id: "levels-form" }, "名称与门槛"), editorForm.element));
    const { levels } = await api.get(PATH);
    const values = {};
    for (const level of levels) {
      const index = ORDER.indexOf(level.stars);
      values[`levels.${index}.name`] = level.name;
      if (level.stars > 1) values[`levels.${index}.min_points`] = level.min_points;
    }
    editorForm.setValues(values);
  },
};
