"""``python -m compare`` is the same as the ``twinnet`` console script."""

from .cli import main

raise SystemExit(main())
