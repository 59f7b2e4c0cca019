"""Capture: discovery, fetching and WARC storage; sources in, stored captures out."""
