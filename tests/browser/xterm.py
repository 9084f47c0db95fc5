"""Read what the page's xterm.js terminal shows.

textual.js keeps its Terminal in a closure and draws with a canvas or WebGL renderer, so
neither a global nor the DOM holds the text; the DevTools protocol can still find the
live object (Runtime.queryObjects) by its shape, and its buffer has the lines.
"""

from __future__ import annotations

from tests.browser.cdp import Page

_FIND = """function () {
    const terminal = this.find(o => {
        try {
            return o && typeof o.onData === "function" && o.buffer && o.buffer.active
                && typeof o.buffer.active.getLine === "function";
        } catch (error) { return false; }
    });
    if (terminal) { window.__terminalUnderTest = terminal; }
    return Boolean(terminal);
}"""

_READ = """(() => {
    const terminal = window.__terminalUnderTest;
    const lines = [];
    for (let y = 0; y < terminal.rows; y++) {
        const line = terminal.buffer.active.getLine(y);
        lines.push(line ? line.translateToString(true) : "");
    }
    return lines.join("\\n");
})()"""


async def find_terminal(page: Page) -> bool:
    """Whether the page has an xterm Terminal yet (remembered for ``terminal_text``)."""
    if await page.evaluate("Boolean(window.__terminalUnderTest)"):
        return True
    prototype = await page.call("Runtime.evaluate", expression="Object.prototype")
    found = await page.call("Runtime.queryObjects",
                            prototypeObjectId=prototype["result"]["objectId"])
    answer = await page.call("Runtime.callFunctionOn", objectId=found["objects"]["objectId"],
                             functionDeclaration=_FIND, returnByValue=True)
    return bool(answer["result"].get("value"))


async def terminal_text(page: Page) -> str:
    """The terminal's visible lines, joined by newlines ("" before it exists)."""
    if not await find_terminal(page):
        return ""
    return await page.evaluate(_READ)


async def focus_terminal(page: Page) -> None:
    """Give the terminal the keyboard, as a click would."""
    await page.evaluate("window.__terminalUnderTest.focus()")
