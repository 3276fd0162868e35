"""End to end: start `qsm ui`, drive it in headless Debian Chromium, ask a question on the bundled GGUF,
and save screenshots of the answer and of the graph inspector (tests/artifacts/)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ARTIFACTS = Path(os.environ.get("QSM_ARTIFACTS", Path(__file__).resolve().parents[1] / "artifacts"))
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not (CHROMIUM and CHROMEDRIVER),
        reason="needs Debian chromium + chromium-driver (scripts/install.sh --dev installs them)",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_app(command: list[str], env: dict[str, str], log: Path, cwd: Path | None = None) -> Iterator[str]:
    """Start the app (``command`` followed by a free port) with its output in ``log``; yield its URL once
    Streamlit answers its health check, and stop it afterwards."""
    port = _free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen([*command, str(port)], env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{url}/_stcore/health", timeout=1).text == "ok":
                        break
                except httpx.HTTPError:
                    pass
                assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
                assert time.monotonic() < deadline, "the app did not start"
                time.sleep(0.3)
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=30)


@pytest.fixture
def app_url(tmp_path: Path) -> Iterator[str]:
    env = {**os.environ, "QSM_DATA_DIR": str(tmp_path / "data"), "QSM_MEMORY__EMBEDDER": "hashing"}
    with running_app([sys.executable, "-m", "qsm.cli", "ui", "--port"], env, tmp_path / "ui.log") as url:
        yield url


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1500,1100",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def _wait(driver, predicate, timeout: float, what: str):
    """Wait until ``predicate(driver)``; an element Streamlit redrew while it was read counts as not yet."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(
        driver, timeout, poll_frequency=0.5, ignored_exceptions=(StaleElementReferenceException,)
    )
    return wait.until(lambda d: predicate(d), message=what)


def test_ask_in_browser_and_screenshot(app_url: str, browser) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.get(app_url)
    fact = ARTIFACTS / "freedonia.md"
    fact.write_text("# Freedonia\n\nThe capital of Freedonia is Sylvania City.\n")
    upload = _wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "input[type='file']"), 60, "uploader")
    upload.send_keys(str(fact))
    ingest = _wait(
        browser,
        lambda d: next((b for b in d.find_elements(By.TAG_NAME, "button") if "Ingest" in b.text), None),
        60,
        "ingest button",
    )
    browser.execute_script("arguments[0].click();", ingest)
    _wait(browser, lambda d: "chunk(s) added" in d.find_element(By.TAG_NAME, "body").text, 60, "ingested")
    box = _wait(
        browser,
        lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid='stChatInputTextArea']"),
        60,
        "chat input",
    )
    box.send_keys("What is the capital of Freedonia?")
    box.send_keys(Keys.ENTER)
    _wait(
        browser,
        lambda d: (
            "final:" in d.find_element(By.TAG_NAME, "body").text
            and "cost report" in d.find_element(By.TAG_NAME, "body").text
        ),
        600,
        "final answer",
    )
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "QSM" in body and "Ref" in body and "Traceback" not in body
    assert "Sources from memory" in body, "the uploaded fact was recalled and cited"
    for expander in browser.find_elements(By.CSS_SELECTOR, "[data-testid='stExpander'] summary")[:2]:
        browser.execute_script("arguments[0].click();", expander)  # open the first steps: tokens and messages
    time.sleep(1)
    answer_png = ARTIFACTS / "ui-answer.png"
    browser.save_screenshot(str(answer_png))

    browser.execute_script(
        "arguments[0].click();", browser.find_element(By.CSS_SELECTOR, "a[href$='/graph']")
    )
    _wait(
        browser,
        lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid='stGraphVizChart'] svg"),
        120,
        "graph drawn",
    )
    time.sleep(1.5)
    svg = browser.find_element(By.CSS_SELECTOR, "[data-testid='stGraphVizChart'] svg").get_attribute(
        "innerHTML"
    )
    assert "WeQ" in svg and "Draft" in svg
    graph_png = ARTIFACTS / "ui-graph-inspector.png"
    browser.save_screenshot(str(graph_png))
    assert answer_png.stat().st_size > 20_000 and graph_png.stat().st_size > 20_000
