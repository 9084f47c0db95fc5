"""The inspector: a container's processes, namespaces, privileges and mounts.

A created container is inspected as it waits before execve (its namespaces, mounts and
privileges are already those of the container), a paused one as the freezer holds it;
a stopped one has no processes left, so only how it ended is shown.

Facts come from bundlebench.containers.inspect in a thread, once a second; the widget
only lays them out. CPU and memory of the whole process tree draw as sparklines. The
body scrolls inside its pane, so the last mount rows never sit under the footer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Sparkline, Static

from bundlebench.containers import inspect
from bundlebench.containers.listing import ContainerRow
from bundlebench.untrusted import styled

REFRESH_SECONDS = 1.0
_PROCESS_COLUMNS = (("pid", "PID"), ("nspid", "NSPID"), ("user", "USER"), ("state", "STATE"),
                    ("cpu", "CPU %"), ("rss", "RSS"), ("command", "COMMAND"))
_LABEL_STYLES = {"masked": "yellow", "bind": "cyan", "self-bind": "cyan", "overlay": "green"}


@dataclass
class Snapshot:
    """Everything the inspector shows about one container, read off the event loop."""

    pid: int
    processes: list[inspect.ProcessRow] = field(default_factory=list)
    namespaces: list[inspect.Namespace] = field(default_factory=list)
    security: inspect.Security = field(default_factory=inspect.Security)
    uid_map: list[tuple[int, int, int]] = field(default_factory=list)
    gid_map: list[tuple[int, int, int]] = field(default_factory=list)
    mounts: list[inspect.MountView] = field(default_factory=list)
    cgroup: str = ""
    cpu: list[float] = field(default_factory=list)
    memory: list[int] = field(default_factory=list)


def read_snapshot(sampler: inspect.ProcessSampler, proc: str = "/proc") -> Snapshot:
    """Read every fact about the sampler's container (blocking: call from a thread)."""
    pid = sampler.init_pid
    host = inspect.host_mounts(proc)
    return Snapshot(pid=pid, processes=sampler.sample(host),
                    namespaces=inspect.namespaces(pid, proc),
                    security=inspect.security(pid, proc),
                    uid_map=inspect.id_map(pid, "uid_map", proc),
                    gid_map=inspect.id_map(pid, "gid_map", proc),
                    mounts=inspect.mount_views(pid, host, proc),
                    cgroup=inspect.cgroup_path(pid, proc),
                    cpu=list(sampler.cpu_history), memory=list(sampler.memory_history))


def _mib(size: int) -> str:
    return f"{size / (1 << 20):.1f} MiB"


def _process_cells(row: inspect.ProcessRow) -> tuple[str | Text, ...]:
    # A container's command lines and names are its own: shown, never markup.
    command = Text("  " * row.depth + ("└ " if row.depth else ""))
    command.append_text(styled(row.command, 80))
    nspid = "?" if row.nspid is None else str(row.nspid)
    return (str(row.pid), nspid, styled(row.user, 32), styled(row.state, 4),
            f"{row.cpu:.1f}", _mib(row.rss), command)


def _maps(rows: list[tuple[int, int, int]]) -> str:
    return ", ".join(f"{inside}→{outside} ×{count}" for inside, outside, count in rows) or "—"


class Inspector(Vertical):
    """Shows one running container; ``show(pid)`` picks it, ``show(None)`` clears."""

    DEFAULT_CSS = """
    Inspector { height: 1fr; }
    Inspector #inspector-body { height: 1fr; }
    Inspector #inspector-empty { color: $text-muted; padding: 1 2; }
    Inspector #inspector-state { height: auto; padding: 0 1; color: $text-warning; }
    Inspector .inspector-title { text-style: bold; color: $text-primary; margin-top: 1; }
    Inspector Sparkline { height: 2; width: 1fr; }
    Inspector #inspector-usage { height: auto; }
    Inspector .inspector-usage-box { width: 1fr; height: auto; }
    Inspector DataTable { height: auto; max-height: 14; }
    Inspector #inspector-security, Inspector #inspector-misc { height: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.pid: int | None = None
        self._sampler: inspect.ProcessSampler | None = None
        self.snapshot: Snapshot | None = None
        self._shown_static: tuple | None = None
        self._shown_processes: list[inspect.ProcessRow] | None = None

    def compose(self) -> ComposeResult:
        yield Static("Select a container to inspect it.", id="inspector-empty")
        yield Static(id="inspector-state")
        with VerticalScroll(id="inspector-body"):
            with Horizontal(id="inspector-usage"):
                with Vertical(classes="inspector-usage-box"):
                    yield Static("CPU", id="inspector-cpu-label", classes="inspector-title")
                    yield Sparkline([], id="inspector-cpu")
                with Vertical(classes="inspector-usage-box"):
                    yield Static("Memory", id="inspector-mem-label", classes="inspector-title")
                    yield Sparkline([], id="inspector-mem")
            yield Static("Processes (cgroup + pid namespace; NSPID: pid inside)",
                         classes="inspector-title")
            yield DataTable(id="inspector-processes", cursor_type="row", zebra_stripes=True)
            yield Static("Namespaces: container beside host", classes="inspector-title")
            yield DataTable(id="inspector-namespaces", cursor_type="row")
            yield Static("Privileges", classes="inspector-title")
            yield Static(id="inspector-security")
            yield Static(id="inspector-misc")
            yield Static("Mounts (/proc/PID/mountinfo)", classes="inspector-title")
            yield DataTable(id="inspector-mounts", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        processes = self.query_one("#inspector-processes", DataTable)
        for key, label in _PROCESS_COLUMNS:
            processes.add_column(label, key=key)
        self.query_one("#inspector-namespaces", DataTable).add_columns(
            "TYPE", "CONTAINER", "HOST", "")
        self.query_one("#inspector-mounts", DataTable).add_columns(
            "TARGET", "WHAT", "TYPE", "ROOT", "SOURCE", "OPTIONS")
        self.query_one("#inspector-body").display = False
        self.query_one("#inspector-state").display = False
        self.set_interval(REFRESH_SECONDS, self._tick)

    def show_row(self, row: ContainerRow | None) -> None:
        """Inspect a container as far as its state allows."""
        from bundlebench.containers.control import CREATED_WHY, PAUSED_WHY

        live = row is not None and row.status in ("running", "created", "paused") and row.pid > 0
        note = ""
        if row is not None and row.status == "created":
            note = CREATED_WHY
        elif row is not None and row.status == "paused":
            note = PAUSED_WHY
        elif row is not None and row.status == "stopped":
            note = (f"stopped ({row.status_text}): its processes are gone, and with them "
                    "what /proc showed. The lifecycle tab (t) keeps its setup trace until "
                    "it is deleted.")
        state = self.query_one("#inspector-state", Static)
        state.update(note)
        state.display = bool(note)
        self.show(row.pid if live and row else None)
        if row is not None and not live:
            self.query_one("#inspector-empty").display = False

    def show(self, pid: int | None) -> None:
        """Inspect the container whose init is ``pid`` (None: nothing)."""
        if pid == self.pid:
            return
        self.pid = pid
        self._sampler = inspect.ProcessSampler(pid) if pid else None
        self._shown_static = None
        self._shown_processes = None
        self.snapshot = None
        self.query_one("#inspector-empty").display = pid is None
        self.query_one("#inspector-body").display = pid is not None
        self._tick()

    def _tick(self) -> None:
        if self._sampler is not None and self.display:
            self._read(self._sampler)

    @work(thread=True, exclusive=True, group="inspector", exit_on_error=False)
    def _read(self, sampler: inspect.ProcessSampler) -> None:
        snapshot = read_snapshot(sampler)
        self.app.call_from_thread(self._apply, sampler, snapshot)

    def _apply(self, sampler: inspect.ProcessSampler, snapshot: Snapshot) -> None:
        if sampler is not self._sampler:
            return  # another container was chosen meanwhile
        self.snapshot = snapshot
        self._show_usage(snapshot)
        self._show_processes(snapshot)
        static = (snapshot.namespaces, snapshot.mounts, snapshot.uid_map, snapshot.gid_map,
                  snapshot.cgroup, repr(snapshot.security))
        if static != self._shown_static:
            self._shown_static = static
            self._show_namespaces(snapshot)
            self._show_security(snapshot)
            self._show_mounts(snapshot)

    def _show_usage(self, snapshot: Snapshot) -> None:
        self.query_one("#inspector-cpu", Sparkline).data = snapshot.cpu or [0.0]
        self.query_one("#inspector-mem", Sparkline).data = [float(m) for m in snapshot.memory] \
            or [0.0]
        cpu = snapshot.cpu[-1] if snapshot.cpu else 0.0
        memory = snapshot.memory[-1] if snapshot.memory else 0
        self.query_one("#inspector-cpu-label", Static).update(f"CPU {cpu:.1f} %")
        self.query_one("#inspector-mem-label", Static).update(f"Memory {_mib(memory)}")

    def _show_processes(self, snapshot: Snapshot) -> None:
        """Rows in place when the same processes are shown (the cursor stays, and a
        second's refresh of 200 sleeping processes changes next to nothing)."""
        table = self.query_one("#inspector-processes", DataTable)
        rows, shown = snapshot.processes, self._shown_processes
        if shown is not None and [r.pid for r in rows] == [r.pid for r in shown]:
            for row, before in zip(rows, shown, strict=True):
                if row == before:
                    continue
                for (column, _), cell, old in zip(_PROCESS_COLUMNS, _process_cells(row),
                                                   _process_cells(before), strict=True):
                    if cell != old:
                        table.update_cell(str(row.pid), column, cell)
        else:
            table.clear()
            for row in rows:
                table.add_row(*_process_cells(row), key=str(row.pid))
        self._shown_processes = list(rows)

    def _show_namespaces(self, snapshot: Snapshot) -> None:
        table = self.query_one("#inspector-namespaces", DataTable)
        table.clear()
        for ns in snapshot.namespaces:
            style = "yellow" if ns.shared else "green"
            table.add_row(ns.kind, str(ns.container or "?"), str(ns.host or "?"),
                          Text(ns.verdict, style=style))

    def _show_security(self, snapshot: Snapshot) -> None:
        security = snapshot.security
        text = Text()
        for name, caps in security.capabilities.items():
            text.append(f"{name:<12}", style="bold")
            shown = ", ".join(c.removeprefix("CAP_") for c in caps) or "none"
            text.append(f"{shown}\n")
        nnp = {True: "on", False: "off", None: "?"}[security.no_new_privs]
        text.append("no_new_privs ", style="bold")
        text.append(f"{nnp}    ")
        text.append("seccomp ", style="bold")
        filters = f" ({security.seccomp_filters} filters)" if security.seccomp_filters else ""
        text.append(f"{security.seccomp}{filters}")
        self.query_one("#inspector-security", Static).update(text)
        misc = Text()
        misc.append("uid map ", style="bold")
        misc.append(f"{_maps(snapshot.uid_map)}    ")
        misc.append("gid map ", style="bold")
        misc.append(f"{_maps(snapshot.gid_map)}\n")
        misc.append("cgroup  ", style="bold")
        misc.append_text(styled(snapshot.cgroup or "—", 200))
        self.query_one("#inspector-misc", Static).update(misc)

    def _show_mounts(self, snapshot: Snapshot) -> None:
        table = self.query_one("#inspector-mounts", DataTable)
        table.clear()
        for view in snapshot.mounts:
            mount = view.mount
            # Paths, sources and options are the container's: shown, never markup.
            table.add_row(styled(mount.target, 120), styled(view.label, 160,
                                                            _LABEL_STYLES.get(view.kind, "")),
                          styled(mount.fstype, 32), styled(mount.root, 120),
                          styled(view.origin, 120), styled(mount.options, 200))
