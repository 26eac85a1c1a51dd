"""Vocabulary and templates of the understanding (YAML), and the shipped intent index."""
