"""The garbage collector's settings for a web process, applied once its application is loaded.

A request allocates thousands of short-lived objects (query sets, model instances, dicts), so with
the default first threshold (700 allocations) the collector runs several times per request, and
each older-generation pass walks every module, class and function that Django and the apps loaded.
``gc.freeze()`` moves everything alive after start-up into a generation that is never scanned (the
Python documentation recommends it before a server forks its workers, which then also keep those
pages shared), and a first threshold of 10,000 makes the young passes rarer. Reference counting
still frees nearly every object at once; only cycles wait a little longer.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000


def tune_for_serving() -> None:
    gc.collect()
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
