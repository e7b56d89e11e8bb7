from zhili.cli import main

raise SystemExit(main())
