"""Apache Spark as the platform's second engine (``CDP_ENGINE=spark``; DuckDB is the default).

``session``   the Spark session every Spark step uses, with the platform's Python rules as
              Spark functions
``raw``       the raw loads published as Spark tables
``dbt``       dbt run on that session (``cdp-dbt-spark``), Python models included
``build``     the pipeline's tables built on either engine, timed (``python -m cdp.spark``)
``compare``   two builds' tables and customers compared
"""
