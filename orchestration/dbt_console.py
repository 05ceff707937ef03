"""dbt's console output in a pipeline run: its warnings and closing lines, not a line per node.

dagster-dbt echoes every line of dbt's log to standard output as it streams dbt's events:
"12 of 323 START ...", "12 of 323 OK ..." for each model and test, several hundred lines on
the sample. ``dbt_console`` sends those to a debug logger (the run's log in the Dagster UI,
and the console at ``CDP_LOG_LEVEL=DEBUG``) and lets everything else through: dbt's header,
warnings and errors with their details, the totals, and whatever a Python model prints.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from collections.abc import Callable, Iterator
from typing import TextIO

# dbt's line per node; "compiled code at target/<invocation>/..." names a folder that is
# removed when the step succeeds (orchestration/dbt_parses.py, succeeded)
TO_DEBUG = re.compile(
    r"^(\d+ of \d+ (START|OK|PASS|NO-OP|SKIP|RUN)\b|compiled code at |Registered adapter|"
    r"Concurrency: )"
)


class DbtConsole(io.TextIOBase):
    """A text stream that writes dbt's per-node lines to ``debug`` and the others to ``out``
    (blank lines are dropped)."""

    def __init__(self, out: TextIO, debug: Callable[[str], None]) -> None:
        self.out, self.debug, self.pending = out, debug, ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.pending += text
        *lines, self.pending = self.pending.split("\n")
        for line in lines:
            if TO_DEBUG.match(line.strip()):
                self.debug(line.strip())
            elif line.strip():
                self.out.write(line + "\n")
        return len(text)

    def flush(self) -> None:
        self.out.flush()


@contextlib.contextmanager
def dbt_console(debug: Callable[[str], None]) -> Iterator[None]:
    """Within the block, what is written to standard output goes through ``DbtConsole``."""
    console = DbtConsole(sys.stdout, debug)
    with contextlib.redirect_stdout(console):
        yield
    if console.pending.strip():
        console.out.write(console.pending + "\n")
