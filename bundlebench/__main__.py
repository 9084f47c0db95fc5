from bundlebench.cli import main

raise SystemExit(main())
