"""``python -m twinnet`` is the same as the ``twinnet`` console script."""

from twinnet.cli import main

raise SystemExit(main())
