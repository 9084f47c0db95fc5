from shim.daemon import main

raise SystemExit(main())
