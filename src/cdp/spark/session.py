"""The Spark session of every Spark step, configured in one place from the environment.

``CDP_SPARK_MASTER``     where the work runs: ``local[*]`` (the default: every core of this
                         machine) or a cluster's master URL (``spark://host:7077``, ``yarn``)
``CDP_SPARK_WAREHOUSE``  the folder of Spark's tables and of its catalog (default
                         ``data/warehouse/spark``): ``tables/`` holds the Parquet files of every
                         schema, ``metastore_db/`` the catalog (an embedded Derby database, one
                         process at a time, as a DuckDB file)
``CDP_SPARK_PARTITIONS`` partitions of a shuffle (default 4: the sample is small; a cluster
                         wants a few per core)
``CDP_SPARK_DRIVER_MEMORY``  the driver's heap (default ``2g``)

The session carries the platform's Python rules as Spark functions, the same Python code the
DuckDB engine registers (``cdp.standardize.duckdb_udfs``, ``cdp.privacy.duckdb_functions``):
``phone_to_e164``, ``phone_kind``, ``clean_name``, ``split_full_name`` and ``pseudonymize``.
Times are UTC, as on DuckDB.
"""

from __future__ import annotations

import logging
import os
import sys
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from cdp.config import PROJECT_ROOT

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DEFAULT_MASTER = "local[*]"
DEFAULT_WAREHOUSE = PROJECT_ROOT / "data" / "warehouse" / "spark"
DEFAULT_PARTITIONS = 4
DEFAULT_DRIVER_MEMORY = "2g"
LOG_CONFIG = Path(__file__).with_name("log4j2.properties")


class SparkUnavailable(RuntimeError):
    """pyspark or Java is missing: the Spark engine cannot start."""


def warehouse_dir() -> Path:
    """The folder of Spark's tables and catalog."""
    return Path(os.environ.get("CDP_SPARK_WAREHOUSE") or DEFAULT_WAREHOUSE).absolute()


def settings() -> dict[str, str]:
    """The Spark settings of the platform's session, from the environment."""
    home = warehouse_dir()
    metastore = f"jdbc:derby:;databaseName={home / 'metastore_db'};create=true"
    return {
        "spark.master": os.environ.get("CDP_SPARK_MASTER") or DEFAULT_MASTER,
        "spark.app.name": "cdp",
        "spark.sql.warehouse.dir": str(home / "tables"),
        "spark.hadoop.javax.jdo.option.ConnectionURL": metastore,
        # derby.log beside the catalog, not in whatever folder the step started in; Spark's
        # own log at errors only
        "spark.driver.extraJavaOptions": (
            f"-Dderby.system.home={home} -Dlog4j2.configurationFile={LOG_CONFIG}"
        ),
        "spark.sql.session.timeZone": "UTC",
        # string literals as DuckDB reads them: a backslash is a backslash ('\s+' in a
        # regular expression), not an escape
        "spark.sql.parser.escapedStringLiterals": "true",
        "spark.sql.shuffle.partitions": os.environ.get("CDP_SPARK_PARTITIONS")
        or str(DEFAULT_PARTITIONS),
        "spark.driver.memory": os.environ.get("CDP_SPARK_DRIVER_MEMORY") or DEFAULT_DRIVER_MEMORY,
        # a batch job: no web UI (and no port taken by each of several test processes)
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        # Python functions run in workers of this interpreter (the platform's packages)
        "spark.pyspark.python": sys.executable,
        "spark.pyspark.driver.python": sys.executable,
        "spark.sql.execution.arrow.pyspark.enabled": "true",
    }


_session: SparkSession | None = None


def get_session() -> SparkSession:
    """The platform's Spark session (started on first use, then shared by the process), with
    its Python functions registered."""
    global _session
    # a stopped context has no Java side left (pyspark sets it to None)
    if _session is not None and _session.sparkContext._jsc is not None:
        return _session
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise SparkUnavailable(
            "CDP_ENGINE=spark needs pyspark: `make install` installs it (the `spark` extra)"
        ) from exc
    home = warehouse_dir()
    home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    configured = settings()
    if configured["spark.master"].startswith("local"):
        # a local session binds to this machine (and says nothing of its host name)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder.enableHiveSupport()
    for key, value in configured.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # py4j's "Java gateway process exited" and friends
        raise SparkUnavailable(
            f"Spark did not start ({exc}); it needs Java 17 or newer on PATH or in JAVA_HOME "
            "(`make install` installs Debian's OpenJDK when none is found)"
        ) from exc
    session.sparkContext.setLogLevel(os.environ.get("CDP_SPARK_LOG_LEVEL") or "ERROR")
    # pyspark logs every failed statement with Java's whole stack; the error itself reaches
    # the caller (dbt prints it)
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    register_functions(session)
    _session = session
    return session


def strip_accents(text: str | None) -> str | None:
    """``text`` without its accents (combining marks after canonical decomposition)."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


#: DuckDB functions of two strings that identity's comparisons use and Spark lacks
SIMILARITIES = {"damerau_levenshtein": "bigint", "jaro_winkler_similarity": "double"}


def _duckdb_similarity(name: str, kind: str) -> Any:
    """A vectorized Spark function computing DuckDB's ``name`` on each Arrow batch of pairs."""
    import duckdb
    from pyspark.sql.functions import arrow_udf

    def compute(left: pa.Array, right: pa.Array) -> pa.Array:
        with duckdb.connect() as con:
            con.register("pairs", pa.table({"a": left, "b": right}))
            return (
                con.sql(f"select {name}(a, b) from pairs")
                .to_arrow_table()
                .column(0)
                .combine_chunks()
            )

    return arrow_udf(compute, kind)


def register_functions(session: SparkSession) -> None:
    """The platform's Python rules as Spark SQL functions of ``session``."""
    from pyspark.sql.types import StringType, StructField, StructType

    from cdp.privacy.keys import PSEUDONYM, derive, keyed_hash, load_key, require_key
    from cdp.standardize.names import clean_name, split_full_name
    from cdp.standardize.phones import phone_kind, to_e164

    text = StringType()
    full_name = StructType([StructField("first_name", text), StructField("last_name", text)])
    session.udf.register("phone_to_e164", to_e164, text)
    session.udf.register("phone_kind", phone_kind, text)
    session.udf.register("clean_name", clean_name, text)
    session.udf.register("split_full_name", split_full_name, full_name)
    # DuckDB's built-in strip_accents, which Spark lacks
    session.udf.register("strip_accents", strip_accents, text)
    # DuckDB's string similarities, computed by DuckDB on each Arrow batch, so that a fuzzy
    # comparison on Spark reaches the level it reaches on DuckDB
    for name, kind in SIMILARITIES.items():
        session.udf.register(name, _duckdb_similarity(name, kind))

    key = load_key()
    pseudonym_key = derive(key, PSEUDONYM) if key is not None else None

    def pseudonymize(value: object) -> str | None:
        if value is None:
            return None
        if pseudonym_key is None:
            require_key()  # raises, saying how to set a key
        return keyed_hash(str(value), pseudonym_key)

    session.udf.register("pseudonymize", pseudonymize, text)


def exit_process(code: int) -> None:
    """End a command that used the session: the session stopped, output flushed, then the
    process ended at once (at a normal interpreter exit, DuckDB's bindings report the objects
    still alive beside pyspark's as leaks, a screen of noise after every command)."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        active.stop()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
