"""The ``vcnode`` command line: a thin layer over the domain packages."""
