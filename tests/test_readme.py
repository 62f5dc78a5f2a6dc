"""Every runnable code block of README.md and of every docs page (docs/**/*.md) runs here:
docs cannot rot.

Conventions for fenced code blocks (documented for writers in the README, "Docs that run"):

```python
    Runs. Blocks of one document run in order in one namespace, so a block
    may use names an earlier block defined.
```python no-run
    Shown only (e.g. a fragment that needs the reader's own class).
```python file=examples/NAME.py
    Must equal that file byte for byte (bar the final newline); the file
    itself is run by tests/test_examples.py.
```text output
    Must read as what the runnable block (or file= block) just before it
    printed: whitespace runs count as one space, ``...`` stands for any
    text, and numbers below 1e-10 in size match each other (rounding noise
    such as ``5.55e-17`` differs between BLAS builds). Everything else must
    be identical.

Any other language (bash, text without ``output``, ...) is not run. A python
block with a flag this file does not know fails, so a typo cannot turn a
block off silently.
"""

from __future__ import annotations

import contextlib
import io
import re
import runpy
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYTHON_LANGS = {"python", "py", "python3"}
KNOWN_FLAGS = {"no-run"}
KNOWN_ATTRS = {"file"}
TINY = 1e-10
FENCE_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


@dataclass
class Block:
    """One fenced code block.

    Attributes
    ----------
    doc : Path
    line : int
        1-based line of the block's first content line in ``doc``.
    lang : str
        First word of the info string, lower-cased ("" when none).
    flags : set[str]
        Other bare words of the info string, e.g. {"no-run"} or {"output"}.
    attrs : dict[str, str]
        ``key=value`` words of the info string, e.g. {"file": "examples/x.py"}.
    code : str
        The content, indentation of the fence removed, ending in a newline.
    """

    doc: Path
    line: int
    lang: str
    flags: set[str] = field(default_factory=set)
    attrs: dict[str, str] = field(default_factory=dict)
    code: str = ""

    @property
    def is_python(self) -> bool:
        return self.lang in PYTHON_LANGS

    @property
    def runs(self) -> bool:
        return self.is_python and "no-run" not in self.flags and "file" not in self.attrs

    @property
    def is_output(self) -> bool:
        return "output" in self.flags

    @property
    def where(self) -> str:
        doc = self.doc.relative_to(ROOT) if self.doc.is_relative_to(ROOT) else self.doc
        return f"{doc}:{self.line}"


def parse_blocks(doc: Path, text: str | None = None) -> list[Block]:
    """Fenced code blocks of a Markdown file, CommonMark style.

    A fence is 3+ backticks or tildes indented at most 3 spaces; it closes on a
    line of the same character, at least as long, with nothing after it. An
    unclosed fence runs to the end of the document.
    """
    lines = (doc.read_text(encoding="utf-8") if text is None else text).splitlines()
    blocks, i = [], 0
    while i < len(lines):
        m = FENCE_OPEN.match(lines[i])
        if not m or (m["fence"][0] == "`" and "`" in m["info"]):
            i += 1
            continue
        indent, fence = len(m["indent"]), m["fence"]
        closing = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        words = m["info"].split()
        block = Block(doc, i + 2, words[0].lower() if words else "")
        for word in words[1:]:
            key, eq, value = word.partition("=")
            if eq:
                block.attrs[key] = value
            else:
                block.flags.add(word)
        body, i = [], i + 1
        while i < len(lines) and not closing.match(lines[i]):
            body.append(_dedent(lines[i], indent))
            i += 1
        block.code = "\n".join(body) + "\n"
        blocks.append(block)
        i += 1
    return blocks


def _dedent(line: str, indent: int) -> str:
    spaces = len(line) - len(line.lstrip(" "))
    return line[min(spaces, indent):]


def outputs_match(actual: str, expected: str) -> bool:
    """Does ``actual`` read as ``expected``?

    Whitespace runs count as one space; ``...`` in ``expected`` stands for any
    text; a number below TINY in size in ``expected`` matches any number below
    TINY (rounding noise); every other character must be identical.
    """
    pattern, tiny_groups = [], []
    for piece in re.split(r"(\.\.\.)", _squash(expected)):
        if piece == "...":
            pattern.append(".*?")
            continue
        pos = 0
        for m in NUMBER.finditer(piece):
            pattern.append(re.escape(piece[pos:m.start()]))
            if abs(float(m.group())) < TINY:
                tiny_groups.append(f"tiny{len(tiny_groups)}")
                pattern.append(f"(?P<{tiny_groups[-1]}>{NUMBER.pattern})")
            else:
                pattern.append(re.escape(m.group()))
            pos = m.end()
        pattern.append(re.escape(piece[pos:]))
    m = re.fullmatch("".join(pattern), _squash(actual), flags=re.S)
    return m is not None and all(abs(float(m[g])) < TINY for g in tiny_groups)


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip())


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def run_block(block: Block, namespace: dict) -> str:
    """Execute ``block`` in ``namespace``; return what it printed.

    Leading blank lines keep the block's line numbers, so a traceback points
    into the Markdown file at the failing line.
    """
    code = compile("\n" * (block.line - 1) + block.code, str(block.doc), "exec")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code, namespace)
    return out.getvalue()


def run_example(path: Path) -> str:
    """Run an examples/ file as ``__main__``; return what it printed (exit status ignored)."""
    out = io.StringIO()
    saved_argv = sys.argv
    sys.argv = [str(path)]
    try:
        with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
            runpy.run_path(str(path), run_name="__main__")
    finally:
        sys.argv = saved_argv
    return out.getvalue()


ALL_BLOCKS = [b for doc in documents() if doc.exists() for b in parse_blocks(doc)]


def _id(block: Block) -> str:
    return block.where


@pytest.mark.parametrize("block", [b for b in ALL_BLOCKS if b.runs], ids=_id)
def test_runnable_block_runs_and_prints_what_the_docs_show(block):
    namespace = {"__name__": "__readme__"}
    printed = ""
    for earlier in parse_blocks(block.doc):
        if earlier.runs:
            printed = run_block(earlier, namespace)
        if earlier.line == block.line:
            break
    _check_output_block(block, printed)


@pytest.mark.parametrize("block", [b for b in ALL_BLOCKS if "file" in b.attrs], ids=_id)
def test_included_example_is_the_file_verbatim(block):
    path = ROOT / block.attrs["file"]
    assert path.is_file(), f"{block.where}: {block.attrs['file']} does not exist"
    assert block.code.rstrip("\n") == path.read_text(encoding="utf-8").rstrip("\n"), (
        f"{block.where} differs from {block.attrs['file']}: paste the file into the block")
    if _next_block(block) is not None and _next_block(block).is_output:
        _check_output_block(block, run_example(path))


@pytest.mark.parametrize("block", [b for b in ALL_BLOCKS if b.is_python], ids=_id)
def test_python_blocks_use_only_known_flags(block):
    assert block.flags <= KNOWN_FLAGS, f"{block.where}: unknown flags {block.flags - KNOWN_FLAGS}"
    assert set(block.attrs) <= KNOWN_ATTRS, f"{block.where}: unknown {set(block.attrs)}"


@pytest.mark.parametrize("block", [b for b in ALL_BLOCKS if b.is_output], ids=_id)
def test_every_output_block_follows_something_that_prints_it(block):
    blocks = parse_blocks(block.doc)
    before = [b for b in blocks if b.line < block.line]
    assert before and (before[-1].runs or "file" in before[-1].attrs), (
        f"{block.where}: an output block must directly follow a runnable python block "
        "or a file= block")


def _next_block(block: Block) -> Block | None:
    later = [b for b in parse_blocks(block.doc) if b.line > block.line]
    return later[0] if later else None


def _check_output_block(block: Block, printed: str) -> None:
    nxt = _next_block(block)
    if nxt is None or not nxt.is_output:
        return
    assert outputs_match(printed, nxt.code), (
        f"{nxt.where} no longer shows what {block.where} prints; it now prints:\n{printed}")


def test_the_scratch_example_is_among_the_blocks_run():
    readme = [b for b in ALL_BLOCKS if b.doc.name in ("README.md", "scratch.md") and b.runs]
    assert any("scratch.Sequential" in b.code and "model.backward" in b.code for b in readme)


# -- the parser and the output matcher themselves --------------------------

SAMPLE = """\
Intro
```python
a = 1
```
  ~~~~ python no-run
  ```python
  not a fence inside a tilde fence
  ```
  ~~~~
````markdown
```python
inner = "shown, not run"
```
````
```python file=examples/x.py
print(2)
```
```text output
2
```
"""


def test_the_parser_reads_fences_info_strings_and_nesting():
    blocks = parse_blocks(ROOT / "SAMPLE.md", SAMPLE)
    assert [(b.line, b.lang) for b in blocks] == [
        (3, "python"), (6, "python"), (11, "markdown"), (16, "python"), (19, "text")]
    assert blocks[0].runs and blocks[0].code == "a = 1\n"
    assert blocks[1].flags == {"no-run"} and not blocks[1].runs
    assert blocks[1].code == "```python\nnot a fence inside a tilde fence\n```\n"
    assert blocks[2].code == '```python\ninner = "shown, not run"\n```\n'
    assert blocks[3].attrs == {"file": "examples/x.py"} and not blocks[3].runs
    assert blocks[4].is_output and blocks[4].code == "2\n"


def test_a_block_runs_with_the_docs_line_numbers_in_its_traceback():
    block = Block(ROOT / "DOC.md", 7, "python", code="x = 1\nraise ValueError(x)\n")
    with pytest.raises(ValueError) as info:
        run_block(block, {})
    assert info.traceback[-1].lineno + 1 == 8  # pytest's lineno is 0-based


@pytest.mark.parametrize(("actual", "expected", "same"), [
    ("diff  5.55e-17  ok\n", "diff 0.00e+00 ok", True),     # both tiny: rounding noise
    ("diff 1.42e-07 ok", "diff 1.42e-07  ok  \n", True),    # whitespace only
    ("diff 1.42e-07 ok", "diff 1.43e-07 ok", False),        # a real number changed
    ("worst at (2, 2)", "worst at (2, 1)", False),
    ("status ok", "status MISMATCH", False),
    ("a 1e-3", "a 1e-3 extra", False),
    ("OK: closest is output at 7.5e-10", "OK: closest is ...", True),   # ellipsis
    ("OK: x\nrow 1", "OK: ... row 1", True),
    ("FAIL: x\nrow 1", "OK: ... row 1", False),
    ("diff 2.0e-3 ok", "diff 1e-12 ok", False),             # tiny only matches tiny
])
def test_outputs_match_tolerates_only_noise_and_ellipses(actual, expected, same):
    assert outputs_match(actual, expected) is same


def test_a_stale_output_block_fails_naming_both_blocks(tmp_path):
    doc = tmp_path / "STALE.md"
    doc.write_text("```python\nprint(6 * 7)\n```\n\n```text output\n41\n```\n")
    code_block = parse_blocks(doc)[0]
    with pytest.raises(AssertionError, match=r"STALE.md:6 no longer shows what .*STALE.md:2"):
        _check_output_block(code_block, run_block(code_block, {}))


def test_every_docs_page_is_read_and_docs_pages_have_runnable_blocks():
    pages = sorted((ROOT / "docs").rglob("*.md"))
    assert pages and set(pages) <= set(documents())
    assert any(b.runs for b in ALL_BLOCKS if b.doc.parent.name == "docs")
