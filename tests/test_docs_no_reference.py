"""docs/no-reference.md runs as written, with the docs runner's conventions (tests/test_readme.py).

README's runner reads README.md and docs/readme/*.md; this page lives in docs/, so it is
run here, block by block in one namespace, each output block matched against what the
block before it printed.
"""

from __future__ import annotations

from tests.test_readme import ROOT, outputs_match, parse_blocks, run_block

PAGE = ROOT / "docs" / "no-reference.md"


def test_every_block_runs_and_prints_what_the_page_shows():
    namespace: dict = {"__name__": "__docs__"}
    printed, outputs = None, 0
    for block in parse_blocks(PAGE):
        if block.is_python and block.runs:
            printed = run_block(block, namespace)
        elif block.is_output:
            outputs += 1
            assert printed is not None, f"{block.where}: no runnable block before it"
            assert outputs_match(printed, block.code), f"{block.where}:\n{printed}"
    assert outputs == 4
