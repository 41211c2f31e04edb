"""The worklist in a real headless browser (Debian's chromium + chromedriver, via selenium):
Dutch by default, the leaflet advice quoted by id, and "mark as done" through the FHIR API.

Never skipped: without chromium the test fails saying what to install."""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from werkzeug.serving import make_server

from cds.followups.ids import followup_id
from cds.store import Store

from .coordinator import coordinator_app

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

CALL = followup_id("enc-1", "pelvic-floor-call-2d")


def _binary(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(f"{names[0]} not found: install it (apt-get install -y chromium chromium-driver)",
                pytrace=False)


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    # Explicit paths: selenium-manager must never download a browser or driver.
    options.binary_location = _binary("chromium", "chromium-browser")
    profile = tempfile.mkdtemp(prefix="cds-chromium-")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(_binary("chromedriver")), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Store]]:
    app, store, _ = coordinator_app(tmp_path)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", store
    server.shutdown()
    server.server_close()
    store.close()


def test_worklist_shows_due_work_with_leaflet_advice_and_marks_it_done(
    browser: webdriver.Chrome, served: tuple[str, Store],
) -> None:
    base, store = served
    statements = store.plan.statements
    browser.get(f"{base}/worklist")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Werklijst bekkenbodem-nazorg"
    overdue = browser.find_elements(By.CSS_SELECTOR, "section#overdue article")
    due = browser.find_elements(By.CSS_SELECTOR, "section#due article")
    assert len(overdue) == 2 and len(due) == 1
    card = browser.find_element(By.ID, f"task-{CALL}")
    assert "Verhoogd risico" in card.find_element(By.CLASS_NAME, "reason").text
    advice = {li.get_attribute("data-statement"): li.text
              for li in card.find_elements(By.CSS_SELECTOR, ".advice li")}
    assert list(advice)[:3] == ["E1", "E2", "E3"]
    assert statements["E1"]["nl"] in advice["E1"] and statements["K4"]["nl"] in advice["K4"]

    card.find_element(By.TAG_NAME, "textarea").send_keys("Gebeld: voelt en kent de oefeningen.")
    card.find_element(By.CLASS_NAME, "mark-done").click()
    WebDriverWait(browser, 15).until(
        lambda d: not d.find_elements(By.ID, f"task-{CALL}"), "the done task to leave the list")
    assert len(browser.find_elements(By.CSS_SELECTOR, "section#overdue article")) == 1

    record = store.task(CALL)
    assert record is not None and record.status == "completed"
    assert record.resource["note"][0]["text"] == "Gebeld: voelt en kent de oefeningen."
    assert [e.action for e in store.audit_trail(task_id=CALL)][-1] == "task-changed"

    browser.get(f"{base}/worklist?lang=en")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Pelvic floor aftercare worklist"
    texts = browser.find_element(By.TAG_NAME, "body").text
    assert statements["C1"]["en"] in texts and "Mark as done" in texts
