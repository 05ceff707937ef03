"""The customer data platform's Python package."""

import warnings

# pyspark (the Spark engine's extra), which Great Expectations imports whenever it is installed,
# warns on import that it does not fully support pandas 3; the platform hands pandas frames to
# neither.
warnings.filterwarnings(
    "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
)
