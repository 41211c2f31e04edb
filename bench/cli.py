"""`python -m bench [--quick] [--json PATH] [--only SECTIONS]`: run, print the table, write JSON."""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench import report as report_mod
from bench.data import synthea_cases, synthetic_cases
from bench.report import Report

SECTIONS = ("eval", "http", "fallback", "followups", "cold")


def _eval(rep: Report, kb: object, services: dict, quick: bool) -> None:  # type: ignore[type-arg]
    from bench import inproc

    synthea = synthea_cases(services)
    synthetic = synthetic_cases(services)
    result = inproc.run(kb, services, synthea + synthetic, quick=quick)  # type: ignore[arg-type]
    sec = "1 evaluation"
    for c in result.cases:
        rep.add(sec, f"{c.name} ({c.resources:,} resources, {c.body_bytes / 1024:,.0f} KiB): handler",
                c.handler_s * 1e3, "ms", note=f"orjson.loads {c.loads_s * 1e3:.3f} ms")
        rep.add(sec, f"{c.name}: handler / orjson.loads", c.ratio, "x")
    syn = [c for c in result.cases if c.name.startswith("synthea")]
    med = statistics.median(c.ratio for c in syn)
    rep.add(sec, "median handler / loads, Synthea requests", med, "x", goal="<= 3", met=med <= 3)
    allmed = statistics.median(c.ratio for c in result.cases)
    rep.add(sec, "median handler / loads, all requests", allmed, "x", goal="<= 3", met=allmed <= 3)
    by = {c.resources: c for c in result.cases if c.name.startswith("synthetic")}
    small, large = by[min(by, key=lambda n: abs(n - 1_000))], by[max(by)]
    rep.add(sec, f"per resource at {small.resources:,}", small.per_resource_us, "us")
    rep.add(sec, f"per resource at {large.resources:,}", large.per_resource_us, "us")
    growth = large.per_resource_us / small.per_resource_us
    rep.add(sec, "per-resource cost 10,000 / 1,000", growth, "x", goal="<= 1.5", met=growth <= 1.5)
    sec = "2 naive baseline"
    ups = [c.speedup for c in result.cases if c.speedup]
    for c in result.cases:
        if c.naive_s:
            rep.add(sec, f"{c.name}: validate all (R4B) + evaluate", c.naive_s * 1e3, "ms")
    med_up = statistics.median(ups)
    rep.add(sec, "median speed-up over naive", med_up, "x", goal=">= 20", met=med_up >= 20)
    rep.add(sec, "smallest speed-up over naive", min(ups), "x")


def _http(rep: Report, services: dict, workdir: Path, quick: bool) -> None:  # type: ignore[type-arg]
    from bench import http_bench

    result = http_bench.run(synthea_cases(services), workdir, quick=quick)
    sec = "3 HTTP (gunicorn)"
    fixed = result.fixed
    assert fixed is not None
    rep.add(sec, f"fixed {fixed.rate:.0f} req/s for {fixed.duration_s:.0f} s: p50", fixed.percentile(50) * 1e3, "ms")
    p99 = fixed.percentile(99) * 1e3
    rep.add(sec, f"fixed {fixed.rate:.0f} req/s for {fixed.duration_s:.0f} s: p99", p99, "ms", goal="<= 50",
            met=p99 <= 50 and fixed.errors == 0)
    rep.add(sec, f"fixed {fixed.rate:.0f} req/s: answered 200 (of {fixed.sent})", fixed.ok, "requests",
            goal=f"= {fixed.sent}", met=fixed.ok == fixed.sent, note=str(fixed.statuses))
    rep.add(sec, "closed-loop capacity probe (16 in flight)", result.probe_rps, "req/s")
    for a in result.attempts:
        p99_a = a.percentile(99) * 1e3
        rep.add(sec, f"offered {a.rate:.0f} req/s for {a.duration_s:.0f} s: achieved (p99 {p99_a:.0f} ms, "
                f"{a.errors} errors)", a.achieved, "req/s", note=str(a.statuses))
    best = result.best
    if best is not None:
        rep.add(sec, f"highest rate sustained {best.duration_s:.0f} s with no error", best.rate, "req/s",
                goal=">= 300", met=best.rate >= 300)
    else:
        lowest = result.attempts[-1]
        rep.add(sec, "highest rate sustained with no error (none sustained; lowest tried)", lowest.achieved, "req/s",
                goal=">= 300", met=False)
    rep.add(sec, "gunicorn start to first hook answered (HTTP, JWT)", result.first_answer_s, "s", goal="<= 2",
            met=result.first_answer_s <= 2)


def _fallback(rep: Report, kb: object, services: dict, workdir: Path, quick: bool) -> None:  # type: ignore[type-arg]
    from bench import fallback

    case = synthea_cases(services)[0]
    r = fallback.run(kb, services, case, workdir, quick=quick)  # type: ignore[arg-type]
    sec = "4 FHIR fallback"
    rep.add(sec, f"{r.case}, no prefetch, FHIR server +50 ms/query: total", r.total_s * 1e3, "ms")
    rep.add(sec, "one query (keep-alive)", r.one_query_s * 1e3, "ms")
    rep.add(sec, "evaluation with full prefetch", r.evaluation_s * 1e3, "ms")
    rep.add(sec, "total / (one query + evaluation)", r.ratio, "x", goal="<= 1.5", met=r.ratio <= 1.5)
    rep.add(sec, "queries per call", r.queries_per_call, "queries")
    rep.add(sec, f"queries per TCP connection ({r.connections} connections, {r.calls + 1} calls)",
            r.queries_per_connection, "queries")


def _followups(rep: Report, kb: object, services: dict, workdir: Path, quick: bool) -> None:  # type: ignore[type-arg]
    from bench import followups

    case = synthea_cases(services)[0]
    r = followups.run(kb, case, workdir, quick=quick)  # type: ignore[arg-type]
    sec = "5 follow-ups"
    rep.add(sec, "due follow-ups planned", r.planned, "follow-ups")
    rep.add(sec, "dispatched and done by 2 worker processes (Redis, PostgreSQL)", r.rate, "per s", goal=">= 500",
            met=r.rate >= 500, note=f"{r.elapsed_s:.1f} s")
    exact = r.planned
    for name, value in (("follow-ups done", r.done), ("Task rows", r.task_rows),
                        ("distinct Task identifiers", r.distinct_identifiers),
                        ("distinct follow-ups with a Task", r.distinct_followups),
                        ("task-created audit entries", r.created_audits)):
        rep.add(sec, name, value, "rows", goal=f"= {exact}", met=value == exact)


def _cold(rep: Report, services: dict, workdir: Path, quick: bool) -> None:  # type: ignore[type-arg]
    from bench import coldstart

    times = coldstart.run(synthea_cases(services)[0], workdir, quick=quick)
    best = min(times)
    rep.add("6 cold start", "python start to first hook answered (in-process, best of "
            f"{len(times)})", best, "s", goal="<= 2", met=best <= 2, note=f"median {statistics.median(times):.2f} s")


def _load(path: Path) -> Report:
    import orjson

    from bench.report import Figure

    doc = orjson.loads(path.read_bytes())
    rep = Report(mode=doc["mode"], machine=doc["machine"], notes=doc.get("notes", []))
    rep.figures = [Figure(**f) for f in doc["figures"]]
    return rep


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a few seconds per figure (CI)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--from-json", type=Path, metavar="PATH",
                        help="print the table of an earlier --json file instead of running")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated sections to run (default all: {','.join(SECTIONS)})")
    args = parser.parse_args(argv)
    if args.from_json:
        print(_load(args.from_json).table(markdown=args.markdown))
        return 0
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(only) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")

    from cds.hooks.discovery import services as make_services
    from cds.knowledge import load_knowledge

    rep = Report(mode="quick" if args.quick else "full", machine=report_mod.machine())
    kb = load_knowledge()
    services = make_services(kb)
    started = time.perf_counter()
    failed = False
    with tempfile.TemporaryDirectory(prefix="cds-bench-") as tmp:
        workdir = Path(tmp)
        for section in only:
            print(f"bench: {section} ...", file=sys.stderr, flush=True)
            t0 = time.perf_counter()
            try:
                _section(section, rep, kb, services, workdir, args.quick)
            except Exception as exc:  # one broken section must not lose the others' figures
                rep.notes.append(f"section {section} failed: {type(exc).__name__}: {exc}")
                print(f"bench: {section} FAILED: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
                failed = True
            if args.json:
                rep.write_json(args.json)
            print(f"bench: {section} done in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    rep.machine["duration_s"] = round(time.perf_counter() - started, 1)
    print(rep.table(markdown=args.markdown))
    for note in rep.notes:
        print(note)
    if args.json:
        rep.write_json(args.json)
    return 1 if failed else 0


def _section(section: str, rep: Report, kb: object, services: dict, workdir: Path,  # type: ignore[type-arg]
             quick: bool) -> None:
    if section == "eval":
        _eval(rep, kb, services, quick)
    elif section == "http":
        _http(rep, services, workdir, quick)
    elif section == "fallback":
        _fallback(rep, kb, services, workdir, quick)
    elif section == "followups":
        _followups(rep, kb, services, workdir, quick)
    elif section == "cold":
        _cold(rep, services, workdir, quick)
