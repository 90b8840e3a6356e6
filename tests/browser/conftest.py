"""Browser tests of the staff console (SPEC §11): Debian's Chromium driven headless through its chromedriver,
against the app served on the embedded default (SQLite, in-process stand-ins) with the demo data, by a
subprocess on a free port. Without Chromium they skip and say why; `.ci/run` installs it.

A failing test leaves a screenshot in tests/browser/screenshots/ (ignored by git).
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from backend.config import project_root

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOTS = Path(__file__).parent / "screenshots"
MISSING = ("Chromium and its driver are not installed (apt-get install chromium chromium-driver; .ci/run "
           "installs them): the console's browser tests did not run")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1366,900",
         "--lang=zh-CN"]


def chromium_present() -> bool:
    return Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()


@pytest.fixture(scope="session")
def console_server(tmp_path_factory):
    """The app with the demo data, served by a subprocess: {url, credentials, log}."""
    if not chromium_present():
        pytest.skip(MISSING)
    instance = tmp_path_factory.mktemp("console-instance")
    log = instance / "server.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as sink:
        process = subprocess.Popen([sys.executable, "-m", "tests.browser.serve", str(instance)],  # noqa: S603
                                   cwd=project_root(), env=env, stdout=subprocess.PIPE, stderr=sink)
    try:
        port = _wait_for_port(process, log)
        credentials = json.loads((instance / "demo-credentials.json").read_text())
        yield {"url": f"http://127.0.0.1:{port}", "credentials": credentials, "log": log}
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_port(process, log: Path) -> int:
    line = process.stdout.readline().decode()  # the server prints one line when it is ready
    match = re.match(r"serving (\d+)", line)
    if not match:
        process.kill()
        raise RuntimeError(f"the console server did not start: {line!r}\n{log.read_text(errors='replace')[-3000:]}")
    return int(match.group(1))


@pytest.fixture
def browser(console_server, tmp_path):
    """A fresh headless Chromium (its own profile) that logs its requests and console messages."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.implicitly_wait(0)
    driver.base_url = console_server["url"]
    yield driver
    driver.quit()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Save what the browser showed when a test failed (before its browser is closed)."""
    outcome = yield
    report = outcome.get_result()
    driver = item.funcargs.get("browser") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and driver is not None:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / (re.sub(r"[^\w.-]+", "_", item.nodeid) + ".png")
        try:
            driver.save_screenshot(str(path))
            report.sections.append(("screenshot", str(path)))
        except Exception as exc:  # a dead browser must not hide the test's own failure
            report.sections.append(("screenshot", f"none: {exc}"))
