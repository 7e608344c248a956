"""Policies: typed YAML files, their JSON Schema, loading with line numbers, and evaluation."""
