"""Progress bars for the ``twinnet`` commands that take more than a few seconds.

One policy for every command: a ``tqdm.auto`` bar on stderr (a widget in a
notebook, a text bar with rate and ETA in a terminal), shown when stderr is a
terminal or the code runs in a Jupyter kernel, forced on with ``--progress``
and off with ``--no-progress``. Output redirected to a file or a CI log gets
no bar, so logs stay readable.
"""

from __future__ import annotations

import argparse
import sys


def add_progress_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--progress`` / ``--no-progress`` (mutually exclusive) to ``parser``."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--progress", dest="progress", action="store_const", const=True,
                       default=None, help="show a progress bar on stderr even when it is "
                                          "not a terminal")
    group.add_argument("--no-progress", dest="progress", action="store_const", const=False,
                       help="never show a progress bar (default: shown when stderr is a "
                            "terminal or in a notebook)")


def progress_wanted(args, stream=None) -> bool:
    """Whether to draw a bar: ``args.progress`` if the user chose, else terminal or notebook.

    Parameters
    ----------
    args : argparse.Namespace
        Its ``progress`` is True, False or None (not chosen); a namespace
        without the attribute counts as None.
    stream : file, optional
        Where the bar goes (default ``sys.stderr``).
    """
    chosen = getattr(args, "progress", None)
    if chosen is not None:
        return bool(chosen)
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) or in_jupyter_kernel()


def in_jupyter_kernel() -> bool:
    """Whether this code runs inside a Jupyter kernel (IPython's ZMQ shell is active).

    Having ipykernel imported is not enough: a test suite may import it
    without running in a notebook.
    """
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return type(shell).__name__ == "ZMQInteractiveShell"


def progress_bar(total: int, desc: str, enabled: bool, unit: str = "it"):
    """A ``tqdm.auto`` bar over ``total`` steps on stderr, or a silent one if not ``enabled``.

    Parameters
    ----------
    total : int
        Number of steps the caller will ``update(1)``.
    desc : str
        Label shown before the bar, e.g. ``"float64"``.
    enabled : bool
        False gives a disabled bar: ``update``/``close`` cost nothing and print nothing.
    unit : str
        What one step is ("case", "step", "mutant").

    Returns
    -------
    tqdm.tqdm
        Use it as a context manager or call ``close()``.
    """
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, disable=not enabled, file=sys.stderr,
                leave=False, dynamic_ncols=True)


class ShardProgress:
    """One bar per dtype for a sweep whose cases come back in shards (``twinnet.sweep``).

    Parameters
    ----------
    total : int
        Cases per dtype.
    enabled : bool
        False: count nothing, draw nothing.

    ``update(part)`` takes a finished shard (``part.dtype``, ``part.cases``,
    ``part.failed``); ``close()`` removes the bars.
    """

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.enabled = total, enabled
        self.bars: dict = {}
        self.failed: dict[str, int] = {}

    def update(self, part) -> None:
        """Advance ``part.dtype``'s bar by the shard's cases; show its failures so far."""
        if not self.enabled:
            return
        if part.dtype not in self.bars:
            self.bars[part.dtype] = progress_bar(self.total, part.dtype, True, unit="case")
            self.failed[part.dtype] = 0
        self.failed[part.dtype] += len(part.failed)
        bar = self.bars[part.dtype]
        if self.failed[part.dtype]:
            bar.set_postfix(failed=self.failed[part.dtype], refresh=False)
        bar.update(part.cases)

    def close(self) -> None:
        """Close every bar."""
        for bar in self.bars.values():
            bar.close()
