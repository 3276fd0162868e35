"""A conversation in headless Chromium (issue 13, items 2 and 3): three turns on one chat, where turns 2 and 3
can only be answered with turn 1 in the agents' prompts (the fake model is scripted so: tests/ui/scripted_ui.py);
the page is reloaded in the middle of turn 2 and sees the run finish; turn 3 is stopped and resumed to its
answer; the chat's URL opened afresh shows all three turns. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui.scripted_ui import CAPITAL, LIVE, LOST, PARIS, PEOPLE, RIVER, SEINE
from tests.ui.test_browser import CHROMEDRIVER, CHROMIUM, _wait, browser, running_app  # noqa: F401
from tests.ui.test_browser_app_fixes import _ask, _body, _buttons, _shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="needs Debian chromium + chromium-driver"),
]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def scripted_app(tmp_path: Path) -> Iterator[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "QSM_DATA_DIR": str(tmp_path / "data"),
        "QSM_MEMORY__EMBEDDER": "hashing",
        "QSM_DEFAULTS__MODEL__BACKEND": "fake",
        "QSM_DEFAULTS__MODEL__FAKE_DELAY_S": "1.5",  # each model call streams its words over 1.5 s
    }
    with running_app(
        [sys.executable, "-m", "tests.ui.scripted_ui"], env, tmp_path / "ui.log", cwd=ROOT
    ) as url:
        yield url


def _click(driver, label: str) -> None:
    """Click the app's button labelled ``label``, found afresh if the page redrew it meanwhile."""
    from selenium.common.exceptions import StaleElementReferenceException

    for _ in range(20):
        try:
            button = _wait(driver, lambda d: _buttons(d, label), 30, f"a {label} button")[0]
            driver.execute_script("arguments[0].click();", button)
            return
        except StaleElementReferenceException:
            time.sleep(0.1)
    raise AssertionError(f"the {label} button kept being redrawn")


def _answered(driver, answer: str) -> bool:
    body = _body(driver)
    return answer in body and body.count("cost report") >= 1 and not _buttons(driver, "Stop")


def test_three_turns_reload_mid_run_stop_and_resume(scripted_app: str, browser) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By

    browser.get(scripted_app)
    _ask(browser, CAPITAL)
    _wait(browser, lambda d: _answered(d, PARIS), 120, "turn 1 answered")
    assert "?thread=" in browser.current_url, "the chat has its own URL"
    chat_url = browser.current_url

    # turn 2 depends on turn 1; the page is reloaded while it runs and sees it finish
    _ask(browser, PEOPLE)
    _wait(browser, lambda d: _buttons(d, "Stop") and "WeQ" in _body(d), 60, "turn 2 going")
    browser.refresh()
    _wait(
        browser, lambda d: PEOPLE in _body(d) and _buttons(d, "Stop"), 60, "the reloaded page follows turn 2"
    )
    _shot(browser, "ui-conversation-reloaded-mid-run.png")
    _wait(browser, lambda d: _answered(d, LIVE), 120, "turn 2 answered after the reload")
    body = _body(browser)
    assert LOST not in body, "turn 2 was asked without turn 1"
    assert CAPITAL in body and PARIS in body, "the chat shows turn 1 above turn 2"
    assert browser.current_url == chat_url, "turn 2 is on the same chat"

    # turn 3 is stopped while WeQ writes, then resumed to its answer
    _ask(browser, RIVER)
    # WeQ streams its draft of turn 3 (shown below its step while it streams): Stop lands mid-draft
    _wait(browser, lambda d: _buttons(d, "Stop") and "The Seine" in _body(d), 90, "turn 3 drafting")
    _click(browser, "Stop")
    _wait(
        browser,
        lambda d: _buttons(d, "Resume this run") and "No final answer yet (status: interrupted)" in _body(d),
        60,
        "turn 3 stopped",
    )
    time.sleep(1)  # the page has settled
    body = _body(browser)
    assert "No final answer yet (status: interrupted)" in body
    assert "drafts · candidate" in body, body[-1500:]
    sidebar = browser.find_element(By.CSS_SELECTOR, "[data-testid='stSidebar']").text
    assert "stopped" in sidebar and "running" not in sidebar, sidebar
    _shot(browser, "ui-conversation-stopped.png")
    _click(browser, "Resume this run")
    _wait(browser, lambda d: _answered(d, SEINE), 120, "turn 3 resumed to its answer")
    time.sleep(1)
    _shot(browser, "ui-conversation-resumed.png")
    body = _body(browser)
    assert "No final answer yet" not in body and not _buttons(browser, "Resume this run")

    # the chat's link, opened afresh, shows the whole conversation in order
    browser.get(chat_url)
    _wait(browser, lambda d: SEINE in _body(d), 60, "the chat's URL shows the conversation")
    body = _body(browser)
    assert body.index(PARIS) < body.index(LIVE) < body.index(SEINE)
    _shot(browser, "ui-conversation-link.png")
