"""Ingest: detect an input's format by content and turn it into normalised records."""
