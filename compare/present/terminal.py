"""Text for hints in the plain report, and ANSI colour for it when printed to a terminal.

``str(report)`` stays plain text (it lands in pytest output, logs and files);
colour is added only by :func:`colourise` when the stream is a terminal and
the user has not set ``NO_COLOR``.
"""

from __future__ import annotations

import os
import re
import textwrap

RED, GREEN, YELLOW, BOLD, RESET = "\033[31m", "\033[32m", "\033[33m", "\033[1m", "\033[0m"
HINTS_HEADING = "Likely cause (diagnosis):"


def hint_lines(hints, width: int = 100) -> list[str]:
    """The "Likely cause" block of the text report; ``[]`` without hints."""
    if not hints:
        return []
    lines = ["", HINTS_HEADING]
    for h in hints:
        head = f"  - [{h.kind}] {h.where}: " if h.where else f"  - [{h.kind}] "
        body = textwrap.wrap(head + h.message, width=width, subsequent_indent="      ")
        lines += body
    return lines


def wants_colour(stream) -> bool:
    """True when ``stream`` is a terminal and ``NO_COLOR`` is unset."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def colourise(text: str) -> str:
    """``text`` (a rendered report) with failures red, passes green and hints yellow."""
    out = []
    in_hints = False
    for line in text.split("\n"):
        if line.startswith("FAIL"):
            line = f"{RED}{BOLD}{line}{RESET}"
        elif line.startswith("OK"):
            line = f"{GREEN}{BOLD}{line}{RESET}"
        elif line == HINTS_HEADING:
            in_hints = True
            line = f"{YELLOW}{BOLD}{line}{RESET}"
        elif in_hints and line.strip():
            line = f"{YELLOW}{line}{RESET}"
        elif not line.strip():
            in_hints = False
        else:
            line = re.sub(r"([A-Z][A-Z-]+ <--)", f"{RED}{BOLD}\\1{RESET}", line)
            line = re.sub(r"(\s)(ok)$", f"\\1{GREEN}\\2{RESET}", line)
        out.append(line)
    return "\n".join(out)


def print_report(report, stream=None, *, colour: bool | None = None) -> None:
    """Print ``report``, coloured when ``stream`` (default stdout) is a terminal."""
    import sys
    stream = sys.stdout if stream is None else stream
    text = str(report)
    if wants_colour(stream) if colour is None else colour:
        text = colourise(text)
    print(text, file=stream)
