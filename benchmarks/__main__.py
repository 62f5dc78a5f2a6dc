"""``python -m benchmarks``: run the suite (prefer ``bash benchmarks/run.sh``)."""

import sys

from .suite import main

sys.exit(main())
