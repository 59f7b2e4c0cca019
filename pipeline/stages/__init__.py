"""Stages: typed steps between a stored capture and a warehouse row (extraction, dedup signatures)."""
