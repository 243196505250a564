"""Presentation of report data: JSON and CSV now, PDF layouts later."""
