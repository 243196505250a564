"""Adapters: the database and file formats."""
