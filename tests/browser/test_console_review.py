"""The console's work screens in a real browser (SPEC §5, §11): the reviewer decides the demo report that
the department confirmed, with its photo shown and the reporter's identity one recorded click away; the
queue and the decision form from the keyboard; the department returns its finding; rewards; the
disclosures import with its line errors."""

import http.client
import json
from urllib.parse import urlsplit

from browser_helpers import open_screen, policy_violations, requests_sent, sign_in, wait_for
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from backend.demo.load import demo_uscc
from backend.demo.public_credit import MARKET, MARKET_AUTHORITY, _authority


def password(server, username):
    return server["credentials"]["staff"][username]


def demo_report(server, which):
    return server["credentials"]["reports"][which]


def call(server, method, path, body=None, token=None):
    """A call of another client (not the browser) to the test's server."""
    connection = http.client.HTTPConnection(urlsplit(server["url"]).netloc, timeout=10)
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    try:
        connection.request(method, path, json.dumps(body) if body is not None else None, headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


def focused(driver):
    return driver.switch_to.active_element


def label_of(driver, element):
    return driver.execute_script(
        "const e = arguments[0];"
        "if (e.labels && e.labels.length) return e.labels[0].textContent.trim();"
        "return e.getAttribute('aria-label') || e.textContent.trim();", element)


def shown_alerts(driver):
    return [element for element in driver.find_elements(By.CSS_SELECTOR, "[role=alert]") if element.is_displayed()]


def queue_row(driver, number):
    """The row of a list whose header cell is this report number, once the list has loaded."""
    def find(d):
        try:
            return [row for row in d.find_elements(By.CSS_SELECTOR, "main table.data tbody tr")
                    if row.find_elements(By.TAG_NAME, "th") and row.find_element(By.TAG_NAME, "th").text == number]
        except StaleElementReferenceException:  # the list was drawn again meanwhile: look again
            return []
    return wait_for(driver, find, message=f"no row {number}")[0]


def press(driver, number, *texts):
    """Press the button (or link) of a report's row with one of these texts, looking again if the list is
    drawn anew meanwhile."""
    text = " or ".join(f"text()='{each}'" for each in texts)
    def pressed(d):
        try:
            queue_row(d, number).find_element(By.XPATH, f".//*[self::a or self::button][{text}]").click()
            return True
        except StaleElementReferenceException:
            return False
    wait_for(driver, pressed, message=f"could not press {texts} of {number}")


def row_text(driver, number):
    def read(d):
        try:
            return queue_row(d, number).text
        except StaleElementReferenceException:
            return None
    return wait_for(driver, read)


def notice_with(driver, text):
    """The notice (role=status) on show that says this, found in one go (notices are replaced, not changed)."""
    return driver.execute_script("return [...document.querySelectorAll('main [role=status]')]"
                                 ".filter((e) => e.textContent.includes(arguments[0]))", text)


def headings(driver):
    """The screen's headings, read in one go (a case page draws its heading again once the case is loaded)."""
    return driver.execute_script("return [...document.querySelectorAll('main h1')].map((h) => h.textContent)")


def open_case(driver, number):
    press(driver, number, "办理", "查看")
    wait_for(driver, lambda d: f"举报 {number}" in headings(d), message=f"the case {number} did not open")


def shown_photos(driver):
    """Images on the page that loaded through a blob: URL (fetched with the token)."""
    return driver.execute_script(
        "return [...document.querySelectorAll('main .attachments img')]"
        ".filter((img) => img.src.startsWith('blob:') && img.complete && img.naturalWidth > 0).length")


# --- the reviewer's queue and decision -------------------------------------------------------------------


def test_reviewer_decides_the_demo_report_the_department_confirmed(browser, console_server):
    number = demo_report(console_server, "ready_for_decision")
    sign_in(browser, "reviewer", password(console_server, "reviewer"))
    open_screen(browser, "queues/reports", "举报审核")
    line = row_text(browser, number)
    assert "办理中" in line and "市场" not in line  # never the department's name in the queue line

    open_case(browser, number)
    main = browser.find_element(By.CSS_SELECTOR, "main")
    wait_for(browser, shown_photos, message="the report's photo was not shown")
    assert "核查属实" in main.text and "market-regulation" in main.text

    # The reporter's identity: one click, one recorded look-up each time.
    requests_sent(browser)
    show = browser.find_element(By.XPATH, "//button[text()='查看举报人身份']")
    for _ in range(2):
        show.click()
        wait_for(browser, lambda d: "记入审计记录" in d.find_element(By.CSS_SELECTOR, ".identity").text)
    looked_up = [r for r in requests_sent(browser) if r["url"].endswith("/reporter") and r["method"] == "GET"]
    assert len(looked_up) == 2
    assert "*" in browser.find_element(By.CSS_SELECTOR, ".identity dl").text  # masked

    Select(browser.find_element(By.NAME, "outcome")).select_by_visible_text("属实")
    browser.find_element(By.NAME, "note").send_keys("市场监管局核查属实，予以扣分并奖励举报人。")
    browser.find_element(By.NAME, "reward_amount").send_keys("200")
    browser.find_element(By.XPATH, "//button[text()='提交决定']").click()

    done = wait_for(browser, lambda d: notice_with(d, "已作出决定：属实"), message="no decision notice")
    assert focused(browser) == done[0]
    decision = browser.find_element(By.XPATH, "//section[h2[text()='处理决定']]").text
    assert "属实" in decision and "¥200 · 待发放" in decision and "market-regulation" in decision
    assert not browser.find_elements(By.NAME, "outcome")  # final: no form any more
    assert policy_violations(browser) == []

    open_screen(browser, "rewards", "奖励发放")
    reward = row_text(browser, number)
    assert "200" in reward and "待发放" in reward
    assert "登记发放" not in reward and "领取人" not in reward  # the demo reviewer lacks rewards:pay
    assert "登记举报奖励发放" in browser.find_element(By.CSS_SELECTOR, "main").text


def test_the_queue_works_from_the_keyboard(browser, console_server):
    sign_in(browser, "reviewer", password(console_server, "reviewer"))
    open_screen(browser, "queues/reports", "举报审核")
    queue_row(browser, demo_report(console_server, "new"))
    assert focused(browser).tag_name == "h1"

    order = []
    for _ in range(8):
        focused(browser).send_keys(Keys.TAB)
        order.append(label_of(browser, focused(browser)))
    assert order[:6] == ["状态", "类别", "是否逾期", "承办人", "查询", "清空"]
    first = browser.find_elements(By.CSS_SELECTOR, "main table.data tbody tr")[0]
    assert order[6] == first.find_element(By.TAG_NAME, "th").text  # the report number, a link
    assert order[7].startswith("办理 ")

    # ↓ walks the same button down the rows; Enter opens the case.
    on_first = focused(browser)
    on_first.send_keys(Keys.ARROW_DOWN)
    second = browser.find_elements(By.CSS_SELECTOR, "main table.data tbody tr")[1]
    assert focused(browser) == second.find_element(By.LINK_TEXT, "办理")
    focused(browser).send_keys(Keys.ARROW_UP)
    assert focused(browser) == on_first

    # Taking a case: the row then names me as its handler.
    new = demo_report(console_server, "new")
    queue_row(browser, new).find_element(By.XPATH, ".//button[text()='由我承办']").send_keys(Keys.ENTER)
    taken = wait_for(browser, lambda d: notice_with(d, f"{new} 已由您承办"))
    assert focused(browser) == taken[0]
    wait_for(browser, lambda d: "我" in row_text(d, new).split(), message="the row does not name me")

    # A filter from the keyboard: only late ones (the demo has none).
    overdue = browser.find_element(By.NAME, "overdue")
    Select(overdue).select_by_visible_text("已逾期")
    overdue.send_keys(Keys.TAB, Keys.TAB)
    assert focused(browser).text == "查询"
    focused(browser).send_keys(Keys.ENTER)
    wait_for(browser, lambda d: "没有符合条件的举报" in d.find_element(By.CSS_SELECTOR, "main table.data").text)
    assert "overdue=true" in browser.current_url


def test_the_decision_form_works_from_the_keyboard(browser, console_server):
    number = demo_report(console_server, "question")  # an anonymous report about a person
    sign_in(browser, "reviewer", password(console_server, "reviewer"))
    open_screen(browser, "queues/reports", "举报审核")
    open_case(browser, number)
    outcome = wait_for(browser, lambda d: d.find_elements(By.NAME, "outcome"))[0]

    browser.execute_script("arguments[0].focus()", outcome)
    order = [label_of(browser, outcome)]
    for _ in range(4):
        focused(browser).send_keys(Keys.TAB)
        order.append(label_of(browser, focused(browser)))
    assert order == ["处理结果*（必填）", "决定理由*（必填）", "适用的扣分项目", "被举报居民编号", "奖励金额（元）"]
    focused(browser).send_keys(Keys.TAB)
    assert focused(browser).text == "提交决定"
    rubric = Select(browser.find_element(By.NAME, "rubric_code"))
    assert any(option.text.startswith("LV-") for option in rubric.options)  # the rubric's penalty items

    focused(browser).send_keys(Keys.ENTER)  # nothing chosen: refused here, the summary takes the focus
    summary = wait_for(browser, shown_alerts)
    assert focused(browser) == summary[0] and "处理结果" in summary[0].text

    # "属实" without the department's confirmed finding: the API refuses, and the summary says why.
    Select(outcome).select_by_visible_text("属实")
    browser.find_element(By.NAME, "note").send_keys("拟认定属实。" + Keys.TAB)
    focused(browser).send_keys(Keys.TAB, Keys.TAB, Keys.TAB, Keys.ENTER)
    summary = wait_for(browser, lambda d: [s for s in shown_alerts(d) if "finding" in s.text or "核查" in s.text],
                       message="no refusal for the missing finding")
    assert focused(browser) == summary[0] and "未能作出决定" in summary[0].text
    assert browser.find_elements(By.NAME, "outcome")  # still open


def test_staff_with_rewards_pay_record_a_payout(browser, console_server):
    number = demo_report(console_server, "decided")  # anonymous: paid against the receipt
    _, signed_in = call(console_server, "POST", "/api/v1/auth/staff-login",
                        {"username": "admin", "password": password(console_server, "admin")})
    cashier = {"username": "cashier", "display_name": "出纳", "role": "reviewer", "password": "奖励发放-2026-出纳",
               "permissions": ["rewards:pay"]}
    status, _ = call(console_server, "POST", "/api/v1/admin/staff", cashier, signed_in["access_token"])
    assert status == 201

    sign_in(browser, cashier["username"], cashier["password"])
    open_screen(browser, "rewards", "奖励发放")
    press(browser, number, "领取人")
    wait_for(browser, lambda d: "凭举报人出示的回执码" in d.find_element(By.CSS_SELECTOR, "main section.panel").text)
    focused(browser).send_keys(Keys.ESCAPE)

    press(browser, number, "登记发放")
    paid_at = wait_for(browser, lambda d: d.find_elements(By.NAME, "paid_at"))[0]
    assert focused(browser) == paid_at
    browser.execute_script("arguments[0].value = '2026-12-01T10:30'", paid_at)
    Select(browser.find_element(By.NAME, "method")).select_by_visible_text("现金")
    browser.find_element(By.NAME, "reference").send_keys("收据 0001" + Keys.ENTER)
    wait_for(browser, lambda d: notice_with(d, "已登记发放"))
    wait_for(browser, lambda d: "已发放" in row_text(d, number) and "现金" in row_text(d, number))

    # The receipt the reporter brings finds the reward, without naming anyone.
    browser.find_element(By.NAME, "receipt").send_keys(console_server["credentials"]["reports"]["decided_receipt"]
                                                       + Keys.ENTER)
    found = wait_for(browser, lambda d: notice_with(d, f"找到举报 {number} 的奖励"))
    assert focused(browser) == found[0]
    assert policy_violations(browser) == []


# --- the department --------------------------------------------------------------------------------------


def test_the_department_returns_its_finding(browser, console_server):
    number = demo_report(console_server, "forwarded")
    sign_in(browser, "market", password(console_server, "market"))
    open_screen(browser, "department/reports", "转办举报")
    assert "待核查" in row_text(browser, number)

    open_case(browser, number)
    wait_for(browser, shown_photos, message="the report's photo was not shown to the department")
    main = browser.find_element(By.CSS_SELECTOR, "main").text
    assert "举报人身份不随举报转交" in main and "查看举报人身份" not in main

    Select(browser.find_element(By.NAME, "finding")).select_by_visible_text("核查属实")
    browser.find_element(By.NAME, "note").send_keys("经现场检查，后厨卫生不符合要求，已责令整改。")
    browser.find_element(By.XPATH, "//button[text()='提交核查结论']").click()
    done = wait_for(browser, lambda d: notice_with(d, "已提交核查结论：核查属实"))
    assert focused(browser) == done[0]
    assert not browser.find_elements(By.NAME, "finding")
    assert policy_violations(browser) == []


# --- disclosures import ----------------------------------------------------------------------------------


def test_a_department_imports_disclosures_and_sees_the_bad_lines(browser, console_server, tmp_path):
    authority = _authority(MARKET_AUTHORITY)
    header = ("type,decision_no,subject_category,subject_name,subject_uscc,violation_type,facts,legal_basis,"
              "penalty_category,content,decided_on,authority,authority_uscc,data_source,severity")
    good = (f"penalty,澄市监罚〔2026〕901号,legal_person,江阴市华宏纺织有限公司,{demo_uscc(101)},虚假宣传,"
            f"在网店发布虚假产品功效宣传,《中华人民共和国广告法》第五十五条,罚款,罚款人民币贰万元,2026-11-20,"
            f"{authority['authority']},{authority['authority_uscc']},{MARKET},general")
    bad = good.replace("901号", "902号").replace(demo_uscc(101), "91320281MA0000000X")
    file = tmp_path / "penalties.csv"
    file.write_text("\n".join([header, good, bad]) + "\n", encoding="utf-8")

    sign_in(browser, "market", password(console_server, "market"))
    open_screen(browser, "imports/disclosures", "公示信息导入")
    upload = browser.find_element(By.XPATH, "//section[h2[text()='行政许可与行政处罚：上传']]")
    upload.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(str(file))
    upload.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    wait_for(browser, lambda d: upload.find_elements(By.CSS_SELECTOR, "[data-count=created]"), message="no counts")
    counts = {e.get_attribute("data-count"): e.text for e in upload.find_elements(By.CSS_SELECTOR, "[data-count]")}
    assert counts == {"rows": "2", "created": "1", "updated": "0", "unchanged": "0", "errors": "1"}
    assert upload.find_element(By.CSS_SELECTOR, "progress").get_attribute("value") == "100"
    [line] = upload.find_elements(By.CSS_SELECTOR, "table.data tbody tr")
    assert line.find_element(By.TAG_NAME, "th").text == "3" and "subject_uscc" in line.text
    assert policy_violations(browser) == []
