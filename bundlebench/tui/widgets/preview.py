"""The preview pane: text with syntax highlighting, or hex and an ELF summary."""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.style import Style
from rich.text import Span, Text
from textual.containers import ScrollableContainer
from textual.widgets import Static

from bundlebench.bundle.preview import Preview, hex_dump
from bundlebench.format import human_size
from bundlebench.untrusted import ESCAPE_STYLE, content, content_text, styled

MAX_LINES = 2000
MAX_WIDTH = 1000
SYNTAX_THEME = "monokai"
LIGHT_SYNTAX_THEME = "friendly"


def highlight(preview: Preview, *, dark: bool = True) -> Text:
    """Highlight a text preview by its file name (call from a worker: pygments is slow)."""
    from rich.syntax import Syntax  # pygments: imported on the first text preview

    # The file's text is untrusted: its controls become escapes before anything else.
    code, escapes = content("\n".join(preview.text.split("\n")[:MAX_LINES]))
    lexer = Syntax.guess_lexer(preview.path, code)
    syntax = Syntax(code, lexer, theme=SYNTAX_THEME if dark else LIGHT_SYNTAX_THEME)
    text = syntax.highlight(code)
    # Keep the token colours, drop the theme's background: the pane has its own.
    text.spans = [
        Span(span.start, span.end, Style(color=span.style.color, bold=span.style.bold,
                                         italic=span.style.italic))
        for span in text.spans if isinstance(span.style, Style)
    ]
    text.spans += [Span(start, end, ESCAPE_STYLE) for start, end in escapes]
    text.style = ""
    text.no_wrap = True
    text.rstrip()
    return text


def render_preview(preview: Preview, highlighted: Text | None = None) -> RenderableType:
    """What the pane shows for ``preview``."""
    if preview.kind == "text":
        body: RenderableType = (highlighted if highlighted is not None
                                else content_text(preview.text))
        parts: list[RenderableType] = [body]
        if preview.truncated:
            parts.append(Text(f"… first {human_size(len(preview.data))} of "
                              f"{human_size(preview.size)} shown", style="italic"))
        return Group(*parts)
    if preview.kind == "binary":
        lines: list[RenderableType] = []
        elf = preview.elf
        if elf is not None:
            endian = "LSB" if elf.little_endian else "MSB"
            lines.append(Text(f"ELF {elf.elf_class}-bit {endian}, {elf.type}, {elf.machine}",
                              style="bold"))
            if elf.interpreter:
                lines.append(Text("interpreter: ").append_text(styled(elf.interpreter, 256)))
            if elf.needed:
                lines.append(Text("needs: ").append_text(
                    styled(", ".join(preview.elf.needed), 1024)))
            lines.append(Text(""))
        else:
            lines.append(Text(f"binary data, {human_size(preview.size)}", style="bold"))
        lines.append(Text(hex_dump(preview.data), no_wrap=True))
        return Group(*lines)
    if preview.kind == "empty":
        return Text("(empty file)", style="italic")
    if preview.kind == "not-regular":
        return styled(preview.message[:1].upper() + preview.message[1:] + ".", style="italic")
    return styled(preview.message, style="bold red")


def content_width(renderable: RenderableType) -> int:
    """The widest unwrappable line of a preview, or 0 when it may wrap."""
    parts = renderable.renderables if isinstance(renderable, Group) else [renderable]
    widest = 0
    for part in parts:
        if isinstance(part, Text) and part.no_wrap:
            widest = max(widest, max((cell_len(line) for line in part.plain.splitlines()),
                                     default=0))
    return min(widest, MAX_WIDTH)


class PreviewPane(ScrollableContainer):
    """A scrolling view of one file's first bytes."""

    def compose(self):  # noqa: ANN201 - textual's ComposeResult
        yield Static(id="preview-body")

    def show(self, renderable: RenderableType) -> None:
        """Replace what the pane shows and scroll back to the top."""
        body = self.query_one("#preview-body", Static)
        # A Static's auto width stops at the pane's width; wide lines need room to scroll.
        wide = content_width(renderable)
        body.styles.width = max(wide, self.scrollable_content_region.width) if wide else "1fr"
        body.update(renderable)
        self.scroll_home(animate=False)
