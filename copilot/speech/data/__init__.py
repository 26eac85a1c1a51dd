"""Phrase lists for non-English vosk models."""
