"""Celery workers: the app (`workers.celery_app:celery`), thin tasks, and the embedded runner.

    celery_app.py  the Celery app and every non-default setting, each with its reason
    context.py     the per-process Settings, Store and HTTP session the tasks use
    tasks.py       cds.followups.dispatch_due / cds.followups.run / cds.followups.reap
    embedded.py    start a worker and beat beside `cds serve` when no broker is configured
"""
