"""Code the harness, the mocks and the scenarios share: standard library and pydantic only, no I/O."""
