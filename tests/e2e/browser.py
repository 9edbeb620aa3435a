"""A Python handle on ``browser_driver.mjs``: headless Chromium driven by playwright-core.

The scenarios live in pytest because one of them stops and restarts the SignalR emulator
mid-way, which only the Python side can do; the Node process keeps one browser running for
the whole module (launching Chromium is the slow part) and answers one command at a time.
"""

from __future__ import annotations

import collections
import json
import os
import queue
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

DRIVER = Path(__file__).with_name("browser_driver.mjs")
CHROMIUM_ENV = "DOCCHAT_CHROMIUM"
# Node waits up to 30 s for any page condition; allow for that plus the browser's own work.
REPLY_TIMEOUT_S = 90.0


class BrowserError(AssertionError):
    """A browser command failed; the message says what the page showed instead."""


def find_chromium() -> str:
    """The Chromium executable: ``chromium`` on PATH, else the path in $DOCCHAT_CHROMIUM."""
    found = shutil.which("chromium") or os.environ.get(CHROMIUM_ENV)
    if not found or not Path(found).exists():
        raise RuntimeError(
            "Chromium is needed for the browser tests and was not found on PATH. "
            "Install it with `sudo apt-get install -y chromium` (or run `make test` as root), "
            f"or point ${CHROMIUM_ENV} at a Chromium executable."
        )
    return found


def find_node() -> str:
    """The ``node`` executable (Node 20+, with the npm packages installed by ``make setup``)."""
    found = shutil.which("node")
    if not found:
        raise RuntimeError("Node.js 20 is needed for the browser tests; install `nodejs`.")
    return found


class Browser:
    """One ``browser_driver.mjs`` process and its Chromium; :meth:`page` opens a tab."""

    def __init__(self, base_url: str) -> None:
        env = {**os.environ, "DOCCHAT_BASE_URL": base_url, CHROMIUM_ENV: find_chromium()}
        self._process = subprocess.Popen(  # noqa: S603 (fixed argv: node and our script)
            [find_node(), str(DRIVER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self._replies: queue.Queue[str | None] = queue.Queue()
        self._stderr: collections.deque[str] = collections.deque(maxlen=50)
        self._next_id = 0
        threading.Thread(target=self._read_replies, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read_replies(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            self._replies.put(line)
        self._replies.put(None)

    def _read_stderr(self) -> None:
        assert self._process.stderr is not None
        for line in self._process.stderr:
            self._stderr.append(line.rstrip())

    def call(self, op: str, **args: Any) -> Any:
        """Runs one driver operation and returns its result, or raises :class:`BrowserError`."""
        self._next_id += 1
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps({"id": self._next_id, "op": op, "args": args}) + "\n")
        self._process.stdin.flush()
        try:
            line = self._replies.get(timeout=REPLY_TIMEOUT_S)
        except queue.Empty:
            raise BrowserError(f"{op}: no reply within {REPLY_TIMEOUT_S} s") from None
        if line is None:
            raise BrowserError(f"{op}: the browser driver exited:\n" + "\n".join(self._stderr))
        reply = json.loads(line)
        if reply["id"] != self._next_id:
            raise BrowserError(f"{op}: reply out of step: {line}")
        if not reply["ok"]:
            raise BrowserError(reply["error"])
        return reply["result"]

    def page(
        self,
        name: str,
        *,
        width: int = 1120,
        height: int = 660,
        color_scheme: str = "light",
        touch: bool = False,
        enforce_csp: bool = False,
    ) -> Page:
        """A new tab in its own browser context (its own localStorage: one user per tab), with
        this viewport and ``prefers-color-scheme`` ("light" or "dark"); ``touch``: a touch
        screen (``pointer: coarse``, ``hover: none``) as a phone has. The page's
        Content-Security-Policy is bypassed (the driver's waits evaluate strings) unless
        ``enforce_csp``: then wait with :meth:`Page.wait_for_selector` alone."""
        self.call(
            "newPage",
            page=name,
            width=width,
            height=height,
            colorScheme=color_scheme,
            touch=touch,
            enforceCsp=enforce_csp,
        )
        return Page(self, name)

    def close(self) -> None:
        """Ends the driver (closing stdin makes it close Chromium) and waits for it."""
        assert self._process.stdin is not None
        self._process.stdin.close()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


class Page:
    """One tab of the demo page, with the operations the scenarios need."""

    def __init__(self, browser: Browser, name: str) -> None:
        self._browser = browser
        self.name = name

    def _call(self, op: str, **args: Any) -> Any:
        return self._browser.call(op, page=self.name, **args)

    def open(self, user: str, document_id: str, *, via: str = "form") -> None:
        """Loads the page, picks the dev user and opens the document (by link or id form)."""
        self._call("goto")
        self._call("chooseUser", user=user)
        self._call("openDocument", documentId=document_id, via=via)
        self.wait_live()

    def goto(self, hash_: str = "") -> None:
        """Loads the page at ``/`` with this URL hash (``#doc=...``)."""
        self._call("goto", hash=hash_)

    def wait_live(self) -> None:
        """Waits until the page is connected, joined to its document and caught up."""
        self._call("waitLive")

    def wait_for_connection(self, *states: str) -> None:
        self._call("waitForConnection", states=list(states))

    def send(self, text: str) -> None:
        """Sends with the composer and waits for the server's confirmation."""
        self._call("send", text=text)

    def submit(self, text: str) -> None:
        """Sends with the composer without waiting for the server, as a fast typist does."""
        self._call("submit", text=text)

    def wait_for_status(self, text: str, status: str) -> None:
        """Waits until the message with ``text`` has ``status``: sent, pending, stored or failed."""
        self._call("waitForStatus", text=text, status=status)

    def wait_for_sent_count(self, count: int) -> None:
        """Waits until exactly ``count`` messages are shown, each confirmed by the server."""
        self._call("waitForSentCount", count=count)

    def wait_for_texts(self, *texts: str) -> None:
        self._call("waitForTexts", texts=list(texts))

    def wait_for_message_count(self, count: int) -> None:
        self._call("waitForMessageCount", count=count)

    def click(self, test_id: str) -> None:
        self._call("click", testId=test_id)

    def click_in_message(self, message_id: str, selector: str) -> None:
        """Clicks what ``selector`` finds in the message with this id, pointing at it first."""
        self._call("clickInMessage", messageId=message_id, selector=selector)

    def long_press(self, selector: str, until: str) -> None:
        """Presses a finger on what ``selector`` finds until the JavaScript ``until`` holds."""
        self._call("longPress", selector=selector, until=until)

    def click_selector(self, selector: str) -> None:
        """Clicks the one element ``selector`` finds."""
        self._call("clickSelector", selector=selector)

    def fill(self, selector: str, text: str) -> None:
        self._call("fill", selector=selector, text=text)

    def press(self, selector: str, key: str) -> None:
        """Presses ``key`` (a Playwright key name) in what ``selector`` finds."""
        self._call("press", selector=selector, key=key)

    def press_keys(self, *keys: str) -> None:
        """Presses these keys (Playwright key names) in turn wherever focus is."""
        self._call("pressKeys", keys=list(keys))

    def wait_for(self, what: str, expression: str) -> None:
        """Waits until the JavaScript ``expression`` holds in the page; ``what`` names it."""
        self._call("waitFor", what=what, expression=expression)

    def wait_for_api_call(self, method: str, path: str, body: Any) -> None:
        """Waits until the page made ``method path`` with this JSON body and it succeeded."""
        self._call("waitForApiCall", method=method, path=path, body=body)

    def accessibility_violations(self) -> list[dict[str, Any]]:
        """axe-core's serious and critical violations: ``{id, impact, help, targets}``."""
        result: list[dict[str, Any]] = self._call("accessibilityViolations")
        return result

    def platform_fonts(self, selector: str) -> list[dict[str, Any]]:
        """The fonts Chromium drew the text of what ``selector`` finds with:
        ``{familyName, glyphCount}`` (the DevTools protocol's CSS.getPlatformFontsForNode)."""
        result: list[dict[str, Any]] = self._call("platformFonts", selector=selector)
        return result

    def reload(self) -> None:
        self._call("reload")

    def composer_state(self, text: str) -> dict[str, Any]:
        """Types ``text`` into the composer; returns whether Send is disabled and the hint."""
        result: dict[str, Any] = self._call("composerState", text=text)
        return result

    def type_text(self, text: str, *, delay_ms: int = 0) -> float:
        """Types ``text`` key by key into the composer; when it began (the driver's clock, ms)."""
        started: float = self._call("typeText", text=text, delayMs=delay_ms)
        return started

    def presence(self) -> list[dict[str, str]]:
        """The avatars of the others shown as here, in order: ``{id, label}`` (the name on
        hover); the user is not among them."""
        result: list[dict[str, str]] = self._call("presence")
        return result

    def wait_for_presence(self, *user_ids: str) -> float:
        """Waits until exactly these users (the page's own among them) are known as here; when
        they were (the driver's clock, ms)."""
        shown: float = self._call("waitForPresence", userIds=list(user_ids))
        return shown

    def presence_line(self) -> str:
        """The line that says who is here ("Bob and Carol here")."""
        line: str = self.evaluate(
            "document.querySelector('[data-testid=presence-summary]').textContent"
        )
        return line

    def typing_line(self) -> dict[str, str]:
        """The typing line: its ``text``, and how it is announced (``live``)."""
        result: dict[str, str] = self._call("typingLine")
        return result

    def wait_for_typing(self, text: str) -> float:
        """Waits until the typing line reads ``text`` ("" for nobody); when it did (ms)."""
        shown: float = self._call("waitForTyping", text=text)
        return shown

    def wait_for_events(self, way: str, target: str, count: int) -> None:
        """Waits until ``count`` invocations of ``target`` were ``way`` ("sent"/"received")."""
        self._call("waitForEvents", way=way, target=target, count=count)

    def messages(self) -> list[dict[str, Any]]:
        """The messages shown, top to bottom."""
        result: list[dict[str, Any]] = self._call("messages")
        return result

    def texts(self) -> list[str]:
        return [message["text"] for message in self.messages()]

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression run in the page (a promise is awaited)."""
        return self._call("evaluate", expression=expression)

    def snapshot(self) -> dict[str, Any]:
        """Connection state, sync state, title, user and notice as the page shows them."""
        result: dict[str, Any] = self._call("snapshot")
        return result

    def live_messages(self) -> list[dict[str, Any]]:
        """Every ``newMessage`` that arrived over this tab's SignalR WebSockets."""
        result: list[dict[str, Any]] = self._call("liveMessages")
        return result

    def live_events(self, target: str) -> list[dict[str, Any]]:
        """Every ``target`` event that arrived over SignalR: ``{arguments, at}`` (driver ms)."""
        result: list[dict[str, Any]] = self._call("liveEvents", target=target)
        return result

    def sent_events(self, target: str) -> list[dict[str, Any]]:
        """Every ``target`` invocation the page sent over SignalR: ``{arguments, at}``."""
        result: list[dict[str, Any]] = self._call("sentEvents", target=target)
        return result

    def page_errors(self) -> list[str]:
        """Uncaught exceptions in the page."""
        result: list[str] = self._call("pageErrors")
        return result

    def screenshot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._call("screenshot", path=str(path))

    def close(self) -> float | None:
        """Closes the tab; when closing began (the driver's clock, ms), None if it was closed."""
        closed_at: float | None = self._call("closePage")
        return closed_at

    def block_path(self, path: str) -> None:
        """From now on every request of the page to ``path`` fails, as with no network."""
        self._call("blockPath", path=path)

    def goto_url(self, url: str) -> None:
        """Loads an absolute URL: a page of another origin, such as one embedding the panel."""
        self._call("gotoUrl", url=url)

    def frame_evaluate(self, frame: str, expression: str) -> Any:
        """The value of ``expression`` in the frame of this page's iframe ``frame`` (a CSS
        selector), once it has loaded."""
        return self._call("frameEvaluate", frame=frame, expression=expression)

    def frame_wait_for(self, frame: str, what: str, expression: str) -> None:
        """Waits until ``expression`` holds in the frame; ``what`` names it."""
        self._call("frameWaitFor", frame=frame, what=what, expression=expression)

    def frame_send(self, frame: str, text: str) -> None:
        """Sends ``text`` from the framed page's composer and waits until it is confirmed."""
        self._call("frameSend", frame=frame, text=text)

    def frame_accessibility_violations(self, frame: str) -> list[dict[str, Any]]:
        """axe-core's serious and critical violations in the frame."""
        result: list[dict[str, Any]] = self._call("frameAccessibilityViolations", frame=frame)
        return result

    def wait_for_selector(self, selector: str, frame: str | None = None) -> None:
        """Waits for ``selector`` in the page, or in its iframe ``frame``; needs no evaluation,
        so it works under the page's Content-Security-Policy."""
        self._call("waitForSelector", selector=selector, frame=frame)

    def csp_violations(self) -> list[str]:
        """What the browser reported the page's Content-Security-Policy refused."""
        result: list[str] = self._call("cspViolations")
        return result
