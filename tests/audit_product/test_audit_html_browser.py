"""Issue #17: the HTML report in a real headless Chromium (Debian's ``chromium``, driven by Playwright for Python):
it loads with no console error, the counts on the page are the JSON report's, and the filters hide what they
should. Needs ``apt-get install chromium`` (``/usr/bin/chromium`` or ``$DCCFLOW_CHROMIUM``); skipped without it
unless ``DCCFLOW_REQUIRE_BROWSER=1`` (then it fails)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from audit_support import audit_cli

CHROMIUM = os.environ.get("DCCFLOW_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def _browser_or_skip():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is None or not Path(CHROMIUM).is_file():
        if os.environ.get("DCCFLOW_REQUIRE_BROWSER") == "1":
            pytest.fail(f"no browser: playwright importable={sync_playwright is not None}, {CHROMIUM} present="
                        f"{Path(CHROMIUM).is_file()}")
        pytest.skip("Debian's chromium (apt-get install chromium) and playwright are needed")
    return sync_playwright


def _visible(page, selector: str) -> int:
    return page.eval_on_selector_all(selector, "els => els.filter(e => !e.classList.contains('hidden')).length")


def test_the_report_loads_its_counts_are_the_jsons_and_the_filters_work(late_run, tmp_path):
    sync_playwright = _browser_or_skip()
    html, js = tmp_path / "audit.html", tmp_path / "audit.json"
    audit_cli(str(late_run), "--format", "html", "--out", str(html))
    audit_cli(str(late_run), "--format", "json", "--out", str(js))
    report = json.loads(js.read_text())
    summary = report["summary"]
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(html.as_uri())
            page.wait_for_load_state("load")
            shown = page.eval_on_selector_all("[data-count]", "els => els.map(e => [e.dataset.count, e.textContent])")
            assert {k: int(v) for k, v in shown} == {f"{g}.{k}": n for g, c in summary.items() for k, n in c.items()}
            assert int(page.text_content("#shown-cases")) == summary["scope"]["process_instances"]
            assert int(page.text_content("#shown-obligations")) == len(report["obligations"])

            page.select_option("#f-verdict", "breached")
            breached = summary["verdicts"]["breached"]
            assert breached >= 1
            assert _visible(page, ".verdict-row") == breached == int(page.text_content("#shown-verdicts"))
            assert _visible(page, ".obligation-row") == summary["obligations"]["breached"]
            cells = page.eval_on_selector_all(".verdict-row:not(.hidden) td:first-child", "els => els.map(e => "
                                              "e.textContent)")
            assert set(cells) == {"breached"}

            page.select_option("#f-verdict", "")
            page.select_option("#f-process", "post_commissioning")
            cases = [c for c in report["cases"] if c["process"] == "post_commissioning"]
            assert _visible(page, ".case") == len(cases) == int(page.text_content("#shown-cases"))
            page.screenshot(path=str(tmp_path / "audit.png"), full_page=False)
        finally:
            browser.close()
    assert errors == []
