"""Reporting: provenance, tables, figures and the one self-contained HTML page."""
