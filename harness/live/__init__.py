"""The live view of a run: one status block redrawn on a terminal, plain lines in a log, and an
optional OpenMetrics endpoint, all from what soak already holds (no extra probing of the target)."""
