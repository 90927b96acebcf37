"""A node's background work, outside the HTTP layer.

Two kinds, started by ``vcnode serve`` through :class:`~vcnode.background.worker.Background`:

- per process: ``watch_store`` (this process's caches follow another process's writes) and the job runner
  (:mod:`vcnode.jobs`: jobs are claimed under store leases, so every process may run them);
- per node, in one elected process only (:mod:`vcnode.background.election`): re-signing changed status lists
  (and so anchoring them), gossip rounds, witnessing, anti-entropy and saving the peer table
  (:mod:`vcnode.background.loops`). Two processes doing these at once would sign and anchor the same change
  twice and race each other for the anchor log's next position.
"""
