"""The one place where the runtime talks to libc, plus the Linux constants it shares."""
