"""``python scripts/pip_progress.py LOG -- PIP-INSTALL-ARGS``: ``pip install`` with a short
progress report instead of pip's few hundred lines.

``make install`` runs it with the new virtual environment's Python. pip's whole output is added to
``LOG``; the terminal gets a line when pip moves on to another phase (resolving, building,
installing) and one at least every ``EVERY`` seconds with the packages seen so far,
then the outcome. When pip fails, the end of its output is printed, and the exit status is
pip's. Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

EVERY = 20.0
TAIL = 40
# pip's phases in order; collecting and downloading interleave, so a phase is announced
# only when pip reaches one later than the last announced
PHASES = (
    (re.compile(r"^Collecting "), "resolving"),
    (re.compile(r"^Building wheels? "), "building"),
    (re.compile(r"^Installing collected packages"), "installing"),
)
SUCCESS = re.compile(r"^Successfully installed (.*)$")


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print(__doc__.split("\n\n")[0], file=sys.stderr)
        return 2
    log_path, pip_args = Path(argv[0]), argv[2:]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "install", "--progress-bar", "off", *pip_args]
    started = last = time.monotonic()
    phase, collected, installed = -1, 0, None
    print(f"  pip install {' '.join(pip_args)} (pip's output: {log_path})", flush=True)
    with log_path.open("a", encoding="utf-8") as log:
        log.write(f"$ {' '.join(command)}\n")
        log.flush()
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
        )
        assert process.stdout is not None
        for line in process.stdout:
            log.write(line)
            if line.startswith("Collecting "):
                collected += 1
            if match := SUCCESS.match(line):
                installed = len(match.group(1).split())
            now = time.monotonic()
            reached = next((i for i, (pattern, _) in enumerate(PHASES) if pattern.match(line)), -1)
            if reached > phase or (phase >= 0 and now - last >= EVERY):
                phase, last = max(phase, reached), now
                print(
                    f"  {PHASES[phase][1]}: {collected} packages seen, {now - started:.0f} s",
                    flush=True,
                )
        code = process.wait()
    seconds = time.monotonic() - started
    if code != 0:
        lines = log_path.read_text(encoding="utf-8").splitlines()  # pip's, at the end
        print("\n".join(lines[-TAIL:]), file=sys.stderr)
        print(f"  pip failed (exit {code}) after {seconds:.0f} s; all of it: {log_path}")
        return code
    outcome = f"{installed} packages installed" if installed else "nothing to install"
    print(f"  done: {outcome} in {seconds:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
