"""Shared mock plumbing: serving apps on port 0, request accounting, the /__mock__/ routes."""
