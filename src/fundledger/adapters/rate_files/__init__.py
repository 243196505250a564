"""Readers of published exchange-rate files."""
