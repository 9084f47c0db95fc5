"""`python -m runtime` runs the bundlebench-runtime command line."""

import gc

gc.disable()  # as bin/bundlebench-runtime: a short-lived command needs no cycle collector

from runtime.cli import main  # noqa: E402

raise SystemExit(main())
