"""The README's screenshots: the demo post in Chromium, desktop and mobile, light and
dark, with the first clip playing and the second table in view; the blind
violin-solo table after a pick; and a table listened to closely: a passage looped
(from a link to a moment) and the spectrograms shown.

    make demo-build && .venv/bin/python docs/make_screenshots.py
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import sync_playwright

from pelican_audiotable.cli.server import serving

ROOT = Path(__file__).parent.parent
OUTPUT = ROOT / "demo_site" / "output"
POST = "posts/human-vs-ai-music-generation-services/"
VIEWPORTS = {"desktop": (1280, 900), "mobile": (375, 812)}
SCROLL_TO_FIRST_TABLE_HEADING = """
let element = document.querySelector("table.audiotable");
while (element.previousElementSibling && !/^H[1-6]$/.test(element.tagName)) {
  element = element.previousElementSibling;
}
element.scrollIntoView({block: "start"});
window.scrollBy(0, -16);
"""


def main() -> None:
    with serving(OUTPUT) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"],
        )
        for device, (width, height) in VIEWPORTS.items():
            for scheme in ("light", "dark"):
                page = browser.new_page(
                    viewport={"width": width, "height": height}, color_scheme=scheme
                )
                page.goto(f"{url}/{POST}", wait_until="networkidle")
                page.evaluate(SCROLL_TO_FIRST_TABLE_HEADING)
                page.locator(".audiotable-player button").first.click()
                page.wait_for_timeout(1500)  # a second and a half into the clip
                page.locator(".audiotable-player button").first.click()
                page.mouse.move(0, 0)
                page.screenshot(path=ROOT / "docs" / f"{device}-{scheme}.png")
                page.close()
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.goto(f"{url}/{POST}#t=3,8", wait_until="networkidle")
        page.locator("button.audiotable-view").first.click()
        page.wait_for_load_state("networkidle")
        page.mouse.move(0, 0)
        table = page.locator("table.audiotable").first
        box = table.bounding_box()
        assert box is not None
        page.screenshot(
            path=ROOT / "docs" / "listening-light.png",
            clip={
                "x": box["x"] - 8,
                "y": box["y"] - 56,  # the tools above the table
                "width": box["width"] + 16,
                "height": min(box["height"], 420) + 64,
            },
        )
        page.close()
        page = browser.new_page(viewport={"width": 900, "height": 700})
        page.add_init_script("window.audiotableSeed = 3")
        page.goto(f"{url}/{POST}", wait_until="networkidle")
        page.locator("[data-audiotable-choice=B]").click()
        page.mouse.move(0, 0)
        page.locator("table.audiotable-blind").screenshot(
            path=ROOT / "docs" / "blind-light.png"
        )
        browser.close()


if __name__ == "__main__":
    main()
