"""Turning stored run data into verdict files; renders what analysis decided, never recomputes."""
