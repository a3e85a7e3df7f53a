"""soak: a load-and-soak harness that tells whether a service leaks, with evidence."""

__version__ = "0.1.0"
