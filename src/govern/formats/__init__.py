"""Formatters: turn result data into text. They neither print nor decide; the CLI writes."""
