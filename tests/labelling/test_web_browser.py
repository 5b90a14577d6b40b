"""The web labelling page in a real browser: headless Chromium, driven by Selenium, on a
real ``backflip serve`` of a real run. Needs Debian's ``chromium`` and ``chromium-driver``
(``.ci/run`` installs them)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from human_runs import free_port, make_run, start_server
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from backflip.web.labellers import Labellers

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        shutil.which("chromedriver") is None, reason="needs chromium and chromium-driver"
    ),
]

SCREENSHOT = os.environ.get("BACKFLIP_PAGE_SCREENSHOT")
"""If set, where the test saves its screenshot of the page (the README's picture)."""


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--window-size=960,640", "--mute-audio"):
        options.add_argument(flag)
    options.add_argument("--autoplay-policy=no-user-gesture-required")
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(check: Callable[[], object], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("the page did not get there in time")
        time.sleep(0.1)


def test_a_labeller_answers_with_keys_and_clicks_from_an_invite_link(
    tmp_path: Path, browser: webdriver.Chrome
) -> None:
    store, queries = make_run(tmp_path, n_queries=3)
    name = "ada <b>&amp;"  # markup in a name is shown as text, never interpreted
    secret = Labellers(tmp_path / "web" / "labellers.json").add(name)
    port = free_port()
    server = start_server(tmp_path, port)
    try:
        browser.get(f"http://127.0.0.1:{port}/#{secret}")
        footer = browser.find_element(By.ID, "footer")

        def says(text: str) -> Callable[[], bool]:
            return lambda: text in footer.text

        def playing() -> bool:
            return bool(
                browser.execute_script(
                    "return [...document.querySelectorAll('video')]"
                    ".every(v => v.readyState >= 2 && v.currentTime > 0)"
                )
            )

        wait_for(says(f"{name}: labels 0/"))
        assert browser.find_elements(By.CSS_SELECTOR, "#footer b") == []
        wait_for(playing)
        assert "#" not in browser.current_url  # the secret left the address bar
        if SCREENSHOT:
            browser.save_screenshot(SCREENSHOT)
        keys = ActionChains(browser)
        keys.send_keys(Keys.ARROW_LEFT).perform()
        wait_for(says("(you: 1)"))
        browser.find_element(By.CSS_SELECTOR, "button[data-choice='right']").click()
        wait_for(says("(you: 2)"))
        keys.send_keys("u").perform()  # the right-click answer is taken back
        wait_for(says("(you: 1)"))
        keys.send_keys(Keys.ARROW_DOWN).perform()  # the pair it held: skipped
        wait_for(says("(you: 2)"))
        wait_for(playing)
        keys.send_keys(Keys.ARROW_UP).perform()  # the undone pair, asked again
        wait_for(says("(you: 3)"))
        message = browser.find_element(By.ID, "message")
        wait_for(lambda: "no pair is waiting" in message.text)
    finally:
        server.kill()
        server.wait()
    answers = {(c.left_id, c.right_id): (c.label, c.labeller) for c in store.comparisons(True)}
    clips = [store.query_clips(q) for q in queries]
    assert answers == {clips[0]: (1.0, name), clips[1]: (0.5, name), clips[2]: (None, name)}
