"""Help text: `help`, `help COMMAND`, `COMMAND --help` (imported only when help is asked)."""

from __future__ import annotations

from runtime import OCI_VERSION
from runtime.errors import RuntimeFailure

PROG = "bundlebench-runtime"

GLOBAL_USAGE = f"""\
usage: {PROG} [global flags] COMMAND [flags] [ARGS...]

An OCI runtime (runtime-spec {OCI_VERSION}) written in Python, with runc's command line.

global flags:
  --root DIR          state root (default /run/bundlebench, or $XDG_RUNTIME_DIR/bundlebench)
  --log FILE          also write errors to FILE
  --log-format FMT    text or json
  --debug             write debug output to the log
  -v, --version       print the version
"""

# command -> (one line, operands, flag lines)
COMMANDS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "checkpoint": ("not supported: checkpointing with criu is not part of this runtime", "ID",
                   ()),
    "create": ("create a container from a bundle; `start` runs its process", "ID", (
        "-b, --bundle DIR        the bundle (default .)",
        "--console-socket PATH   AF_UNIX socket that receives the pty master",
        "--pid-file PATH         write the init's pid there",
        "--no-pivot              chroot-like move instead of pivot_root",
        "--no-new-keyring        keep the caller's session keyring",
        "--preserve-fds N        pass N fds after stdio (and $LISTEN_FDS)",
        "--step                  our extension: stop before each setup step until a client",
        "                        at ID's step.sock says next (see `bundlebench step`)",
        "--step-timeout S        a stop without a client continues after S s (default 300)",
        "--step-destroy          ... or gives the container up instead")),
    "delete": ("delete a container's state, cgroup and processes", "ID", (
        "-f, --force             kill a running container first; a missing one is fine",)),
    "events": ("stats and OOM events as JSON lines", "ID", (
        "--stats                 print one stats record and exit",
        "--interval D            time between stats records (default 5s)")),
    "exec": ("run another process in a container", "ID COMMAND [ARGS...]  |  -p FILE ID", (
        "-t, --tty               give the process a pty",
        "-p, --process FILE      the process as a process.json",
        "--cwd DIR               working directory in the container",
        "-e, --env K=V           set a variable (repeatable)",
        "-u, --user UID[:GID]    run as this user",
        "-g, --additional-gids N extra group (repeatable)",
        "-d, --detach            return once the process runs",
        "--console-socket PATH   AF_UNIX socket that receives the pty master",
        "--pid-file PATH         write the process's pid there",
        "--preserve-fds N        pass N fds after stdio",
        "--no-new-privs          set no_new_privs for the process",
        "-c, --cap CAP           add CAP to the bounding, effective and permitted sets "
        "(and ambient, when inheritable has it); repeatable",
        "--cgroup [CTRL:]PATH    join this existing sub-cgroup of the container's cgroup",
        "--ignore-paused         allow exec into a paused container (the process waits, "
        "frozen, until resume)",
        "--apparmor PROFILE      process.apparmorProfile of the process",
        "--process-label LABEL   process.selinuxLabel of the process")),
    "features": ("print the features document as JSON", "", ()),
    "help": ("list the commands, or show one command's usage", "[COMMAND]", ()),
    "kill": ("send a signal to the container's init (default TERM)", "ID [SIGNAL]", (
        "-a, --all               signal every process of the container",)),
    "list": ("list the containers under the root", "", (
        "-f, --format FMT        table or json",
        "-q, --quiet             ids only")),
    "pause": ("freeze every process of the container", "ID", ()),
    "ps": ("list the container's processes", "ID [-- PS ARGS]", (
        "-f, --format FMT        table or json (pids)",)),
    "restore": ("not supported: checkpointing with criu is not part of this runtime", "ID",
                ()),
    "resume": ("thaw a paused container", "ID", ()),
    "run": ("create and start a container", "ID", (
        "-b, --bundle DIR        the bundle (default .)",
        "-d, --detach            return once the container runs",
        "--console-socket PATH   AF_UNIX socket that receives the pty master",
        "--pid-file PATH         write the init's pid there",
        "--keep                  keep the stopped container's state",
        "--no-pivot              chroot-like move instead of pivot_root",
        "--no-new-keyring        keep the caller's session keyring",
        "--preserve-fds N        pass N fds after stdio (and $LISTEN_FDS)",
        "--no-subreaper          accepted; the runtime still reaps its own setup "
        "processes (it must wait for them)",
        "--step, --step-timeout S, --step-destroy   as for create")),
    "spec": ("write a default config.json", "", (
        "-b, --bundle DIR        where to write it (default .)",
        "--rootless              a config for an unprivileged user")),
    "start": ("run the process of a created container", "ID", ()),
    "state": ("print the container's state as JSON", "ID", ()),
    "update": ("change the resource limits of a live container", "ID", (
        "-r, --resources FILE    the linux.resources JSON (- for stdin)",
        "--memory N, --pids-limit N, --cpu-quota N, ...   one limit each")),
}

CRIU_SENTENCE = ("checkpoint and restore are not supported: bundlebench-runtime has no criu "
                 "checkpointing")


def command_list() -> str:
    lines = [GLOBAL_USAGE.rstrip(), "", "commands:"]
    lines += [f"  {name:<12}{summary}" for name, (summary, _, _) in sorted(COMMANDS.items())]
    return "\n".join(lines) + "\n"


def command_usage(command: str) -> str:
    if command not in COMMANDS:
        raise RuntimeFailure(f"no help for {command!r}: `{PROG} help` lists the commands", 3)
    summary, operands, flags = COMMANDS[command]
    text = f"usage: {PROG} {command} [flags] {operands}".rstrip() + f"\n\n{summary}\n"
    if flags:
        text += "\nflags:\n" + "".join(f"  {line}\n" for line in flags)
    return text + "  -h, --help              show this usage\n"
