"""Standardization rules that need a library rather than SQL (phones), shared with dbt."""
