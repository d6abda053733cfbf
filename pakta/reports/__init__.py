"""Verification reports: text, JSON, CSV and HTML."""
