"""The `bundlebench-runtime` command line: runc's commands, flags, output and exit codes.

A small hand-written parser (argparse would double the start-up time of `run`): flags
take one or two dashes, `--flag=value` or `--flag value`, and stop at the first operand.
"""

from __future__ import annotations

import os
import sys

from runtime import OCI_VERSION, __version__
from runtime.errors import RuntimeFailure

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

PROG = "bundlebench-runtime"


# flag name -> (destination, takes a value, may repeat)
FlagTable = dict[str, tuple[str, bool, bool]]

GLOBAL_FLAGS: FlagTable = {
    "root": ("root", True, False), "log": ("log", True, False),
    "log-format": ("log_format", True, False), "debug": ("debug", False, False),
    "systemd-cgroup": ("systemd_cgroup", False, False), "rootless": ("rootless", True, False),
    "criu": ("criu", True, False), "version": ("version", False, False),
    "v": ("version", False, False), "help": ("help", False, False), "h": ("help", False, False),
}

_BUNDLE = {"bundle": ("bundle", True, False), "b": ("bundle", True, False)}
_CONSOLE = {"console-socket": ("console_socket", True, False),
            "pid-file": ("pid_file", True, False)}

COMMAND_FLAGS: dict[str, FlagTable] = {
    "spec": {**_BUNDLE, "rootless": ("rootless", False, False)},
    "create": {**_BUNDLE, **_CONSOLE, "no-pivot": ("no_pivot", False, False),
               "preserve-fds": ("preserve_fds", True, False),
               "no-new-keyring": ("no_new_keyring", False, False),
               "step": ("step", False, False), "step-timeout": ("step_timeout", True, False),
               "step-destroy": ("step_destroy", False, False)},
    "run": {**_BUNDLE, **_CONSOLE, "detach": ("detach", False, False),
            "d": ("detach", False, False), "keep": ("keep", False, False),
            "no-pivot": ("no_pivot", False, False),
            "preserve-fds": ("preserve_fds", True, False),
            "no-new-keyring": ("no_new_keyring", False, False),
            "no-subreaper": ("no_subreaper", False, False),
            "step": ("step", False, False), "step-timeout": ("step_timeout", True, False),
            "step-destroy": ("step_destroy", False, False)},
    "start": {},
    "state": {},
    "list": {"format": ("format", True, False), "f": ("format", True, False),
             "quiet": ("quiet", False, False), "q": ("quiet", False, False)},
    "kill": {"all": ("all", False, False), "a": ("all", False, False)},
    "delete": {"force": ("force", False, False), "f": ("force", False, False)},
    "features": {},
    "exec": {**_CONSOLE, "tty": ("tty", False, False), "t": ("tty", False, False),
             "process": ("process", True, False), "p": ("process", True, False),
             "cwd": ("cwd", True, False), "env": ("env", True, True), "e": ("env", True, True),
             "user": ("user", True, False), "u": ("user", True, False),
             "additional-gids": ("additional_gids", True, True),
             "g": ("additional_gids", True, True),
             "detach": ("detach", False, False), "d": ("detach", False, False),
             "preserve-fds": ("preserve_fds", True, False),
             "no-new-privs": ("no_new_privs", False, False),
             "cap": ("cap", True, True), "c": ("cap", True, True),
             "cgroup": ("cgroup", True, True),
             "ignore-paused": ("ignore_paused", False, False),
             "apparmor": ("apparmor", True, False),
             "process-label": ("process_label", True, False)},
    "help": {}, "h": {}, "checkpoint": {}, "restore": {},
}
_HELP = {"help": ("help", False, False), "h": ("help", False, False)}

OPERANDS = {"create": (1, 1), "run": (1, 1), "start": (1, 1), "state": (1, 1), "list": (0, 0),
            "kill": (1, 2), "delete": (1, 1), "features": (0, 0), "spec": (0, 0),
            "exec": (1, None),
            "help": (0, 1), "h": (0, 1), "checkpoint": (0, None), "restore": (0, None)}

# runtime.cli.cgroups supplies these (pause, resume, ps, events, update); merged in
# only when one of them runs, to keep `run` from importing it.
CGROUP_COMMANDS = ("pause", "resume", "ps", "events", "update")


def _cgroup_tables() -> None:
    from runtime.cli import cgroups
    COMMAND_FLAGS.update(cgroups.FLAGS)
    OPERANDS.update(cgroups.OPERANDS)


class UsageError(RuntimeFailure):
    """A bad command line: exit 1, as runc's usage errors (an unknown command is 3)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message, exit_code=exit_code)


def parse_flags(argv: list[str], table: FlagTable, stop_at_operand: bool = True
                ) -> tuple[dict[str, Any], list[str]]:
    """Parse flags from argv; returns (values, remaining operands)."""
    values: dict[str, Any] = {}
    rest: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            rest.extend(argv[i + 1:])
            break
        if not arg.startswith("-") or arg == "-":
            if stop_at_operand:
                rest.extend(argv[i:])
                break
            rest.append(arg)
            i += 1
            continue
        name, eq, inline = arg.lstrip("-").partition("=")
        if name not in table:
            raise UsageError(f"flag provided but not defined: {arg.split('=')[0]}")
        dest, takes_value, repeat = table[name]
        if takes_value:
            if eq:
                value = inline
            else:
                i += 1
                if i >= len(argv):
                    raise UsageError(f"flag needs an argument: {arg}")
                value = argv[i]
            if repeat:
                values.setdefault(dest, []).append(value)
            else:
                values[dest] = value
        else:
            values[dest] = inline.lower() not in ("false", "0") if eq else True
        i += 1
    return values, rest


def parse_command_line(argv: list[str]) -> tuple[dict[str, Any], str | None, dict[str, Any],
                                                 list[str]]:
    """(global flags, command, command flags, operands)."""
    globals_, rest = parse_flags(argv, GLOBAL_FLAGS)
    if not rest:
        return globals_, None, {}, []
    command, rest = rest[0], rest[1:]
    if command in CGROUP_COMMANDS:
        _cgroup_tables()
    if command not in COMMAND_FLAGS:
        raise UsageError(f"unknown command {command!r}: see `{PROG} help`", 3)
    if command in ("checkpoint", "restore"):  # any flags: the answer is one sentence
        return globals_, command, {"help": bool({"-h", "--help"} & set(rest))}, rest
    # exec's operands after the id are the command line; other commands take flags anywhere.
    flags, operands = parse_flags(rest, {**COMMAND_FLAGS[command], **_HELP},
                                  stop_at_operand=command in ("exec", "ps"))
    if flags.get("help"):
        return globals_, command, flags, operands
    low, high = OPERANDS[command]
    if len(operands) < low:
        what = "a container id" if low == 1 else f"{low} arguments"
        raise UsageError(f"{command} needs {what}")
    if high is not None and len(operands) > high:
        raise UsageError(f"{command}: unexpected argument {operands[high]!r}")
    return globals_, command, flags, operands


def _int_flag(flags: dict[str, Any], name: str, flag: str) -> int:
    try:
        value = int(flags.get(name, 0))
    except ValueError:
        raise UsageError(f"--{flag} needs a number, not {flags[name]!r}") from None
    if value < 0:
        raise UsageError(f"--{flag} must not be negative")
    if name == "preserve_fds" and value > 0:
        limit = os.sysconf("SC_OPEN_MAX")
        if value > limit - 3:
            raise UsageError(f"--{flag} {value} is more than this process may have open "
                             f"(the open-file limit is {limit}, and fds 0-2 come first)")
    return value


def _log(globals_: dict[str, Any], message: str, level: str = "error") -> None:
    path = globals_.get("log")
    if not path:
        return
    from runtime.state import rfc3339_now
    if globals_.get("log_format") == "json":
        from runtime.jsonlite import dumps
        line = dumps({"level": level, "msg": message, "time": rfc3339_now()})
    else:
        line = f'time="{rfc3339_now()}" level={level} msg="{message}"'
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)
    except OSError:
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; as the real CLI (argv None), skip interpreter teardown."""
    code = _main(argv)
    if argv is None:
        # Interpreter finalization costs milliseconds on every `run`; nothing needs it.
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        os._exit(code)
    return code


def _main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    globals_: dict[str, Any] = {}
    command: str | None = None
    try:
        globals_, command, flags, operands = parse_command_line(args)
        if globals_.get("version"):
            print(f"{PROG} version {__version__}\nspec: {OCI_VERSION}")
            return 0
        if command is None or globals_.get("help") or command in ("help", "h"):
            return _help(command, flags if command else {}, operands)
        if flags.get("help"):
            return _help("help", {}, [command])
        if command in ("checkpoint", "restore"):
            from runtime.cli.usage import CRIU_SENTENCE
            raise RuntimeFailure(CRIU_SENTENCE)
        if globals_.get("systemd_cgroup"):
            raise RuntimeFailure("--systemd-cgroup is not supported: bundlebench-runtime "
                                 "manages cgroups through cgroupfs only")
        if globals_.get("log_format") not in (None, "text", "json"):
            raise UsageError(f"--log-format {globals_['log_format']!r}: use text or json")
        if globals_.get("debug"):
            _log(globals_, f"{command} {' '.join(operands)}", level="debug")
        return _dispatch(globals_, command, flags, operands)
    except RuntimeFailure as exc:
        _log(globals_, str(exc))
        sys.stderr.write(f"{PROG}: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        message = f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
        _log(globals_, message)
        sys.stderr.write(f"{PROG}: {message}\n")
        return 1
    except Exception as exc:  # noqa: BLE001 - a bug: one line for the client, not a traceback
        if os.environ.get("BUNDLEBENCH_DEBUG"):
            raise
        message = (f"internal error in {command or 'the command line'} ({exc}): please report "
                   "it as a bug (BUNDLEBENCH_DEBUG=1 shows where)")
        _log(globals_, message)
        sys.stderr.write(f"{PROG}: {message}\n")
        return 1


def _help(command: str | None, flags: dict[str, Any], operands: list[str]) -> int:
    from runtime.cli import usage
    if command in ("help", "h") and operands:
        sys.stdout.write(usage.command_usage(operands[0]))
    else:
        sys.stdout.write(usage.command_list())
    return 0


def _dispatch(globals_: dict[str, Any], command: str, flags: dict[str, Any],
              operands: list[str]) -> int:
    if command == "spec":
        from runtime.cli.spec import write_spec
        return write_spec(flags)
    if command == "features":
        from runtime.features import features
        _print_json(features())
        return 0
    if command in ("create", "run"):
        from runtime.cgroups import warm
        warm.start()  # first of all: it overlaps everything up to the cgroup's creation
    from runtime.state import StateStore
    store = StateStore(globals_.get("root"))
    if command == "create":
        from runtime.cli.step_flags import stepping
        from runtime.process.parent import create
        create(store, operands[0], flags.get("bundle") or ".",
               console_socket=flags.get("console_socket"),
               pid_file=flags.get("pid_file"), no_pivot=bool(flags.get("no_pivot")),
               preserve_fds=_int_flag(flags, "preserve_fds", "preserve-fds"),
               step=stepping(flags))
        return 0
    if command == "run":
        from runtime.cli.step_flags import stepping
        from runtime.run import run
        return run(store, operands[0], flags.get("bundle") or ".", step=stepping(flags),
                   detach=bool(flags.get("detach")), keep=bool(flags.get("keep")),
                   console_socket=flags.get("console_socket"),
                   pid_file=flags.get("pid_file"),
                   no_pivot=bool(flags.get("no_pivot")),
                   preserve_fds=_int_flag(flags, "preserve_fds", "preserve-fds"))
    if command == "start":
        from runtime.start import start
        start(store, operands[0])
        return 0
    if command == "state":
        from runtime.status import state_dict
        _print_json(state_dict(store, operands[0]))
        return 0
    if command == "kill":
        from runtime.linux.constants import signal_number
        try:
            number = signal_number(operands[1] if len(operands) > 1 else "TERM",
                                   allow_zero=True)  # 0: is it alive? (as runc)
        except ValueError as exc:
            raise RuntimeFailure(str(exc)) from None
        from runtime.kill import kill
        kill(store, operands[0], number, bool(flags.get("all")))
        return 0
    if command == "delete":
        force = bool(flags.get("force"))
        if force and not os.path.lexists(store.path(operands[0])):
            return 0  # runc: delete -f of a missing container succeeds
        from runtime.delete import delete
        delete(store, operands[0], force)
        return 0
    if command == "list":
        if (flags.get("format") or "table") not in ("table", "json"):
            raise UsageError(f"list --format {flags['format']!r}: use table or json")
        from runtime.cli.list_command import list_containers
        return list_containers(store, flags)
    if command == "exec":
        return _exec(store, flags, operands)
    if command in CGROUP_COMMANDS:
        from runtime.cli import cgroups
        return cgroups.HANDLERS[command](store, flags, operands)
    raise UsageError(f"unknown command {command!r}")


def _print_json(value: Any) -> None:
    from runtime.jsonlite import dumps
    sys.stdout.write(dumps(value, indent=2) + "\n")


def _exec(store: Any, flags: dict[str, Any], operands: list[str]) -> int:
    gids = []
    for text in flags.get("additional_gids") or []:
        try:
            gids.append(int(text))
        except ValueError:
            raise UsageError(f"--additional-gids {text!r} must be a number") from None
    try:
        return _exec_process(store, flags, operands, gids)
    except RuntimeFailure as failure:
        if failure.exit_code == 1:
            failure.exit_code = 255  # runc exec's code for a process that never ran
        raise


def _exec_process(store: Any, flags: dict[str, Any], operands: list[str],
                  gids: list[int]) -> int:
    from runtime.process.exec import build_exec_process, exec_process
    state = store.load(operands[0])
    proc = build_exec_process(
        state.config, args=operands[1:], process_json=flags.get("process"),
        cwd=flags.get("cwd"), env=flags.get("env") or [], user=flags.get("user"),
        tty=bool(flags.get("tty")), additional_gids=gids)
    if flags.get("no_new_privs"):
        proc["noNewPrivileges"] = True
    if flags.get("apparmor"):
        proc["apparmorProfile"] = flags["apparmor"]
    if flags.get("process_label"):
        proc["selinuxLabel"] = flags["process_label"]
    if flags.get("cap"):
        from runtime.cli.exec_flags import add_caps
        add_caps(proc, flags["cap"])
    return exec_process(store, operands[0], proc, detach=bool(flags.get("detach")),
                        ignore_paused=bool(flags.get("ignore_paused")),
                        sub_cgroups=flags.get("cgroup") or [],
                        console_socket=flags.get("console_socket"),
                        pid_file=flags.get("pid_file"),
                        preserve_fds=_int_flag(flags, "preserve_fds", "preserve-fds"))


if __name__ == "__main__":
    raise SystemExit(main())
