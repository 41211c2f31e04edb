"""`cds followups dispatch|list`: the schedule from the command line.

    cds followups dispatch [--as-of ISO] [--inline]   claim rows due by then and send them to the
                                                       workers (or run them here with --inline)
    cds followups list [--state S] [--format text|json]
"""

from __future__ import annotations

import argparse
import json
import logging
from datetime import datetime
from typing import Any

from cds.config import Settings
from cds.errors import StoreError
from cds.fhir.dates import parse_moment
from cds.store import STATES, FollowUp, Store, create_store


def _moment(raw: str) -> datetime:
    try:
        return parse_moment(raw)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(sub: Any) -> None:
    p = sub.add_parser("followups", help="the follow-up schedule: dispatch due rows, list them")
    cmds = p.add_subparsers(dest="followups_command", required=True)
    d = cmds.add_parser("dispatch", help="claim follow-ups due by --as-of and send them to the workers")
    d.add_argument("--as-of", dest="as_of", type=_moment, help="ISO 8601 date or date-time (default: now)")
    d.add_argument("--inline", action="store_true", help="run them in this process instead of a worker")
    d.set_defaults(handler=dispatch)
    ls = cmds.add_parser("list", help="list follow-ups (no patient data)")
    ls.add_argument("--state", choices=STATES)
    ls.add_argument("--format", choices=("text", "json"), default="text")
    ls.add_argument("--limit", type=int, default=1000)
    ls.set_defaults(handler=listing)


def _store() -> tuple[Settings, Store]:
    if not logging.getLogger().handlers:
        # The command's own output is the summary and one error line; without a logging setup
        # Python would print warnings from cds.* on stderr as well.
        logging.getLogger("cds").addHandler(logging.NullHandler())
    settings = Settings.from_env()
    return settings, create_store(settings)


def dispatch(args: argparse.Namespace) -> int:
    from cds.followups.run import dispatch as claim_and_send
    from cds.followups.run import run_followup

    settings, store = _store()
    try:
        if args.inline:
            outcomes: list[str] = []
            result = claim_and_send(store, settings, lambda fid: outcomes.append(
                run_followup(store, settings, fid)), args.as_of, actor="cli")
            print(f"claimed {len(result.claimed)}, ran {len(outcomes)}: "
                  + ", ".join(f"{o} {outcomes.count(o)}" for o in sorted(set(outcomes))))
            return 0
        from workers.tasks import run_followup as task

        result = claim_and_send(store, settings, lambda fid: task.apply_async((fid,), retry=False),
                                args.as_of, actor="cli")
    finally:
        store.close()
    print(f"claimed {len(result.claimed)}, sent {len(result.sent)}, released {len(result.released)}")
    if result.released:
        raise StoreError(f"the broker did not take {len(result.released)} follow-ups; they stay pending")
    return 0


def _row(f: FollowUp) -> dict[str, Any]:
    return {
        "id": f.id, "item": f.plan_item, "state": f.state, "due": f.due_at.isoformat(),
        "attempts": f.attempts, "lastError": f.last_error,
    }


def listing(args: argparse.Namespace) -> int:
    _, store = _store()
    try:
        rows = [_row(f) for f in store.followups(args.state, args.limit)]
    finally:
        store.close()
    if args.format == "json":
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'id':36}  {'item':24}  {'state':9}  {'due':25}  {'tries':>5}  last error")
    for r in rows:
        print(f"{r['id']:36}  {r['item']:24}  {r['state']:9}  {r['due']:25}  {r['attempts']:>5}  "
              f"{r['lastError'] or ''}")
    return 0
