"""What the console's browser tests do again and again: sign in, open a screen, wait, read the browser's logs."""

import json
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

WAIT = 10  # seconds a browser test waits for the page before it fails



def wait_for(driver, condition, timeout=WAIT, message=""):
    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(condition, message)


def sign_in(driver, username, password):
    """Sign in through the console's form, as a person would."""
    driver.get(driver.base_url + "/console/")
    wait_for(driver, lambda d: d.find_elements(By.NAME, "username"), message="no sign-in form")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_for(driver, lambda d: d.find_element(By.ID, "account").is_displayed(), message="not signed in")


def open_screen(driver, path, heading):
    """Open the screen at ``#/path`` and wait for its heading."""
    driver.get(f"{driver.base_url}/console/#/{path}")
    wait_for(driver, lambda d: any(h.text == heading for h in d.find_elements(By.CSS_SELECTOR, "main h1")),
             message=f"no heading {heading!r} on #/{path}")


def requests_sent(driver) -> list[dict]:
    """The requests the page sent since the last call (Chromium's performance log)."""
    sent = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            request = message["params"]["request"]
            sent.append({"url": request["url"], "method": request["method"], "headers": request.get("headers", {})})
    return sent


def policy_violations(driver) -> list[str]:
    """Console messages about anything the Content-Security-Policy refused."""
    return [entry["message"] for entry in driver.get_log("browser")
            if "Content Security Policy" in entry["message"] or "CSP refused" in entry["message"]]


def session_tokens(driver) -> dict:
    stored = driver.execute_script("return sessionStorage.getItem('chengxin.console.session')")
    return json.loads(stored) if stored else {}


def wait_until(predicate, timeout=WAIT, message=""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(message or "condition not met in time")
