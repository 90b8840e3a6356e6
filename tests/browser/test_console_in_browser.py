"""The staff console in a real browser (SPEC §11): sign-in, tokens kept out of URLs and logs and refreshed
before they expire, imports with their line errors, the administration screens, and keyboard use."""

import http.client
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from browser_helpers import (
    open_screen,
    policy_violations,
    requests_sent,
    session_tokens,
    sign_in,
    wait_for,
    wait_until,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from backend.demo.load import demo_people
from backend.privacy.id_numbers import with_check_digit


def staff_password(server, username):
    return server["credentials"]["staff"][username]


def post_json(server, path, body):
    """A call of another client (not the browser) to the test's server."""
    connection = http.client.HTTPConnection(urlsplit(server["url"]).netloc, timeout=10)
    try:
        connection.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


def shown_alerts(driver):
    """The error summaries (role=alert) on show."""
    return [element for element in driver.find_elements(By.CSS_SELECTOR, "[role=alert]") if element.is_displayed()]


def nav_entries(driver):
    return [link.find_element(By.TAG_NAME, "span").text for link in driver.find_elements(By.CSS_SELECTOR, "#nav a")]


def focused(driver):
    return driver.switch_to.active_element


def label_of(driver, element):
    return driver.execute_script(
        "const e = arguments[0];"
        "if (e.labels && e.labels.length) return e.labels[0].textContent.trim();"
        "return e.getAttribute('aria-label') || e.textContent.trim();", element)


# --- signing in and out --------------------------------------------------------------------------------------


def test_admin_signs_in_and_sees_every_screen_of_the_office(browser, console_server):
    sign_in(browser, "admin", staff_password(console_server, "admin"))

    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "main h1"))
    assert browser.find_element(By.CSS_SELECTOR, "main h1").text == "工作台"
    assert browser.find_element(By.ID, "account-name").text == "信用办管理员"
    assert browser.find_element(By.ID, "account-role").text == "管理员"
    entries = nav_entries(browser)
    for title in ("户籍导入", "信用记录导入", "评定标准", "星级", "设置项", "工作人员", "核验方", "审计记录",
                  "举报审核", "信用修复", "异议处理", "奖励发放", "指标监测"):
        assert title in entries
    assert "转办举报" not in entries  # a department's screen
    # The towns' credit households, drawn by the vendored chart library under the page's CSP.
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".chart canvas"), message="no chart")
    rows = wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "table.data tbody tr"))
    assert {row.find_element(By.CSS_SELECTOR, "th").text for row in rows} == {"澄江街道", "长泾镇"}
    assert policy_violations(browser) == []


def test_a_reviewer_sees_no_administration_and_is_refused_it(browser, console_server):
    sign_in(browser, "reviewer", staff_password(console_server, "reviewer"))

    entries = nav_entries(browser)
    assert "举报审核" in entries and "设置项" not in entries and "户籍导入" not in entries
    home = browser.find_element(By.CSS_SELECTOR, "main").text
    assert "查看实名举报人身份" in home  # the demo reviewer's permission
    browser.get(browser.base_url + "/console/#/admin/settings")
    wait_for(browser, lambda d: "无权使用" in d.find_element(By.CSS_SELECTOR, "main").text)


def test_a_department_sees_its_own_screens(browser, console_server):
    sign_in(browser, "market", staff_password(console_server, "market"))

    entries = nav_entries(browser)
    assert "信用记录导入" in entries and "转办举报" in entries
    assert "户籍导入" not in entries and "举报审核" not in entries
    open_screen(browser, "imports/credit-events", "信用记录导入")
    assert "market-regulation" in browser.find_element(By.CSS_SELECTOR, "main").text


def test_wrong_password_is_shown_on_the_form_and_nothing_is_stored(browser, console_server):
    browser.get(browser.base_url + "/console/")
    wait_for(browser, lambda d: d.find_elements(By.NAME, "username"))
    browser.find_element(By.NAME, "username").send_keys("nobody-here")
    browser.find_element(By.NAME, "password").send_keys("not the password" + Keys.ENTER)

    summary = wait_for(browser, shown_alerts)
    assert "未能登录" in summary[0].text
    assert focused(browser) == summary[0]  # the error summary takes the focus
    assert session_tokens(browser) == {}


def test_sign_out_ends_the_sign_in_on_the_server_too(browser, console_server):
    sign_in(browser, "admin", staff_password(console_server, "admin"))
    tokens = session_tokens(browser)
    assert tokens["refreshToken"] and tokens["accessToken"]

    browser.find_element(By.ID, "sign-out").click()
    wait_for(browser, lambda d: "您已退出登录" in d.find_element(By.CSS_SELECTOR, "main").text)
    assert session_tokens(browser) == {}
    assert not browser.find_element(By.ID, "account").is_displayed()
    status, body = post_json(console_server, "/api/v1/auth/refresh", {"refresh_token": tokens["refreshToken"]})
    assert status == 401 and body["reason"] == "token_revoked"


def test_a_reload_keeps_the_sign_in_of_this_tab(browser, console_server):
    sign_in(browser, "admin", staff_password(console_server, "admin"))
    open_screen(browser, "admin/audit", "审计记录")

    browser.refresh()
    wait_for(browser, lambda d: any(h.text == "审计记录" for h in d.find_elements(By.CSS_SELECTOR, "main h1")))
    assert browser.find_element(By.ID, "account").is_displayed()


def test_the_browser_enforces_the_page_policy(browser, console_server):
    """What the CSP is for: script or style slipped into the page (as an injection would) does not run."""
    browser.get(browser.base_url + "/console/")
    wait_for(browser, lambda d: d.find_elements(By.NAME, "username"))

    ran = browser.execute_script(
        "const script = document.createElement('script');"
        "script.textContent = 'window.injected = true';"
        "document.head.append(script);"
        "const box = document.createElement('div');"
        "box.setAttribute('style', 'display: none');"
        "box.id = 'styled'; document.body.append(box);"
        "return [window.injected === true, getComputedStyle(box).display];")

    assert ran == [False, "block"]
    seen = []
    wait_until(lambda: seen.extend(policy_violations(browser)) or len(seen) >= 2, message=f"violations: {seen}")
    assert any("script-src" in message for message in seen) and any("style-src" in message for message in seen)


# --- tokens ----------------------------------------------------------------------------------------------


def test_tokens_are_sent_in_headers_never_in_urls_or_the_server_log(browser, console_server):
    sign_in(browser, "admin", staff_password(console_server, "admin"))
    for path, heading in [("imports/registry", "户籍导入"), ("admin/rubric", "评定标准"), ("admin/staff", "工作人员"),
                          ("admin/verifiers", "核验方"), ("admin/audit", "审计记录")]:
        open_screen(browser, path, heading)
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "table.data tbody tr th"))
    tokens = session_tokens(browser)
    sent = requests_sent(browser)

    api_calls = [request for request in sent if "/api/v1/admin/" in request["url"]]
    assert api_calls, "the screens called no API"
    for request in sent:
        assert tokens["accessToken"] not in request["url"] and tokens["refreshToken"] not in request["url"]
        assert "token" not in request["url"].lower()
    assert all(request["headers"].get("Authorization") == f"Bearer {tokens['accessToken']}" for request in api_calls)
    log = console_server["log"].read_text(errors="replace")
    assert "/api/v1/admin/rubric-items" in log  # the log does record the requests
    assert tokens["accessToken"] not in log and tokens["refreshToken"] not in log


def test_the_access_token_is_refreshed_before_it_expires(browser, console_server):
    sign_in(browser, "admin", staff_password(console_server, "admin"))
    before = session_tokens(browser)
    requests_sent(browser)  # forget the sign-in's requests

    # Two minutes left (less than the margin): the next page load refreshes at once.
    browser.execute_script(
        "const s = JSON.parse(sessionStorage.getItem('chengxin.console.session'));"
        "s.accessExpiresAt = Date.now() + 120000;"
        "sessionStorage.setItem('chengxin.console.session', JSON.stringify(s));")
    browser.refresh()
    after = wait_until(lambda: (t := session_tokens(browser)) and t["refreshToken"] != before["refreshToken"] and t,
                       message="the tokens were not refreshed")

    assert after["accessToken"] != before["accessToken"]
    assert after["accessExpiresAt"] > before["accessExpiresAt"] - 60_000
    assert after["refreshExpiresAt"] <= before["refreshExpiresAt"] + 5_000  # a refresh does not extend the 12 hours
    refreshes = [r for r in requests_sent(browser) if r["url"].endswith("/api/v1/auth/refresh")]
    assert len(refreshes) == 1
    assert browser.find_element(By.ID, "account").is_displayed()
    # Another client refreshing the same spent token inside the grace window gets the same pair.
    status, pair = post_json(console_server, "/api/v1/auth/refresh", {"refresh_token": before["refreshToken"]})
    assert status == 200 and pair["refresh_token"] == after["refreshToken"]


def test_refreshes_asked_at_once_share_one_request(browser, console_server):
    sign_in(browser, "admin", staff_password(console_server, "admin"))
    requests_sent(browser)

    tokens = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "import('/console/js/session.js').then((session) => Promise.all([session.refresh(), session.refresh(),"
        " session.refresh()])).then((states) => done(states.map((s) => s.refreshToken)));")

    assert len(set(tokens)) == 1
    assert len([r for r in requests_sent(browser) if r["url"].endswith("/api/v1/auth/refresh")]) == 1
    assert session_tokens(browser)["refreshToken"] == tokens[0]


# --- imports ---------------------------------------------------------------------------------------------


def test_registry_import_shows_the_counts_and_the_errors_by_line(browser, console_server, tmp_path):
    good = [with_check_digit("32028119900303123"), with_check_digit("32028119900404124")]
    rows = [
        "name,id_number,phone,town,village,household_no,status",
        f"顾立新,{good[0]},13812340001,澄江街道,君山社区,君山-901,active",
        f"沈静,{good[1]},,长泾镇,河塘村,河塘-902,",
        f"钱多,{with_check_digit('32028119900505125')},1390000,澄江街道,东门社区,东门-903,active",
        f"周敏,{with_check_digit('32028119880606123')},,澄江街道,,东门-904,active",
        "吴强,320281198204172112",
    ]
    upload = tmp_path / "户籍.csv"
    upload.write_text("\n".join(rows) + "\n", encoding="utf-8")
    sign_in(browser, "admin", staff_password(console_server, "admin"))
    open_screen(browser, "imports/registry", "户籍导入")

    browser.find_element(By.CSS_SELECTOR, "main input[type=file]").send_keys(str(upload))
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-count=errors]"), message="no result")

    counts = {e.get_attribute("data-count"): e.text for e in browser.find_elements(By.CSS_SELECTOR, "[data-count]")}
    assert (counts["created"], counts["updated"], counts["unchanged"]) == ("2", "0", "0")
    assert counts["errors"] == "3"
    lines = {row.find_element(By.CSS_SELECTOR, "th").text: row.find_element(By.CSS_SELECTOR, "td").text
             for row in browser.find_elements(By.CSS_SELECTOR, "main table.data tbody tr")}
    assert set(lines) == {"4", "5", "6"}  # a short phone, a missing village, a short line
    assert all(reason for reason in lines.values())
    assert browser.find_element(By.CSS_SELECTOR, "main progress").get_attribute("value") == "100"
    assert "有 3 行未导入" in browser.find_element(By.CSS_SELECTOR, "main [role=status]").text
    assert policy_violations(browser) == []


def test_a_department_imports_its_credit_events_and_sees_the_refused_rows(browser, console_server, tmp_path):
    resident = demo_people()[1]  # an active resident of the demo registry
    occurred = (datetime.now(UTC) - timedelta(days=3)).isoformat(timespec="seconds")
    upload = tmp_path / "events.csv"
    upload.write_text("\n".join([
        "id_number,rubric_code,occurred_at,source,source_ref,note",
        f"{resident['id_number']},SF-01,{occurred},market-regulation,澄市监罚〔2026〕901号,未按规定配备消防器材",
        f"{resident['id_number']},SF-01,{occurred},tax,税罚〔2026〕17号,",
    ]) + "\n", encoding="utf-8")
    sign_in(browser, "market", staff_password(console_server, "market"))
    open_screen(browser, "imports/credit-events", "信用记录导入")

    browser.find_element(By.CSS_SELECTOR, "main input[type=file]").send_keys(str(upload))
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-count=errors]"), message="no result")

    counts = {e.get_attribute("data-count"): e.text for e in browser.find_elements(By.CSS_SELECTOR, "[data-count]")}
    assert (counts["rows"], counts["created"], counts["errors"]) == ("2", "1", "1")
    row = browser.find_element(By.CSS_SELECTOR, "main table.data tbody tr")
    assert row.find_element(By.TAG_NAME, "th").text == "3"
    assert row.find_elements(By.TAG_NAME, "td")[1].text == "source_not_allowed"
    assert resident["id_number"] not in browser.find_element(By.CSS_SELECTOR, "main").text


def test_an_import_the_server_refuses_shows_why(browser, console_server, tmp_path):
    upload = tmp_path / "registry.xlsx"
    upload.write_bytes(b"PK\x03\x04 not a csv")
    sign_in(browser, "admin", staff_password(console_server, "admin"))
    open_screen(browser, "imports/registry", "户籍导入")

    browser.find_element(By.CSS_SELECTOR, "main input[type=file]").send_keys(str(upload))
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()

    summary = wait_for(browser, shown_alerts)
    assert "未能导入" in summary[0].text and "csv" in summary[0].text.lower()
    assert browser.find_elements(By.CSS_SELECTOR, "[data-count]") == []


# --- administration ----------------------------------------------------------------------------------------


def test_rubric_screen_lists_and_filters_the_items(browser, console_server):
    sign_in(browser, "admin", staff_password(console_server, "admin"))
    open_screen(browser, "admin/rubric", "评定标准")
    wait_for(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "main table.data tbody tr")) > 1)

    category = browser.find_element(By.CSS_SELECTOR, "main select[name=category]")
    category.find_element(By.CSS_SELECTOR, "option[value=safety]").click()
    browser.find_element(By.CSS_SELECTOR, "main form.filters button[type=submit]").click()
    wait_for(browser, lambda d: "category=safety" in d.current_url)
    wait_for(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, "main [aria-busy=true]"))

    rows = browser.find_elements(By.CSS_SELECTOR, "main table.data tbody tr")
    assert rows and all(row.find_elements(By.TAG_NAME, "td")[1].text == "安全生产与食品安全" for row in rows)
    assert all(row.find_element(By.TAG_NAME, "th").text.startswith("SF-") for row in rows)


def test_settings_show_the_api_field_error_beside_the_field(browser, console_server):
    sign_in(browser, "admin", staff_password(console_server, "admin"))
    open_screen(browser, "admin/settings", "设置项")
    field = wait_for(browser, lambda d: d.find_elements(By.NAME, "limits.binding_per_day"))[0]

    field.clear()
    field.send_keys("0" + Keys.ENTER)  # under the setting's bound of 1: the API refuses it

    summary = wait_for(browser, shown_alerts)
    assert "每个账号每天实名绑定次数" in summary[0].text
    assert field.get_attribute("aria-invalid") == "true"
    message = browser.find_element(By.ID, field.get_attribute("aria-describedby").split()[-1])
    assert message.is_displayed() and message.text
    assert focused(browser) == summary[0]

    field.clear()
    field.send_keys("5")  # as it was: not sent
    limit = browser.find_element(By.NAME, "limits.reports_per_day")
    for value in ("6", "5"):  # and back, for the other tests
        limit.clear()
        limit.send_keys(value + Keys.ENTER)
        saved = wait_for(browser, lambda d: [e for e in d.find_elements(By.CSS_SELECTOR, "main [role=status]")
                                             if "已保存 1 项设置" in e.text])
        assert focused(browser) == saved[0]
        assert field.get_attribute("aria-invalid") is None
        browser.execute_script("arguments[0].remove()", saved[0])


def test_a_bank_api_key_is_shown_once(browser, console_server):
    sign_in(browser, "admin", staff_password(console_server, "admin"))
    open_screen(browser, "admin/verifiers", "核验方")
    wait_for(browser, lambda d: d.find_elements(By.LINK_TEXT, "江阴农商银行"))[0].click()
    wait_for(browser, lambda d: any(h.text == "江阴农商银行" for h in d.find_elements(By.CSS_SELECTOR, "main h1")))

    browser.find_element(By.NAME, "label").send_keys("信贷审批系统" + Keys.ENTER)
    code = wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".secret code"))[0]
    key = code.text
    assert len(key) > 20
    wait_for(browser, lambda d: "信贷审批系统" in d.find_element(By.CSS_SELECTOR, "main").text)

    browser.refresh()
    wait_for(browser, lambda d: "信贷审批系统" in d.find_element(By.CSS_SELECTOR, "main").text)
    assert key not in browser.find_element(By.CSS_SELECTOR, "main").text
    assert browser.find_elements(By.CSS_SELECTOR, ".secret") == []


def test_every_screen_opens_with_labelled_controls_and_nothing_refused_by_the_policy(browser, console_server):
    sign_in(browser, "admin", staff_password(console_server, "admin"))
    links = [(link.get_attribute("href").split("#/", 1)[1], link.find_element(By.TAG_NAME, "span").text)
             for link in browser.find_elements(By.CSS_SELECTOR, "#nav a")]
    assert len(links) >= 14

    for path, title in links:
        open_screen(browser, path, title)
        wait_for(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, "main [aria-busy=true]"),
                 message=f"#/{path} kept loading")
        unlabelled = browser.execute_script(
            "return [...document.querySelectorAll('main input, main select, main textarea')]"
            ".filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))"
            ".map((e) => e.name || e.type);")
        assert unlabelled == [], f"#/{path}: controls without a label: {unlabelled}"
        errors = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "main .notice-error") if e.is_displayed()]
        assert errors == [], f"#/{path}: {errors}"
        assert "尚未开放" not in browser.find_element(By.CSS_SELECTOR, "main").text, f"#/{path} is still pending"
    assert policy_violations(browser) == []


# --- keyboard ---------------------------------------------------------------------------------------------


def test_signing_in_and_a_form_work_from_the_keyboard(browser, console_server):
    browser.get(browser.base_url + "/console/")
    wait_for(browser, lambda d: focused(d).get_attribute("name") == "username", message="username not focused")
    focused(browser).send_keys("admin" + Keys.TAB)
    assert focused(browser).get_attribute("name") == "password"
    focused(browser).send_keys(staff_password(console_server, "admin") + Keys.ENTER)
    wait_for(browser, lambda d: d.find_element(By.ID, "account").is_displayed())

    open_screen(browser, "admin/star-levels", "星级")
    wait_for(browser, lambda d: d.find_element(By.NAME, "levels.0.name").get_attribute("value"))
    assert focused(browser).tag_name == "h1"  # a new screen starts at its heading
    order = []
    for _ in range(10):
        focused(browser).send_keys(Keys.TAB)
        order.append(label_of(browser, focused(browser)))
    required = [f"{stars}★ {what}*（必填）" for stars in (5, 4, 3, 2) for what in ("名称", "最低分")]
    assert order == [*required, "1★ 名称*（必填）", "保存星级"]

    four = browser.find_element(By.NAME, "levels.2.min_points")  # 3★ above 4★: refused by the API
    four.send_keys(Keys.CONTROL, "a")
    four.send_keys("1040" + Keys.ENTER)
    summary = wait_for(browser, shown_alerts)
    assert focused(browser) == summary[0]
    assert "星级" in summary[0].text


def test_the_table_and_its_editor_work_from_the_keyboard(browser, console_server):
    sign_in(browser, "admin", staff_password(console_server, "admin"))
    open_screen(browser, "admin/rubric", "评定标准")
    wait_for(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "main table.data tbody tr button")) > 2)
    rows = browser.find_elements(By.CSS_SELECTOR, "main table.data tbody tr")
    first, second = rows[0].find_elements(By.TAG_NAME, "button")[0], rows[1].find_elements(By.TAG_NAME, "button")[0]

    browser.execute_script("arguments[0].focus()", first)
    first.send_keys(Keys.ARROW_DOWN)
    assert focused(browser) == second
    focused(browser).send_keys(Keys.ARROW_UP)
    assert focused(browser) == first

    first.send_keys(Keys.ENTER)
    wait_for(browser, lambda d: focused(d).get_attribute("name") == "category",
             message="the editor did not take the focus")
    assert "修改项目" in browser.find_element(By.CSS_SELECTOR, "main section.panel h2").text
    focused(browser).send_keys(Keys.ESCAPE)
    wait_for(browser, lambda d: focused(d) == first, message="the focus did not return to the row")
    assert not [e for e in browser.find_elements(By.CSS_SELECTOR, "main section.panel") if e.is_displayed()]
