"""Background jobs: work that outlives the request that asked for it (the desk's CSV batches).

A job is a row in the store (:class:`vcnode.store.records.JobRecord`), so every serving process sees it, its
progress and its result: the page that shows a job may be served by another process than the one running it.
Each ``vcnode serve`` process runs a :class:`~vcnode.jobs.runner.JobRunner` beside its other loops: it claims
the oldest queued job (a compare-and-set in one store transaction), holds it with a lease it renews while it
works, records progress per chunk, and finishes it (another compare-and-set). A job whose process died is
claimed again by another process once its lease has passed; the job kinds (:mod:`vcnode.jobs.batches`) are
idempotent, so the second run finishes the first one's work without doing any of it twice.
"""
