"""The benchmark suite: `python -m bench` (full, ~10 minutes) or `python -m bench --quick` (CI).

Sections (see docs/benchmarks.md): in-process evaluation against the JSON parse (the physical
limit), a naive fhir.resources baseline, HTTP under gunicorn, the FHIR fallback, follow-up
dispatch through Redis and Celery workers, and cold start. Prints a table; `--json PATH` writes
the same figures. Benchmarks, not tests: nothing here fails on a slow figure.
"""
