"""`python -m runtime` runs the bundlebench-runtime command line."""

from runtime.cli import main

raise SystemExit(main())
