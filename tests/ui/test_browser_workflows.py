"""The Workflows page in headless Chromium on the fake model: type a two-agent pipeline into the editor, see
its type error at line 9, fix it, save it, chat with it and replay its run in the inspector. Screenshots go
to tests/artifacts/ (or $QSM_ARTIFACTS)."""

from __future__ import annotations

import time

import pytest

from tests.ui.test_browser import CHROMEDRIVER, CHROMIUM, _wait, browser  # noqa: F401  (browser: a fixture)
from tests.ui.test_browser_app_fixes import _ask, _body, _buttons, _shot, fake_app  # noqa: F401
from tests.ui.test_workflows_page import BROKEN, FIXED

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="needs Debian chromium + chromium-driver"),
]


def _type_spec(driver, text: str) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    area = _wait(
        driver, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid='stTextArea'] textarea"), 60, "editor"
    )
    area.send_keys(Keys.CONTROL, "a")
    area.send_keys(Keys.DELETE)
    area.send_keys(text)
    area.send_keys(Keys.CONTROL, Keys.ENTER)  # apply, as clicking outside the box does


def _nav(driver, page: str) -> None:  # type: ignore[no-untyped-def]
    """Follow the navigation link to ``page`` (the sidebar redraws while the app loads: retry)."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    def click(d) -> bool:  # type: ignore[no-untyped-def]
        try:
            d.execute_script("arguments[0].click();", d.find_element(By.CSS_SELECTOR, f"a[href$='/{page}']"))
        except StaleElementReferenceException:
            return False
        return True

    _wait(driver, click, 60, f"link to {page}")


def _click(driver, label: str) -> None:  # type: ignore[no-untyped-def]
    button = _wait(driver, lambda d: _buttons(d, label), 60, f"button {label!r}")[0]
    driver.execute_script("arguments[0].click();", button)


def test_write_fix_save_chat_and_replay_a_pipeline(fake_app: str, browser) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(fake_app)
    _wait(
        browser, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid='stChatInputTextArea']"), 60, "app"
    )
    _nav(browser, "workflows")
    _wait(browser, lambda d: "Workflows" in _body(d) and "built-in" in _body(d), 60, "the library")
    _type_spec(browser, BROKEN)
    _wait(browser, lambda d: "Line 9, column 5" in _body(d), 60, "the type error at line 9")
    body = _body(browser)
    # (Streamlit's markdown draws -> as an arrow)
    assert "channel editor → user is declared as Draft, but editor produces Note" in body
    assert "Save as draft" in body and "Save workflow" not in body
    _wait(
        browser,
        lambda d: (
            "writer"
            in d.find_element(By.CSS_SELECTOR, "[data-testid='stGraphVizChart'] svg").get_attribute(
                "innerHTML"
            )
        ),
        30,
        "topology",
    )
    problem = next(
        e for e in browser.find_elements(By.CSS_SELECTOR, "[data-testid='stAlert']") if "Line 9" in e.text
    )
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", problem)
    time.sleep(1)
    _shot(browser, "ui-workflows-error.png")

    _type_spec(browser, FIXED)
    _wait(browser, lambda d: "No problems" in _body(d), 60, "the fixed spec checks clean")
    assert "Line 9" not in _body(browser)
    _click(browser, "Save workflow")
    _wait(browser, lambda d: "Saved workflow duo" in _body(d), 60, "saved")
    time.sleep(1)
    _shot(browser, "ui-workflows-saved.png")

    _click(browser, "Chat with duo")
    _wait(browser, lambda d: "Chat with duo" in _body(d) and not _buttons(d, "Save"), 60, "the chat page")
    _ask(browser, "Why is the sky blue?")
    _wait(browser, lambda d: "cost report" in _body(d), 300, "the pipeline's answer")
    time.sleep(1)
    body = _body(browser)
    assert "writer" in body and "editor" in body and "(fake model)" in body and "Traceback" not in body
    _shot(browser, "ui-workflows-chat.png")
    steps = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "[data-testid='stExpander'] summary")]
    assert any("writer takes its turn" in s for s in steps), steps
    assert any("editor takes its turn" in s for s in steps), steps

    _nav(browser, "graph")
    try:
        slider = _wait(
            browser,
            lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid='stSlider'] [aria-label='Replay step']"),
            60,
            "replay slider",
        )
    finally:
        _shot(browser, "ui-workflows-inspector.png")
    svg = browser.find_element(By.CSS_SELECTOR, "[data-testid='stGraphVizChart'] svg").get_attribute(
        "innerHTML"
    )
    assert "writer" in svg and "editor" in svg and "QSM" not in svg
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(browser).click(slider).send_keys(Keys.HOME, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT).perform()
    _wait(browser, lambda d: "Step 2/" in _body(d), 60, "replayed to step 2")
    time.sleep(1.5)
    assert "writer → editor" in _body(browser)
    _shot(browser, "ui-workflows-replay.png")
