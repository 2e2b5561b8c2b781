"""The web page in a real browser (Debian's headless chromium through chromium-driver): at 1280
and 375 px wide no table overflows the page, narrow tables scroll inside their own box, borders
are drawn, Chinese text is set in a CJK font; a PNG of each page is kept (``$DOCGEN_ARTIFACTS``,
which CI sets to out/artifacts)."""

from __future__ import annotations

import os
import shutil
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES

import docgen

pytestmark = pytest.mark.slow

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")
WIDTHS = (1280, 375)
PAGES = {"county-2021": EXAMPLES / "county-bureau-2025.json",
         "jindong-2019": EXAMPLES / "jindong-2019.json"}
#: The tallest screenshot kept (a long report at 375 px is about 9000 px tall).
MAX_HEIGHT = 16000

#: What the page measures of itself, in CSS pixels.
MEASURE = """
const doc = document.documentElement;
const tables = [...document.querySelectorAll('table')].map((table) => {
  const box = table.parentElement, rect = table.getBoundingClientRect();
  const boxRect = box.getBoundingClientRect();
  const cell = table.querySelector('td'), style = getComputedStyle(cell);
  const outer = getComputedStyle(table);
  return {caption: table.caption ? table.caption.textContent : '',
          right: rect.right, width: rect.width, boxRight: boxRect.right,
          boxClient: box.clientWidth, boxScroll: box.scrollWidth,
          boxOverflow: getComputedStyle(box).overflowX,
          cellBorder: [style.borderTopWidth, style.borderTopStyle, style.borderTopColor,
                       style.borderLeftWidth, style.borderLeftStyle].join(' '),
          tableBorder: [outer.borderTopWidth, outer.borderTopStyle].join(' ')};
});
return {innerWidth: window.innerWidth, pageWidth: doc.scrollWidth,
        bodyWidth: document.body.scrollWidth, height: doc.scrollHeight, tables: tables};
"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A headless chromium driven by chromium-driver; skipped only outside CI when missing."""
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        webdriver = None
    if webdriver is None or chromium is None or driver is None:
        if os.environ.get("CI") or os.environ.get("DOCGEN_REQUIRE_LIBREOFFICE"):
            pytest.fail("CI must run the browser test: install chromium, chromium-driver and "
                        "selenium (.ci/setup)")
        pytest.skip("chromium, chromium-driver or selenium is not installed")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    session = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    try:
        yield session
    finally:
        session.quit()


def _viewport(browser: Any, width: int, height: int) -> None:
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})


def _fonts(browser: Any, selector: str) -> dict[str, int]:
    """The fonts the browser really drew a node's text with (family → glyphs)."""
    browser.execute_cdp_cmd("DOM.enable", {})
    browser.execute_cdp_cmd("CSS.enable", {})
    root = browser.execute_cdp_cmd("DOM.getDocument", {})["root"]["nodeId"]
    node = browser.execute_cdp_cmd("DOM.querySelector", {"nodeId": root,
                                                          "selector": selector})["nodeId"]
    fonts = browser.execute_cdp_cmd("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    return {f["familyName"]: f["glyphCount"] for f in fonts}


def _artifacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("DOCGEN_ARTIFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(PAGES))
def test_page_in_a_real_browser(browser: Any, name: str, width: int, tmp_path: Path) -> None:
    page = tmp_path / f"{name}.html"
    docgen.render(PAGES[name], page)
    _viewport(browser, width, 900)
    browser.get(page.as_uri())
    measured = browser.execute_script(MEASURE)

    assert measured["innerWidth"] == width
    assert measured["pageWidth"] <= width, "the page itself scrolls sideways"
    assert measured["bodyWidth"] <= width
    tables = measured["tables"]
    assert [t["caption"] for t in tables][1:] == ["主动公开政府信息情况",
                                                  "收到和处理政府信息公开申请情况",
                                                  "政府信息公开行政复议、行政诉讼情况"]
    for table in tables:
        assert table["cellBorder"] == "1px solid rgb(0, 0, 0) 1px solid", table
        assert table["tableBorder"] == "1px solid", table
        assert table["boxRight"] <= width + 0.5, table  # -- the box never leaves the page --
        if width == 1280:
            assert table["right"] <= width and table["boxScroll"] <= table["boxClient"], table
        elif table["boxScroll"] > table["boxClient"]:
            assert table["boxOverflow"] == "auto", table  # -- it scrolls in its own box --
    if width == 375:
        scrolling = [t["caption"] for t in tables if t["boxScroll"] > t["boxClient"]]
        assert "收到和处理政府信息公开申请情况" in scrolling
        assert "政府信息公开行政复议、行政诉讼情况" in scrolling

    title = _fonts(browser, "h1")
    assert any("CJK" in family or "Han" in family for family in title), title
    cell = _fonts(browser, "td")
    assert cell and all(count > 0 for count in cell.values()), cell

    height = min(int(measured["height"]), MAX_HEIGHT)
    _viewport(browser, width, height)
    png = browser.get_screenshot_as_png()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (width, height)
    (_artifacts(tmp_path) / f"html-{name}-{width}.png").write_bytes(png)
