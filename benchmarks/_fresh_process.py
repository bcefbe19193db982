"""Run one measurement in a fresh (spawned) interpreter, so its peak memory and imports are its own."""

from __future__ import annotations

import multiprocessing as mp


def in_fresh_process(target, *args):
    """Call ``target(*args, queue)`` in a spawned process and return what it puts on the queue;
    an exception it puts there is raised here."""
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=target, args=(*args, q))
    p.start()
    res = q.get()
    p.join()
    if isinstance(res, Exception):
        raise res
    return res
