"""Privacy by design: the privacy key and keyed hashes, erasure with a suppression list,
retention, and the pseudonymization function dbt uses. See docs/privacy.md."""
