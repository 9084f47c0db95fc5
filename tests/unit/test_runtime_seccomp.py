"""runtime.seccomp: the pure plan, and the libseccomp build (no root, nothing loaded)."""

from __future__ import annotations

import pytest

from runtime import seccomp
from runtime.errors import RuntimeFailure
from runtime.linux.constants import SECCOMP_ACTIONS, SECCOMP_ARCHES, SECCOMP_OPERATORS

ALLOW = 0x7FFF0000
ERRNO = 0x00050000

# A runc/podman-like allow list: a few hundred syscall names (some exist only on other
# architectures, one on none), default ERRNO, and argument rules in the usual places.
_ALLOWED_TEXT = """
accept accept4 access adjtimex alarm bind brk capget capset chdir chmod chown chown32
clock_adjtime clock_getres clock_gettime clock_nanosleep close close_range connect
copy_file_range creat dup dup2 dup3 epoll_create epoll_create1 epoll_ctl epoll_pwait
epoll_pwait2 epoll_wait eventfd eventfd2 execve execveat exit exit_group faccessat
faccessat2 fadvise64 fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat fchown
fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr flistxattr flock fork fremovexattr
fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futex
futex_waitv futimesat getcpu getcwd getdents getdents64 getegid getegid32 geteuid
geteuid32 getgid getgid32 getgroups getgroups32 getitimer getpeername getpgid getpgrp
getpid getppid getpriority getrandom getresgid getresgid32 getresuid getresuid32
getrlimit get_robust_list getrusage getsid getsockname getsockopt get_thread_area gettid
gettimeofday getuid getuid32 getxattr inotify_add_watch inotify_init inotify_init1
inotify_rm_watch io_cancel ioctl io_destroy io_getevents io_pgetevents ioprio_get
ioprio_set io_setup io_submit io_uring_enter io_uring_register io_uring_setup ipc kill
landlock_add_rule landlock_create_ruleset landlock_restrict_self lchown lchown32
lgetxattr link linkat listen listxattr llistxattr _llseek lremovexattr lseek lsetxattr
lstat lstat64 madvise membarrier memfd_create mincore mkdir mkdirat mknod mknodat mlock
mlock2 mlockall mmap mmap2 mprotect mq_getsetattr mq_notify mq_open mq_timedreceive
mq_timedsend mq_unlink mremap msgctl msgget msgrcv msgsnd msync munlock munlockall
munmap name_to_handle_at nanosleep newfstatat _newselect open openat openat2 pause
pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll ppoll
prctl pread64 preadv preadv2 prlimit64 process_mrelease pselect6 pwrite64 pwritev
pwritev2 read readahead readlink readlinkat readv recv recvfrom recvmmsg recvmsg
remap_file_pages removexattr rename renameat renameat2 restart_syscall rmdir rseq
rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend
rt_sigtimedwait rt_tgsigqueueinfo sched_getaffinity sched_getattr sched_getparam
sched_get_priority_max sched_get_priority_min sched_getscheduler sched_rr_get_interval
sched_setaffinity sched_setattr sched_setparam sched_setscheduler sched_yield seccomp
select semctl semget semop semtimedop send sendfile sendfile64 sendmmsg sendmsg sendto
setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer
setpgid setpriority setregid setregid32 setresgid setresgid32 setresuid setresuid32
setreuid setreuid32 setrlimit set_robust_list setsid setsockopt set_thread_area
set_tid_address setuid setuid32 setxattr shmat shmctl shmdt shmget shutdown sigaltstack
signalfd signalfd4 sigprocmask sigreturn socketcall socketpair splice stat stat64 statfs
statfs64 statx symlink symlinkat sync sync_file_range syncfs sysinfo tee tgkill time
timer_create timer_delete timer_getoverrun timer_gettime timer_settime timerfd_create
timerfd_gettime timerfd_settime times tkill truncate truncate64 ugetrlimit umask uname
unlink unlinkat utime utimensat utimes vfork vmsplice wait4 waitid waitpid write writev
arch_prctl modify_ldt chroot clone3 not_a_real_syscall_name
"""
ALLOWED = _ALLOWED_TEXT.split()


def default_like_profile() -> dict:
    """A profile shaped like runc's/podman's default (used by the integration test too)."""
    syscalls: list[dict] = [{"names": ALLOWED, "action": "SCMP_ACT_ALLOW"}]
    for value in (0x0, 0x8, 0x20000, 0x20008, 0xFFFFFFFF):
        syscalls.append({"names": ["personality"], "action": "SCMP_ACT_ALLOW",
                         "args": [{"index": 0, "value": value, "op": "SCMP_CMP_EQ"}]})
    syscalls.append({"names": ["clone"], "action": "SCMP_ACT_ALLOW",
                     "args": [{"index": 0, "value": 0x7E020000, "valueTwo": 0,
                               "op": "SCMP_CMP_MASKED_EQ"}]})
    syscalls.append({"names": ["socket"], "action": "SCMP_ACT_ALLOW",
                     "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_NE"}]})
    syscalls.append({"names": ["acct", "add_key", "bpf", "kexec_load", "mount", "umount2",
                               "unshare", "setns", "swapon", "reboot"],
                     "action": "SCMP_ACT_ERRNO", "errnoRet": 1})
    return {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32",
                              "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"],
            "syscalls": syscalls}


def test_default_action_with_errno_and_eperm_default() -> None:
    assert seccomp.plan({"defaultAction": "SCMP_ACT_ALLOW"}).default_action == ALLOW
    assert seccomp.plan({"defaultAction": "SCMP_ACT_ERRNO"}).default_action == ERRNO | 1
    plan = seccomp.plan({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38})
    assert plan.default_action == ERRNO | 38
    assert seccomp.plan({"defaultAction": "SCMP_ACT_TRACE"}).default_action == 0x7FF00001


@pytest.mark.parametrize("name", SECCOMP_ACTIONS)
def test_every_action_has_a_value(name: str) -> None:
    assert seccomp.action_value(name, None, "x") & 0xFFFF0000 == seccomp.ACTION_VALUES[name]


def test_kill_is_kill_thread_and_kill_process_differs() -> None:
    assert seccomp.ACTION_VALUES["SCMP_ACT_KILL"] == seccomp.ACTION_VALUES["SCMP_ACT_KILL_THREAD"]
    assert seccomp.ACTION_VALUES["SCMP_ACT_KILL_PROCESS"] == 0x80000000


def test_bad_action_names_the_field() -> None:
    with pytest.raises(RuntimeFailure, match=r"linux.seccomp.syscalls\[1\].action"):
        seccomp.plan({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
            {"names": ["read"], "action": "SCMP_ACT_ERRNO"},
            {"names": ["read"], "action": "SCMP_ACT_NOPE"}]})
    with pytest.raises(RuntimeFailure, match="linux.seccomp.defaultAction"):
        seccomp.plan({})


def test_errno_ret_range() -> None:
    with pytest.raises(RuntimeFailure, match="errnoRet"):
        seccomp.plan({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 70000})


def test_architectures_map_to_libseccomp_names_once() -> None:
    plan = seccomp.plan({"defaultAction": "SCMP_ACT_ALLOW", "architectures": [
        "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_MIPSEL64N32"]})
    assert plan.arches == ["x86_64", "x86", "mipsel64n32"]
    for name in SECCOMP_ARCHES:
        assert seccomp.arch_name(name, "x").islower()
    with pytest.raises(RuntimeFailure, match=r"architectures\[0\]"):
        seccomp.plan({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["X86"]})


def test_flags() -> None:
    plan = seccomp.plan({"defaultAction": "SCMP_ACT_ALLOW", "flags": [
        "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
        "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]})
    assert plan.flags == 1 | 2 | 4
    assert plan.ignored_flags == ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]
    with pytest.raises(RuntimeFailure, match=r"flags\[0\]"):
        seccomp.plan({"defaultAction": "SCMP_ACT_ALLOW", "flags": ["TSYNC"]})


def test_rules_one_per_name_and_default_action_rules_skipped() -> None:
    plan = seccomp.plan({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
        {"names": ["mkdir", "rmdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
        {"names": ["acct"], "action": "SCMP_ACT_ERRNO"},  # same as default: skipped
        {"names": ["read"], "action": "SCMP_ACT_ALLOW"}]})
    assert [(r.syscall, r.action) for r in plan.rules] == [
        ("mkdir", ERRNO | 38), ("rmdir", ERRNO | 38), ("read", ALLOW)]
    assert plan.rules[0].where == "linux.seccomp.syscalls[0]"


def test_operators_and_struct_values() -> None:
    assert [seccomp.OPERATOR_VALUES[o] for o in SECCOMP_OPERATORS] == [1, 2, 3, 4, 5, 6, 7]
    plan = seccomp.plan({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["clone"], "action": "SCMP_ACT_ERRNO", "args": [
            {"index": 0, "value": 0x7E020000, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"},
            {"index": 1, "value": 5, "op": "SCMP_CMP_GT"}]}]})
    (rule,) = plan.rules
    assert rule.conditions == (seccomp.Condition(0, 7, 0x7E020000, 0),
                               seccomp.Condition(1, 6, 5, 0))


def test_same_index_twice_makes_one_rule_per_condition() -> None:
    plan = seccomp.plan({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
        {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [
            {"index": 0, "value": 0, "op": "SCMP_CMP_EQ"},
            {"index": 0, "value": 8, "op": "SCMP_CMP_EQ"},
            {"index": 1, "value": 1, "op": "SCMP_CMP_NE"}]}]})
    assert [r.conditions for r in plan.rules] == [
        (seccomp.Condition(0, 4, 0),), (seccomp.Condition(0, 4, 8),),
        (seccomp.Condition(1, 1, 1),)]


@pytest.mark.parametrize("arg, field", [
    ({"index": 6, "value": 0, "op": "SCMP_CMP_EQ"}, "index"),
    ({"index": 0, "value": -1, "op": "SCMP_CMP_EQ"}, "value"),
    ({"index": 0, "value": 1 << 64, "op": "SCMP_CMP_EQ"}, "value"),
    ({"index": 0, "value": 0, "valueTwo": "x", "op": "SCMP_CMP_EQ"}, "valueTwo"),
    ({"index": 0, "value": 0, "op": "EQ"}, "op"),
])
def test_bad_conditions_name_the_field(arg: dict, field: str) -> None:
    with pytest.raises(RuntimeFailure, match=rf"syscalls\[0\]\.args\[0\]\.{field}"):
        seccomp.plan({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
            {"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [arg]}]})


def test_names_must_be_given() -> None:
    with pytest.raises(RuntimeFailure, match=r"syscalls\[0\].names"):
        seccomp.plan({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
            {"names": [], "action": "SCMP_ACT_ERRNO"}]})


def test_missing_library_error_names_linux_seccomp(monkeypatch: pytest.MonkeyPatch) -> None:
    import ctypes

    def no_library(name: str, *args: object, **kwargs: object) -> None:
        raise OSError("not found")
    from runtime.seccomp import program
    monkeypatch.setattr(program, "_lib", None)
    monkeypatch.setattr(ctypes, "CDLL", no_library)
    with pytest.raises(RuntimeFailure, match="linux.seccomp is set but libseccomp"):
        seccomp.compile_plan(seccomp.plan({"defaultAction": "SCMP_ACT_ALLOW"}))
    assert not seccomp.available()


def test_no_seccomp_means_no_program() -> None:
    assert seccomp.prepare({"linux": {}}) is None


needs_lib = pytest.mark.skipif(not seccomp.available(), reason="libseccomp.so.2 not installed")


@needs_lib
def test_compile_skips_unknown_syscalls_and_exports_bpf() -> None:
    program = seccomp.compile_plan(seccomp.plan({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["mkdir", "no_such_syscall"], "action": "SCMP_ACT_ERRNO"}]}))
    assert program.rules == 1
    assert program.skipped_syscalls == ["no_such_syscall"]
    assert program.bpf and len(program.bpf) % 8 == 0


@needs_lib
def test_default_like_profile_compiles() -> None:
    program = seccomp.prepare({"linux": {"seccomp": default_like_profile()}})
    assert program is not None
    assert program.rules > 300
    assert program.skipped_syscalls == ["not_a_real_syscall_name"]
    assert program.instructions > 300


@needs_lib
def test_bpf_cache_round_trip(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    config = {"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "flags": [
        "SECCOMP_FILTER_FLAG_LOG"], "syscalls": [
        {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}}}
    first = seccomp.prepare(config, cache_dir=str(cache))
    assert first is not None and len(list(cache.iterdir())) == 1

    def no_compile(*args: object) -> None:
        raise AssertionError("libseccomp used despite the cache")
    monkeypatch.setattr(seccomp, "compile_plan", no_compile)
    second = seccomp.prepare(config, cache_dir=str(cache))
    assert second is not None
    assert (second.bpf, second.rules, second.flags) == (first.bpf, first.rules, 2)


@needs_lib
def test_bpf_cache_ignored_in_a_shared_dir(tmp_path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    cache.chmod(0o777)
    config = {"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW"}}}
    assert seccomp.prepare(config, cache_dir=str(cache)) is not None
    assert list(cache.iterdir()) == []


def test_features_document(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(seccomp, "available", lambda: True)
    doc = seccomp.features()
    assert doc["enabled"] and doc["actions"] == list(SECCOMP_ACTIONS)
    assert "SCMP_ACT_NOTIFY" in doc["actions"]  # with linux.seccomp.listenerPath
    assert doc["operators"] == list(SECCOMP_OPERATORS)
    monkeypatch.setattr(seccomp, "available", lambda: False)
    assert seccomp.features() == {"enabled": False}
