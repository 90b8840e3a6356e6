"""The console's repair and objection queues and its monthly monitoring in a real browser (SPEC §6, §8, §11):
the demo reviewer decides the demo resident's repair and objection with a written reason, both queues and
the decision form work from the keyboard, and the demo admin reads a month's figures with its charts and
warnings and publishes an ended month."""

from browser_helpers import open_screen, policy_violations, sign_in, wait_for
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select
from test_console_review import (
    call,
    focused,
    headings,
    label_of,
    notice_with,
    password,
    press,
    row_text,
    shown_alerts,
    shown_photos,
)

from backend.dates.timeutil import local_today
from backend.monitoring.service import previous_month


def demo_case(server, which):
    return server["credentials"]["repairs"][which]


def open_case(driver, number, heading):
    press(driver, number, "办理", "查看")
    wait_for(driver, lambda d: f"{heading} {number}" in headings(d), message=f"the case {number} did not open")


def section_text(driver, title, *, starts=False):
    """The text of the panel under this heading (or the heading that starts so)."""
    test = f"starts-with(text(), '{title}')" if starts else f"text()='{title}'"
    def read(d):
        try:
            return d.find_element(By.XPATH, f"//section[h2[{test}]]").text
        except StaleElementReferenceException:
            return None
    return wait_for(driver, read, message=f"no section {title}")


# --- the queues from the keyboard (before the demo cases are decided) ----------------------------------


def test_the_repair_queue_works_from_the_keyboard(browser, console_server):
    number = f"XF-{demo_case(console_server, 'pending_repair')}"
    sign_in(browser, "reviewer", password(console_server, "reviewer"))
    open_screen(browser, "queues/repairs", "信用修复")
    line = row_text(browser, number)
    assert "待办理" in line and "梁**" in line and "未分派" in line
    assert "3202" not in line  # the queue names the applicant by masked name only
    assert focused(browser).tag_name == "h1"

    order = []
    for _ in range(8):
        focused(browser).send_keys(Keys.TAB)
        order.append(label_of(browser, focused(browser)))
    assert order == ["状态", "是否逾期", "承办人", "查询", "清空", number, f"办理 {number}", f"由我承办 {number}"]

    focused(browser).send_keys(Keys.ENTER)  # "由我承办" from the keyboard
    taken = wait_for(browser, lambda d: notice_with(d, f"{number} 已由您承办"))
    assert focused(browser) == taken[0]
    wait_for(browser, lambda d: "我" in row_text(d, number).split(), message="the row does not name me")

    mine = browser.find_element(By.NAME, "assignee")
    Select(mine).select_by_visible_text("我承办的")
    mine.send_keys(Keys.TAB)
    assert focused(browser).text == "查询"
    focused(browser).send_keys(Keys.ENTER)
    wait_for(browser, lambda d: "assignee=" in d.current_url)
    assert number in row_text(browser, number)
    assert policy_violations(browser) == []


def test_the_repair_decision_form_works_from_the_keyboard(browser, console_server):
    number = f"XF-{demo_case(console_server, 'pending_repair')}"
    sign_in(browser, "reviewer", password(console_server, "reviewer"))
    open_screen(browser, "queues/repairs", "信用修复")
    open_case(browser, number, "信用修复申请")
    decision = wait_for(browser, lambda d: d.find_elements(By.NAME, "decision"))[0]

    browser.execute_script("arguments[0].focus()", decision)
    order = [label_of(browser, decision)]
    focused(browser).send_keys(Keys.TAB)
    order.append(label_of(browser, focused(browser)))
    assert order == ["处理决定*（必填）", "书面理由*（必填）"]
    assert browser.find_element(By.NAME, "note").get_attribute("aria-describedby")  # its hint is read out
    focused(browser).send_keys(Keys.TAB)
    assert focused(browser).text == "提交决定"

    focused(browser).send_keys(Keys.ENTER)  # nothing chosen: refused on the page, the summary takes the focus
    summary = wait_for(browser, shown_alerts)
    assert focused(browser) == summary[0] and "处理决定" in summary[0].text

    # A one-character reason: the API refuses it, and says so beside the field and in the summary.
    Select(decision).select_by_visible_text("不予修复")
    browser.find_element(By.NAME, "note").send_keys("否" + Keys.TAB)
    focused(browser).send_keys(Keys.ENTER)
    summary = wait_for(browser, lambda d: [s for s in shown_alerts(d) if "未能作出决定" in s.text],
                       message="no refusal of the short reason")
    assert focused(browser) == summary[0] and "书面理由" in summary[0].text
    assert browser.find_element(By.NAME, "note").get_attribute("aria-invalid") == "true"
    assert browser.find_elements(By.NAME, "decision")  # nothing decided


# --- deciding the demo cases ----------------------------------------------------------------------------


def test_reviewer_approves_the_demo_repair(browser, console_server):
    case_id = demo_case(console_server, "pending_repair")
    number = f"XF-{case_id}"
    sign_in(browser, "reviewer", password(console_server, "reviewer"))
    open_screen(browser, "queues/repairs", "信用修复")
    open_case(browser, number, "信用修复申请")
    wait_for(browser, shown_photos, message="the repair's evidence photo was not shown")
    assert "已向社区书面道歉" in section_text(browser, "履约情况说明")
    event = section_text(browser, "涉及的信用记录")
    assert "PO-03" in event and "有效" in event

    Select(browser.find_element(By.NAME, "decision")).select_by_visible_text("同意修复")
    browser.find_element(By.NAME, "note").send_keys("已履行义务并提交整改证明，同意修复。")
    browser.find_element(By.XPATH, "//button[text()='提交决定']").click()

    done = wait_for(browser, lambda d: notice_with(d, "已作出决定：修复通过"), message="no decision notice")
    assert focused(browser) == done[0]
    decided = section_text(browser, "处理决定")
    assert "修复通过" in decided and "已履行义务并提交整改证明" in decided
    assert "已修复" in section_text(browser, "涉及的信用记录")  # drawn from the API's answer
    assert "作出决定" in section_text(browser, "办理记录")
    assert not browser.find_elements(By.NAME, "decision")  # final: no form any more

    # What the API stored, read by another client.
    _, signed_in = call(console_server, "POST", "/api/v1/auth/staff-login",
                        {"username": "admin", "password": password(console_server, "admin")})
    status, stored = call(console_server, "GET", f"/api/v1/review/repairs/{case_id}",
                          token=signed_in["access_token"])
    assert status == 200 and stored["status"] == "approved" and stored["event"]["status"] == "repaired"
    assert stored["decision"]["note"] == "已履行义务并提交整改证明，同意修复。"

    open_screen(browser, "queues/repairs", "信用修复")
    line = row_text(browser, number)
    assert "修复通过" in line and "已完成" in line and "由我承办" not in line
    assert policy_violations(browser) == []


def test_reviewer_rejects_the_demo_objection(browser, console_server):
    case_id = demo_case(console_server, "pending_objection")
    number = f"YY-{case_id}"
    sign_in(browser, "reviewer", password(console_server, "reviewer"))
    open_screen(browser, "queues/objections", "异议处理")
    assert "待办理" in row_text(browser, number)
    open_case(browser, number, "异议")
    assert "车票为证" in section_text(browser, "异议理由")
    assert "没有证明材料" in section_text(browser, "异议理由")
    assert "异议中" in section_text(browser, "涉及的信用记录")

    decision = browser.find_element(By.NAME, "decision")
    browser.execute_script("arguments[0].focus()", decision)
    Select(decision).select_by_visible_text("异议不成立")
    focused(browser).send_keys(Keys.TAB)
    focused(browser).send_keys("经核对考勤与处罚决定书，记录所指确为本人，异议不成立。" + Keys.TAB)
    focused(browser).send_keys(Keys.ENTER)

    done = wait_for(browser, lambda d: notice_with(d, "已作出决定：异议不成立"), message="no decision notice")
    assert focused(browser) == done[0]
    assert "记录所指确为本人" in section_text(browser, "处理决定")
    assert "有效" in section_text(browser, "涉及的信用记录")  # back to active
    assert policy_violations(browser) == []


# --- monitoring ------------------------------------------------------------------------------------------


CHARTS = """
return [...document.querySelectorAll('main .chart canvas')].map((canvas) => {
  const chart = window.Chart && window.Chart.getChart(canvas);
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) inked += 1;
  return {type: chart ? chart.config.type : null, labels: chart ? chart.data.labels : [],
          total: chart ? chart.data.datasets.flatMap((set) => set.data).reduce((a, b) => a + b, 0) : 0,
          datasets: chart ? chart.data.datasets.length : 0, inked};
});
"""


def charts(driver):
    return driver.execute_script(CHARTS)


def test_admin_reads_the_month_with_its_charts_and_warnings(browser, console_server):
    sign_in(browser, "admin", password(console_server, "admin"))
    open_screen(browser, "monitoring", "指标监测")
    drawn = wait_for(browser, lambda d: len(charts(d)) == 2 and charts(d), message="the two charts were not drawn")
    stars, trend = drawn
    assert stars["type"] == "bar" and stars["labels"] == ["澄江街道", "长泾镇"] and stars["datasets"] == 5
    assert stars["total"] > 0 and stars["inked"] > 1000  # bars with the demo's residents, on the canvas
    published = [previous_month(f"{local_today():%Y-%m}")]
    for _ in range(2):
        published.insert(0, previous_month(published[0]))
    assert trend["type"] == "line" and trend["labels"] == published and trend["inked"] > 1000

    # The running month: its figures as of now, and its warning (the demo's overdue commitment).
    month = section_text(browser, f"{local_today().year} 年 {local_today().month} 月")
    assert "本月未结束" in month and "发布" not in month.replace("本月结束后才能发布", "")
    warnings = section_text(browser, "预警（", starts=True)
    assert "政务承诺逾期" in warnings and "长泾镇" in warnings and "逾期未兑现" in warnings
    assert "本月没有预警" not in warnings
    rows = browser.find_elements(By.XPATH, "//table[caption[text()='各镇街月末各星级人数']]/tbody/tr/th")
    assert [row.text for row in rows] == ["澄江街道", "长泾镇", "全市"]
    assert policy_violations(browser) == []


def test_admin_publishes_an_ended_month(browser, console_server):
    month = previous_month(f"{local_today():%Y-%m}")
    for _ in range(3):  # the demo published the last three ended months: the one before them is not
        month = previous_month(month)
    year, number = month.split("-")
    name = f"{year} 年 {int(number)} 月"
    sign_in(browser, "admin", password(console_server, "admin"))
    open_screen(browser, "monitoring", "指标监测")
    chooser = Select(wait_for(browser, lambda d: d.find_elements(By.NAME, "month"))[0])
    chooser.select_by_value(month)
    browser.find_element(By.XPATH, "//button[text()='查看']").click()
    wait_for(browser, lambda d: f"month={month}" in d.current_url)
    assert "未发布" in section_text(browser, name)

    browser.find_element(By.XPATH, f"//button[text()='发布 {name}']").click()
    confirm = wait_for(browser, lambda d: [b for b in d.find_elements(By.XPATH, f"//button[text()='确认发布 {name}']")
                                           if b.is_displayed()])[0]
    assert focused(browser) == confirm  # the panel's only control
    focused(browser).send_keys(Keys.ENTER)
    done = wait_for(browser, lambda d: notice_with(d, f"{name}的监测结果已发布"), message="no publish notice")
    assert focused(browser) == done[0]
    assert "已发布" in section_text(browser, name)
    assert not browser.find_elements(By.XPATH, f"//button[text()='发布 {name}']")

    status, months = call(console_server, "GET", "/api/v1/public/stats/monthly")
    assert status == 200 and month in [row["month"] for row in months]
    wait_for(browser, lambda d: month in charts(d)[1]["labels"], message="the trend lacks the published month")
    assert policy_violations(browser) == []
