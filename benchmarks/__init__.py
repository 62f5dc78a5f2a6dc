"""twinnet's benchmarks: scratch against torch, timed side by side in one process.

Run them with ``bash benchmarks/run.sh`` (or ``twinnet bench``); see
docs/benchmarks.md for what each one measures and the targets.
"""
