"""The step view's text: the stop in words, and the stopped process as /proc shows it.

Everything that comes from the container's config or from /proc (syscall text, paths,
mount lines, cgroup paths) goes through bundlebench.untrusted.
"""

from __future__ import annotations

from rich.text import Text

from bundlebench.containers.proc_view import ProcessView
from bundlebench.spec.steps import ExplainedStep
from bundlebench.untrusted import styled

_DIFF_STYLES = {"+": "bold green", "-": "red strike", " ": ""}


def stop_text(number: int, stage: str, pid: int, step: ExplainedStep) -> Text:
    """Which process stopped, before which step, the syscall, what the kernel will do."""
    text = Text()
    text.append(f"stop {number}  ", style="bold")
    text.append_text(styled(stage, 40))
    text.append(f" (pid {pid})  about to: ")
    text.append(step.title, style="bold")
    text.append("\n")
    text.append_text(styled(step.syscall, 600, style="dim"))
    text.append("\n")
    text.append(step.explanation)
    return text


def pointer_text(pointer: str) -> Text:
    text = Text("field ", style="dim")
    if not pointer:
        text.append("none (the runtime does this for every container)", style="dim")
        return text
    text.append_text(styled(pointer, 120, style="bold"))
    text.append("  g opens it, e explains it", style="dim")
    return text


def _heading(text: Text, title: str) -> None:
    if text:
        text.append("\n")
    text.append(f"{title}\n", style="bold underline")


def _namespaces(text: Text, view: ProcessView, before: ProcessView | None) -> None:
    _heading(text, "Namespaces")
    old = {ns.kind: ns.container for ns in before.namespaces} if before else {}
    cells = []
    for ns in view.namespaces:
        changed = ns.kind in old and old[ns.kind] != ns.container
        cell = Text(f"{ns.kind:<6} {ns.container or '?':<11} ")
        cell.append(f"{ns.verdict:<16}",
                    style="bold green" if changed else ("yellow" if ns.shared else ""))
        cells.append(cell)
    for index in range(0, len(cells), 2):
        text.append_text(Text("  ").join(cells[index:index + 2]))
        text.append("\n")


def _ids(view: ProcessView) -> str:
    def rows(rows: list[tuple[int, int, int]]) -> str:
        return ", ".join(f"{a}->{b} ({c})" for a, b, c in rows) or "-"
    return (f"uid {view.uid}  gid {view.gid}\n"
            f"uid_map {rows(view.uid_map)}  gid_map {rows(view.gid_map)}")


def _mount_lines(text: Text, rows: list[tuple[str, str]]) -> None:
    for mark, line in rows:
        text.append_text(styled(f"{mark} {line}", 400, style=_DIFF_STYLES[mark]))
        text.append("\n")


def process_text(view: ProcessView, before: ProcessView | None,
                 mounts: list[tuple[str, str]]) -> Text:
    """The process's facts; ``mounts``: its mount lines marked "+", "-" or " " against the
    previous stop (mount_diff), new ones highlighted."""
    text = Text()
    if view.gone:
        text.append(f"pid {view.pid} is gone (it exec'd, exited or was killed).",
                    style="italic")
        return text
    _namespaces(text, view, before)
    changes = [(mark, line) for mark, line in mounts if mark != " "]
    if changes:  # first, so that at 80x24 the step's effect shows without scrolling
        _heading(text, "Mounts changed since the last stop")
        _mount_lines(text, changes)
    _heading(text, "Process")
    text.append(_ids(view) + "\n")
    text.append("cwd ")
    text.append_text(styled(view.cwd, 200))
    text.append("  root ")
    text.append_text(styled(view.root, 200))
    text.append("\n")
    security = view.security
    nnp = {True: "yes", False: "no", None: "unknown"}[security.no_new_privs]
    text.append(f"seccomp {security.seccomp}  no_new_privs {nnp}\n")
    for line in view.cgroups:
        text.append("cgroup ")
        text.append_text(styled(line, 300))
        text.append("\n")
    added = sum(1 for mark, _ in mounts if mark == "+")
    removed = sum(1 for mark, _ in mounts if mark == "-")
    _heading(text, f"Mounts ({len(view.mounts)}; +{added} -{removed} since the last stop)")
    _mount_lines(text, mounts)
    _heading(text, "Capabilities")
    for name, caps in security.capabilities.items():
        text.append(f"{name} ({len(caps)}): ", style="bold")
        text.append(" ".join(caps) or "none")
        text.append("\n")
    _heading(text, "Limits (soft hard units)")
    for line in view.limits:
        text.append_text(styled(line, 200))
        text.append("\n")
    return text
