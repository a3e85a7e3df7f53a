"""soak's vocabulary: every metric, upstream and event name, spelled once.

Dependency-free (stdlib only), so the harness, the mocks and the Locust scenarios all import it.
tests/unit/test_vocab.py checks that no other module spells these names as string literals.
"""
