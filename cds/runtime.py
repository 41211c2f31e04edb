"""Process settings for serving hook calls: the garbage collector.

A hook request allocates one Python object per JSON value: 100,000s for a long history. With
CPython's default thresholds (700, 10, 10) that triggers many collections during one request,
and the older generations also walk everything loaded at start (rules, value sets and the
fhir.resources models: about 100,000 objects). Freezing the start-up heap takes those out of
every later collection; a higher first threshold lets a request finish with fewer passes. The
request's own objects are freed by reference counting as before; only cycles wait a little
longer. Measured in docs/benchmarks.md (the 10,000-resource request: 330 -> 125-145 ms).
"""

from __future__ import annotations

import gc

GEN0_THRESHOLD = 50_000


def settle_heap() -> None:
    """Call once the app is built, before serving: collect, freeze what exists, raise gen 0."""
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, gen1, gen2)
