// The console's entry: sign-in, the header with the staff member and sign-out, the navigation and the
// screen of the URL fragment.

import * as session from "./session.js";
import { createRouter } from "./router.js";
import { GROUPS, screens } from "./screens/index.js";
import { h, clear, announce, notice } from "./ui/dom.js";
import { form } from "./ui/form.js";
import { formatTime } from "./ui/format.js";
import { ROLES, label } from "./labels.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const account = document.getElementById("account");
const router = createRouter({ screens, groups: GROUPS, main, nav });

const ENDED = {
  "signed-out": ["success", "您已退出登录。"],
  expired: ["warning", "登录已到期，请重新登录。"],
  revoked: ["warning", "登录已失效（可能在别处退出或账号已被停用），请重新登录。"],
};

function showSignIn(why) {
  account.hidden = true;
  nav.hidden = true;
  nav.replaceChildren();
  clear(main);
  document.title = "登录 · 江阴市信用办工作台";
  const signIn = form({
    fields: [
      { name: "username", label: "用户名", required: true, autocomplete: "username" },
      { name: "password", label: "密码", type: "password", required: true, autocomplete: "current-password" },
    ],
    submitLabel: "登录",
    errorTitle: "未能登录",
    onSubmit: (values) => session.signIn(values.username, values.password),
  });
  const ended = ENDED[why];
  main.append(h("div", { class: "signin" },
    ended ? notice(ended[0], ended[1]) : null,
    h("div", { class: "panel" },
      h("h1", { tabindex: "-1" }, "工作人员登录"),
      h("p", { class: "muted" }, "信用办审核员、管理员和报送部门使用。"),
      signIn.element)));
  signIn.focusFirst();
}

function showHeader(state) {
  const me = state.me || {};
  document.getElementById("account-name").textContent = me.display_name || me.username || "";
  document.getElementById("account-role").textContent = label(ROLES, me.role) + (me.source ? ` · ${me.source}` : "");
  document.getElementById("account-until").textContent = `登录有效至 ${formatTime(state.refreshExpiresAt)}`;
  account.hidden = false;
  nav.hidden = false;
}

session.onChange((state, why) => {
  if (!state) {
    showSignIn(why);
    announce(ENDED[why] ? ENDED[why][1] : "请登录。");
    return;
  }
  showHeader(state);
  if (why === "signed-in") {
    announce(`已登录：${state.me.display_name}`);
    router.show();
  }
});

document.getElementById("sign-out").addEventListener("click", () => session.signOut());

// Report any resource the page's Content-Security-Policy refused: the console is built to need none.
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP refused ${event.blockedURI || "inline code"} (${event.violatedDirective})`);
});

async function start() {
  let state = null;
  try {
    state = await session.restore();
  } catch (error) {
    clear(main);
    main.append(notice("error", error.message || "无法恢复登录。"));
  }
  if (state) {
    showHeader(state);
    await router.show({ focus: false });
  } else {
    showSignIn();
  }
}

start();
