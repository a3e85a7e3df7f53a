"""The locustfile soak adds to every scenario's: the load model's shape class and soak's events.

A shape class in your own locustfile is not used: the profile's [load] decides the load."""

from scenarios import hooks  # noqa: F401 - registers soak's Locust events
from scenarios.bounded_stats import keep_stats_bounded
from scenarios.shapes import SoakShape

__all__ = ["SoakShape"]

keep_stats_bounded()
