"""Data quality: Great Expectations suites per layer and source, run on DuckDB, and the site
that publishes their results."""
