"""The composition root: the one place that knows every part of a serving node.

:mod:`vcnode.serve.app` builds the aiohttp application over an open :class:`~vcnode.node.Node` (the JSON API
of :mod:`vcnode.http`, the OpenID routes, the pages of :mod:`vcnode.web`), hands the exchange service its
OpenID4VP link builder (a port declared in :mod:`vcnode.exchanges`), and runs the server with its stored jobs
(:mod:`vcnode.jobs`) and the elected background loops (:mod:`vcnode.background`). Nothing below imports it.
"""
