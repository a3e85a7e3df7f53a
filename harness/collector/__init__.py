"""Sampling the service under test into the run's sample store; the only importer of psutil."""
