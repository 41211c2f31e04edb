"""Summarise py-spy `--format raw` (collapsed stacks) files: inclusive share per function.

    py-spy record --pid PID --format raw -o spy.txt --duration 10
    python -m bench.profile_summary spy.txt [more.txt ...] [--match cds/ --top 40]
"""

from __future__ import annotations

import argparse
import collections
import re
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>[^ ]+) \((?P<file>[^:]+)(?::\d+)?\)$")


def summarise(paths: list[Path], match: str, top: int) -> str:
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for path in paths:
        for line in path.read_text(errors="replace").splitlines():
            stack, _, count_s = line.rpartition(" ")
            if not count_s.isdigit():
                continue
            count = int(count_s)
            frames = []
            for raw in stack.split(";"):
                m = _FRAME.match(raw.strip())
                if m is None:
                    continue
                file = m["file"]
                for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
                    if marker in file:
                        file = file.split(marker, 1)[1]
                frames.append(f"{m['func']} ({file})")
            if not frames:
                continue
            total += count
            own[frames[-1]] += count
            for frame in set(frames):
                inclusive[frame] += count
    lines = [f"{total} samples", "", "inclusive:"]
    for frame, n in inclusive.most_common():
        if match in frame:
            lines.append(f"{100 * n / total:5.1f}%  {frame}")
        if len(lines) > top + 3:
            break
    lines += ["", "self:"]
    for frame, n in own.most_common(top):
        lines.append(f"{100 * n / total:5.1f}%  {frame}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--match", default="")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    print(summarise(args.files, args.match, args.top))


if __name__ == "__main__":
    main()
