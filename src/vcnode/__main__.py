"""Allow ``python -m vcnode``."""

from vcnode.cli.main import main

raise SystemExit(main())
