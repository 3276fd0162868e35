"""The app's visual fixes, checked in headless Chromium on the fake model (slowed down so a run can be
watched and stopped): the streaming step readable while it streams, the live graph as wide as its column
with readable labels, Stop gone after a run, resume replacing the stopped run's warning and buttons, the
memory tree without code blocks, the Costs tab without Streamlit's help text. Screenshots go to
tests/artifacts/ (or $QSM_ARTIFACTS)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui.test_browser import (  # noqa: F401  (browser: a fixture)
    ARTIFACTS,
    CHROMEDRIVER,
    CHROMIUM,
    _wait,
    browser,
    running_app,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="needs Debian chromium + chromium-driver"),
]


@pytest.fixture
def fake_app(tmp_path: Path) -> Iterator[str]:
    env = {
        **os.environ,
        "QSM_DATA_DIR": str(tmp_path / "data"),
        "QSM_MEMORY__EMBEDDER": "hashing",
        "QSM_DEFAULTS__MODEL__BACKEND": "fake",
        "QSM_DEFAULTS__MODEL__FAKE_DELAY_S": "1.5",  # each model call streams its words over 1.5 s
    }
    with running_app([sys.executable, "-m", "qsm.cli", "ui", "--port"], env, tmp_path / "ui.log") as url:
        yield url


def _body(driver) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.TAG_NAME, "body").text


def _ask(driver, question: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = _wait(
        driver,
        lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid='stChatInputTextArea']"),
        60,
        "chat input",
    )
    box.send_keys(question)
    box.send_keys(Keys.ENTER)


def _buttons(driver, text: str) -> list:
    """The app's visible buttons (st.button, not Streamlit's own toolbar) whose label has ``text``."""
    from selenium.webdriver.common.by import By

    found = driver.find_elements(By.CSS_SELECTOR, "[data-testid='stButton'] button")
    return [b for b in found if text in b.text and b.is_displayed()]


def _shot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    return path


# the streaming text shown outside the collapsed step boxes (a code block not inside any expander)
_STREAMING_TEXT = """
return Array.from(document.querySelectorAll("[data-testid='stCode']"))
  .filter(c => !c.closest("[data-testid='stExpander']") && c.offsetHeight > 0)
  .map(c => c.innerText).join("\\n");
"""
# the live graph: its width, its column's width, and the smallest label's height on screen (px)
_GRAPH_SIZES = """
const svg = document.querySelector("[data-testid='stGraphVizChart'] svg");
if (!svg) return null;
const column = svg.closest("[data-testid='stColumn']");
const heights = Array.from(svg.querySelectorAll("text")).map(t => t.getBoundingClientRect().height);
return [svg.getBoundingClientRect().width, column.getBoundingClientRect().width, Math.min(...heights)];
"""


def test_streaming_step_and_live_graph_are_readable_and_stop_goes_away(fake_app: str, browser) -> None:  # noqa: F811
    browser.get(fake_app)
    _ask(browser, "Why is the sea salty?")
    streamed = _wait(browser, lambda d: d.execute_script(_STREAMING_TEXT), 60, "streaming text visible")
    assert "(fake model)" in streamed or streamed.strip()
    sizes = _wait(browser, lambda d: d.execute_script(_GRAPH_SIZES), 60, "live graph drawn")
    _shot(browser, "ui-fix-streaming.png")
    graph_width, column_width, smallest_label = sizes
    assert graph_width >= 0.9 * column_width, sizes
    assert smallest_label >= 11, f"graph labels are {smallest_label:.1f} px high on screen"
    assert _buttons(browser, "Stop"), "Stop shows while the run goes"
    _wait(browser, lambda d: "cost report" in _body(d), 300, "the run ends")
    time.sleep(1)
    _shot(browser, "ui-fix-answer.png")
    assert not _buttons(browser, "Stop"), "Stop is gone once the run has ended"
    assert not browser.execute_script(_STREAMING_TEXT), "finished steps keep their text inside their boxes"


def test_stop_then_resume_replaces_the_stopped_run(fake_app: str, browser) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By

    browser.get(fake_app)
    _ask(browser, "Why is the sea salty?")
    _wait(browser, lambda d: "WeQ" in _body(d) and _buttons(d, "Stop"), 60, "a run going")
    browser.execute_script("arguments[0].click();", _buttons(browser, "Stop")[0])
    sidebar = lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid='stSidebar']").text  # noqa: E731
    try:
        _wait(browser, lambda d: "stopped" in sidebar(d), 60, "the thread listed as stopped")
    finally:
        _shot(browser, "ui-fix-stopped.png")
    assert "running" not in sidebar(browser)
    thread = next(b for b in _buttons(browser, "stopped"))
    browser.execute_script("arguments[0].click();", thread)
    resume = _wait(browser, lambda d: _buttons(d, "Resume this run"), 60, "Resume button")[0]
    assert "No final answer yet" in _body(browser)
    browser.execute_script("arguments[0].click();", resume)
    _wait(browser, lambda d: "cost report" in _body(d), 300, "the resumed run ends")
    time.sleep(1)
    _shot(browser, "ui-fix-resumed.png")
    body = _body(browser)
    assert "No final answer yet" not in body, "the stopped run's warning is gone"
    assert not _buttons(browser, "Resume this run") and not _buttons(browser, "Stop")
    assert "final:" in body


def test_memory_tree_and_costs_tab(fake_app: str, browser) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By

    browser.get(fake_app)
    _ask(browser, "What is 2+2?")
    _wait(browser, lambda d: "cost report" in _body(d), 300, "the run ends")
    browser.execute_script(
        "arguments[0].click();", browser.find_element(By.CSS_SELECTOR, "a[href$='/memory']")
    )
    radio = _wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid='stRadio']"), 60, "tree")
    time.sleep(1)
    _shot(browser, "ui-fix-memory.png")
    labels = radio.text.splitlines()
    assert any(label.startswith((" ", "\u00a0")) for label in labels), labels  # depth >= 2 is indented
    assert not radio.find_elements(By.CSS_SELECTOR, "pre, code"), "labels render as text, not code blocks"
    browser.execute_script(
        "arguments[0].click();", browser.find_element(By.CSS_SELECTOR, "a[href$='/settings']")
    )
    costs = _wait(
        browser,
        lambda d: [t for t in d.find_elements(By.CSS_SELECTOR, "[role='tab']") if t.text == "Costs"],
        60,
        "Costs tab",
    )[0]
    browser.execute_script("arguments[0].click();", costs)
    _wait(
        browser, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid='stDataFrame']"), 60, "cost table"
    )
    time.sleep(1)
    _shot(browser, "ui-fix-costs.png")
    assert "DeltaGenerator" not in _body(browser)
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-testid='stHelp']")
    browser.execute_script(
        "arguments[0].click();", browser.find_element(By.CSS_SELECTOR, "a[href$='/graph']")
    )
    sizes = _wait(
        browser, lambda d: d.execute_script(_GRAPH_SIZES.replace("stColumn", "stMain")), 60, "graph"
    )
    time.sleep(1)
    _shot(browser, "ui-fix-graph-inspector.png")
    assert sizes[2] >= 11, f"the inspector's labels are {sizes[2]:.1f} px high"
