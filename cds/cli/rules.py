"""`cds rules check`: validate every rule file, value set and rule suite; non-zero on a problem."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cds.knowledge import load_knowledge
from cds.knowledge.suites import load_suites


def register(sub: Any) -> None:
    p = sub.add_parser("rules", help="work with the rule files")
    rsub = p.add_subparsers(dest="rules_command", required=True)
    check = rsub.add_parser("check", help="validate rules/, value sets and rule cases")
    check.add_argument("--rules-dir", type=Path, help="default: the rules/ shipped with the service")
    check.set_defaults(handler=run_check)


def run_check(args: argparse.Namespace) -> int:
    kb = load_knowledge(args.rules_dir)
    suites = load_suites(kb, args.rules_dir)
    cases = sum(len(s.cases) for s in suites)
    print(
        f"rules OK: {len(kb.rules)} rules, {len(kb.valuesets)} value sets, {cases} cases, "
        f"knowledge version {kb.version}"
    )
    return 0
