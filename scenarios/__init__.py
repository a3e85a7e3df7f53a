"""Locust scenarios; imported only inside the Locust process."""
