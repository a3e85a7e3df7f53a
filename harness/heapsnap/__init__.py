"""Heap snapshots of the target: taken over its inspector during a run, parsed as a stream,
and diffed to name the kinds of object the heap gained and what holds them."""
