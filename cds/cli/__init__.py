"""The `cds` command. Each sub-command lives in its own module with `register(subparsers)`.

Any `CdsError` becomes one line on stderr and exit status 2; nothing prints a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from cds.errors import CdsError

# Modules that provide sub-commands, each with register(subparsers) -> None.
SUBCOMMAND_MODULES = (
    "cds.cli.evaluate",
    "cds.cli.followups",
    "cds.cli.rules",
    "cds.cli.serve",
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"cds: {message}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cds", description="Postpartum pelvic-floor decision support.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.handler(args)
    except CdsError as exc:
        sys.stderr.write(f"cds: error: {exc.message}\n")
        return 2
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
