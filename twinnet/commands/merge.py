"""``twinnet merge``: join the ``--json`` documents of sweeps run over separate seed ranges.

A big sweep can be split by seed over several machines, each writing a JSON
document, e.g. ``twinnet check -n 5000 --seed 0 --json > a.json`` on one and
``--seed 5000`` on another. ``twinnet merge a.json b.json`` prints the table
of the whole sweep (``--json``: one document of the same layout) with the
worst ratios, percentiles and failures over every shard, as one run would
have counted them. Exit status 1 when any shard failed, 2 on unreadable or
overlapping shards.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def register(sub) -> None:
    """Add the ``merge`` subcommand to ``sub`` (argparse's subparsers), with ``func=run``."""
    p = sub.add_parser("merge", help="join JSON results of `check`/`false-alarms` shards",
                       description=__doc__)
    p.add_argument("files", nargs="+", type=Path, metavar="FILE",
                   help="JSON documents written by `twinnet check --json` or "
                        "`twinnet false-alarms --json` (all of the same command)")
    p.add_argument("--json", action="store_true", help="print the merged JSON document")
    p.set_defaults(func=run)


def run(args) -> int:
    """Run ``twinnet merge`` with the parsed ``args``; exit status as documented above."""
    from compare.present.jsonable import jsonable
    from twinnet.sweep import DtypeSummary, merge_documents

    try:
        doc = merge_documents([json.loads(f.read_text()) for f in args.files])
    except (OSError, ValueError, KeyError) as exc:
        print(f"twinnet merge: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(jsonable(doc), indent=2, allow_nan=False))
        return 0 if doc["ok"] else 1
    summaries = [DtypeSummary.from_dict(d) for d in doc["summary"]]
    shards = ", ".join(f"{a}..{b}" for a, b in doc["shards"])
    print(f"twinnet {doc.get('kind', 'check')}: {len(args.files)} shard(s), seeds {shards}\n")
    if doc.get("kind") == "false-alarms":
        from .false_alarms import TABLE_HEADER, table_row
        rows = [TABLE_HEADER] + [table_row(s) for s in summaries]
    else:
        from .check import summary_rows
        rows = summary_rows(summaries)
    from .check import print_rows
    print_rows(rows)
    for f in doc["failures"]:
        print(f"\n=== FAILED {f['case']} (seed {f['seed']}, {f['dtype']})")
    return 0 if doc["ok"] else 1
