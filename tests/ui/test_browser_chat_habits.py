"""The chat people expect (issue 13 item 4) in headless Chromium, on the scripted fake (tests/ui/scripted_ui.py):
a two-turn conversation whose turn 1 is edited, which makes a branch (turn 2 of the old branch leaves the
chat; the new answer follows the edited question); the answer card's Copy button puts the answer on the
clipboard; Shift+Enter breaks the line and Enter sends; Esc stops a run. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import time

import pytest

from tests.ui.scripted_ui import CAPITAL, ITALY, LIVE, PARIS, PEOPLE, ROME
from tests.ui.test_browser import CHROMEDRIVER, CHROMIUM, _wait, browser  # noqa: F401
from tests.ui.test_browser_app_fixes import _ask, _body, _buttons, _shot
from tests.ui.test_browser_conversation import _answered, _click, scripted_app  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="needs Debian chromium + chromium-driver"),
]

_MAIN = "[data-testid='stMainBlockContainer']"


def _main(driver) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, _MAIN).text


def _by_key(driver, key: str):
    """The element of the widget or container with Streamlit key ``key`` (its st-key-… class)."""
    from selenium.webdriver.common.by import By

    found = driver.find_elements(By.CSS_SELECTOR, f".st-key-{key}")
    return found[0] if found else None


def _questions(driver) -> list[str]:
    """The questions in the chat, in order."""
    from selenium.webdriver.common.by import By

    messages = driver.find_elements(By.CSS_SELECTOR, "[data-testid='stChatMessage']")
    return [
        m.find_element(By.CSS_SELECTOR, "[data-testid='stMarkdown']").text
        for m in messages
        if m.find_elements(By.CSS_SELECTOR, "[data-testid='stChatMessageAvatarUser']")
    ]


def _answers(driver) -> list[str]:
    """The text of every answer card, in order."""
    from selenium.webdriver.common.by import By

    cards = driver.find_elements(By.CSS_SELECTOR, "[class*='st-key-answer-']")
    return [c.find_element(By.CSS_SELECTOR, "[data-testid='stMarkdown']").text for c in cards]


def test_edit_turn_one_branches_copy_and_esc_stops(scripted_app: str, browser) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(scripted_app)
    _ask(browser, CAPITAL)
    _wait(browser, lambda d: _answered(d, PARIS), 120, "turn 1 answered")
    _ask(browser, PEOPLE)
    _wait(browser, lambda d: _answered(d, LIVE), 120, "turn 2 answered")
    thread = browser.current_url.split("thread=")[1].split("&")[0]
    assert _questions(browser) == [CAPITAL, PEOPLE]
    time.sleep(1)

    # edit turn 1: the turns after it leave the chat, the new answer follows the edited question
    edit = _wait(browser, lambda d: _by_key(d, f"edit-{thread}-0"), 30, "turn 1's Edit menu")
    _shot(browser, "ui-chat-two-turns.png")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", edit)
    time.sleep(0.5)
    edit.find_element(By.TAG_NAME, "button").click()
    box = _wait(
        browser,
        lambda d: [t for t in d.find_elements(By.CSS_SELECTOR, "[data-testid='stPopoverBody'] textarea")],
        30,
        "the edit box",
    )[0]
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    box.send_keys(ITALY)
    box.send_keys(Keys.CONTROL, Keys.ENTER)  # the text area's value reaches the app before the click
    time.sleep(1)
    _shot(browser, "ui-chat-edit-turn-1.png")
    popover = browser.find_element(By.CSS_SELECTOR, "[data-testid='stPopoverBody']")
    send = [b for b in popover.find_elements(By.TAG_NAME, "button") if "re-run" in b.text]
    assert send, popover.get_attribute("innerHTML")[:3000]
    send = send[0]
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", send)
    send.click()
    try:
        _wait(browser, lambda d: _answered(d, ROME), 120, "the edited turn 1 answered")
    except Exception:
        _shot(browser, "ui-chat-debug.png")
        buttons = [b.text for b in browser.find_elements(By.CSS_SELECTOR, "[data-testid='stButton'] button")]
        raise AssertionError(f"{buttons}\n{_body(browser)[-2500:]}") from None
    time.sleep(1)
    assert _questions(browser) == [ITALY], "turn 2 of the old branch left the chat"
    assert _answers(browser) == [ROME], "the new answer follows the edited question"
    main = _main(browser)
    assert main.index(ITALY) < main.index(ROME)
    for gone in (PARIS, LIVE):  # the old answers are gone (notes from memory may still quote them)
        assert gone not in _answers(browser)
    assert thread in browser.current_url, "the branch is on the same chat"
    popovers = browser.find_elements(By.CSS_SELECTOR, "[data-testid='stPopoverBody']")
    assert not [p for p in popovers if p.is_displayed()], "the Edit menu closed once sent"
    _shot(browser, "ui-chat-branch.png")

    # its [1] links to the first source listed under it (the chat memory of the old turn 1)
    link = browser.find_element(By.CSS_SELECTOR, "[class*='st-key-answer-'] a[href^='#source-']")
    target = browser.find_element(By.ID, link.get_attribute("href").split("#")[1])
    assert link.text == "[1]" and target.tag_name == "li" and "/users/local/chats" in target.text
    browser.execute_script("arguments[0].click();", link)
    _wait(
        browser,
        lambda d: d.execute_script("return location.hash") == "#" + target.get_attribute("id"),
        5,
        "#",
    )

    # the answer card's Copy button puts the answer on the clipboard (pasted back into the message box)
    card = _wait(
        browser, lambda d: d.find_elements(By.CSS_SELECTOR, "[class*='st-key-answer-'] iframe"), 30, "Copy"
    )
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", card[-1])
    time.sleep(0.5)
    browser.switch_to.frame(card[-1])
    copy = browser.find_element(By.ID, "copy")
    copy.click()
    _wait(browser, lambda d: "Copied" in d.find_element(By.ID, "copy").text, 10, "Copy says Copied")
    browser.switch_to.default_content()
    _shot(browser, "ui-chat-answer-card.png")
    box = browser.find_element(By.CSS_SELECTOR, "[data-testid='stChatInputTextArea']")
    box.click()
    box.send_keys(Keys.CONTROL, "v")
    pasted = box.get_attribute("value")
    assert ROME in pasted, f"the clipboard holds {pasted!r}"
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)

    # Shift+Enter breaks the line without sending; Enter sends; Esc stops the run at its next token
    box.send_keys("How many people")
    box.send_keys(Keys.SHIFT, Keys.ENTER)
    box.send_keys("live there?")
    assert box.get_attribute("value") == "How many people\nlive there?"
    assert len(browser.find_elements(By.CSS_SELECTOR, "[data-testid='stChatMessage']")) == 2, "nothing sent"
    box.send_keys(Keys.ENTER)
    _wait(browser, lambda d: _buttons(d, "Stop") and "WeQ" in _body(d), 60, "turn 2 of the branch going")
    browser.find_element(By.CSS_SELECTOR, "[data-testid='stChatInputTextArea']").send_keys(Keys.ESCAPE)
    _wait(
        browser,
        lambda d: _buttons(d, "Resume this run") and "No final answer yet (status: interrupted)" in _body(d),
        60,
        "Esc stopped the run",
    )
    time.sleep(1)
    _shot(browser, "ui-chat-esc-stopped.png")
    main = _main(browser)
    assert "How many people\nlive there?" in main or "How many people live there?" in main


_BACKGROUND = "return getComputedStyle(document.querySelector(\"[data-testid='stApp']\")).backgroundColor;"


def _brightness(css: str) -> float:
    red, green, blue = (int(v) for v in css[css.index("(") + 1 : css.index(")")].split(",")[:3])
    return (red + green + blue) / 3


def test_the_app_follows_a_light_or_dark_system(scripted_app: str, browser) -> None:  # noqa: F811
    browser.get(scripted_app)
    _wait(browser, lambda d: "Ask the team" in _body(d), 60, "the chat page")
    assert _brightness(browser.execute_script(_BACKGROUND)) > 200, "light on a light system"
    browser.execute_cdp_cmd(
        "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]}
    )
    browser.refresh()
    _wait(browser, lambda d: "Ask the team" in _body(d), 60, "the chat page again")
    _wait(browser, lambda d: _brightness(d.execute_script(_BACKGROUND)) < 60, 20, "dark on a dark system")
    _shot(browser, "ui-chat-dark.png")
