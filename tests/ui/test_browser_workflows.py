"""The Workflows page in headless Chromium on the fake model: type a two-agent pipeline into the live editor
key by key, see its type error at line 9 while still typing (in the editor and under it), fix it in place,
save it, chat with it and replay its run in the inspector; then the editor in a dark theme. Screenshots go
to tests/artifacts/ (or $QSM_ARTIFACTS)."""

from __future__ import annotations

import time

import pytest

from tests.ui.test_browser import CHROMEDRIVER, CHROMIUM, _wait, browser  # noqa: F401  (browser: a fixture)
from tests.ui.test_browser_app_fixes import _ask, _body, _buttons, _shot, fake_app  # noqa: F401
from tests.ui.test_browser_chat_habits import _brightness
from tests.ui.test_workflows_page import BROKEN, FIXED

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="needs Debian chromium + chromium-driver"),
]


# the live editor is a custom component drawn in a shadow root
_EDITOR_ROOT = "document.querySelector(\"[data-testid='stBidiComponentIsolated']\").shadowRoot"
_EDITOR_STATE = f"""
const root = {_EDITOR_ROOT};
const dots = Array.from(root.querySelectorAll('.qe-dot')).map(d => Number(d.dataset.line));
const notes = Array.from(root.querySelectorAll('.qe-line')).map(l => [Number(l.dataset.line), l.innerText]);
return {{focused: root.activeElement === root.querySelector('textarea'), dots: dots, notes: notes,
        status: root.querySelector('.qe-status').innerText}};
"""
_EDITOR_COLOURS = f"""
const root = {_EDITOR_ROOT};
return [getComputedStyle(root.querySelector('.qe-box')).backgroundColor,
        getComputedStyle(root.querySelector('textarea')).color];
"""


def _editor(driver):  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    def find(d):  # type: ignore[no-untyped-def]
        hosts = d.find_elements(By.CSS_SELECTOR, "[data-testid='stBidiComponentIsolated']")
        return hosts[0].shadow_root.find_element(By.CSS_SELECTOR, "textarea") if hosts else None

    return _wait(driver, find, 60, "the live editor")


def _type_live(driver, text: str) -> None:  # type: ignore[no-untyped-def]
    """Type ``text`` key by key as a person does, never leaving the box (no blur, no Ctrl+Enter): the
    editor checks a moment after the last key."""
    from selenium.webdriver.common.keys import Keys

    _editor(driver).click()
    _keys(driver, Keys.CONTROL + "a", Keys.DELETE, *text)


def _keys(driver, *keys: str) -> None:  # type: ignore[no-untyped-def]
    """Press ``keys`` one after another in the focused element (``Keys.CONTROL + "a"``: a chord). Through
    ActionChains: an element's send_keys moves the caret to the end when the box sits in a shadow root."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    for key in keys:
        if len(key) == 2 and key[0] in (Keys.CONTROL, Keys.SHIFT):
            ActionChains(driver).key_down(key[0]).send_keys(key[1]).key_up(key[0]).perform()
        else:
            ActionChains(driver).send_keys(key).perform()


def _editor_state(driver) -> dict:  # type: ignore[no-untyped-def]
    return driver.execute_script(_EDITOR_STATE)


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
    _type_live(browser, BROKEN)
    _wait(browser, lambda d: "Line 9, column 5" in _body(d), 60, "the type error at line 9, while typing")
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
    _wait(browser, lambda d: _editor_state(d)["dots"] == [9], 30, "the editor marks line 9")
    state = _editor_state(browser)
    assert state["focused"], "checking must not take the focus from the editor"
    (line, note), *_ = state["notes"]
    assert line == 9 and note.startswith('  - "editor -> user: Draft"') and "declared as Draft" in note
    assert "1 problem(s): line 9: channel editor -> user" in state["status"]
    time.sleep(1)
    _shot(browser, "ui-workflows-error.png")

    # fix it where it is: the end of line 9, `Draft"` -> `Note"`, still without leaving the box
    _keys(
        browser, Keys.CONTROL + Keys.END, Keys.ARROW_UP, Keys.END, *[Keys.BACKSPACE] * len('Draft"'), *'Note"'
    )
    _wait(browser, lambda d: "No problems" in _body(d), 60, "the fixed spec checks clean")
    _wait(browser, lambda d: _editor_state(d)["dots"] == [], 30, "the mark at line 9 gone")
    assert "Line 9" not in _body(browser)
    state = _editor_state(browser)
    assert state["focused"] and state["notes"] == [] and "No problems" in state["status"], state
    assert _editor(browser).get_attribute("value") == FIXED
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

    # the same editor in a dark theme (the system's), with a problem at its line
    browser.execute_cdp_cmd(
        "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]}
    )
    browser.refresh()
    _nav(browser, "workflows")
    _type_live(browser, BROKEN)
    _wait(browser, lambda d: _editor_state(d)["dots"] == [9], 60, "line 9 marked in the dark")
    background, text = browser.execute_script(_EDITOR_COLOURS)
    assert _brightness(background) < 80 and _brightness(text) > 180, (background, text)
    _wait(  # the topology's edges and labels drawn light
        browser,
        lambda d: (
            "#b0bec5"
            in d.find_element(By.CSS_SELECTOR, "[data-testid='stGraphVizChart'] svg").get_attribute(
                "innerHTML"
            )
        ),
        30,
        "light edges on the dark topology",
    )
    time.sleep(1)
    _shot(browser, "ui-workflows-error-dark.png")

    _nav(browser, "graph")  # the inspector's graph of the same run, in the dark too
    _wait(
        browser,
        lambda d: (
            "#b0bec5"
            in d.find_element(By.CSS_SELECTOR, "[data-testid='stGraphVizChart'] svg").get_attribute(
                "innerHTML"
            )
        ),
        60,
        "light edges on the dark inspector graph",
    )
    time.sleep(1)
    _shot(browser, "ui-inspector-dark.png")
