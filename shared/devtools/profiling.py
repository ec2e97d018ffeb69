"""`bamsos bench --profile DIR`: where each service's time goes during the flood, as text.

py-spy samples every service process (wall-clock, idle included, so waiting on PostgreSQL or the
broker shows), and the samples are folded into one table per service: the share of the main
thread's samples spent in each of our functions and in the few library calls that matter (a
statement's round trip, the AMQP commit, decoding, encoding). The metrics thread is left out.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

# Library frames worth naming, by what they cost us.
LIBRARY = {
    "do_execute": "PostgreSQL statement (round trip included)",
    "do_executemany": "PostgreSQL executemany (round trip included)",
    "do_commit": "PostgreSQL commit",
    "tx_commit": "AMQP tx.commit",
    "basic_publish": "AMQP publish",
    "basic_ack": "AMQP ack",
    "process_data_events": "AMQP waiting for / reading deliveries",
    "validate_python": "pydantic validation",
    "to_json": "pydantic JSON encoding",
    "loads": "json.loads",
}
OURS = ("shared/", "services/")


def start(pid: int, out: Path, rate: int = 200) -> subprocess.Popen[bytes]:
    """Start sampling process `pid` into `out` (py-spy's raw, folded format) until `stop`."""
    # Installed with the dev extra, beside this Python (its venv's bin need not be on PATH).
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if spy is None:
        raise RuntimeError("py-spy is not installed: pip install -e '.[dev]'")
    command = [spy, "record", "--pid", str(pid), "--rate", str(rate), "--idle", "--nonblocking"]
    command += ["--format", "raw", "--output", str(out)]
    out.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(spy: subprocess.Popen[bytes]) -> None:
    """py-spy writes its file when interrupted."""
    spy.send_signal(signal.SIGINT)
    spy.wait(60)


def summarize(folded: str, service: str, top: int = 30) -> str:
    """A text table of the main thread's samples: inclusive share per function, largest first."""
    shares: Counter[str] = Counter()
    total = 0
    for line in folded.splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit() or "runner.py" not in stack:
            continue  # not the main thread (the metrics server's, say)
        samples = int(count)
        total += samples
        for name in {_name(frame) for frame in stack.split(";")} - {None}:
            shares[name] += samples  # type: ignore[index]
    lines = [f"{service}: {total} samples of the main thread (wall clock, waits included)"]
    for name, samples in shares.most_common(top):
        lines.append(f"  {100 * samples / total:5.1f}%  {name}")
    return "\n".join(lines)


def _name(frame: str) -> str | None:
    """`function (path:line)` as `path:function` for our code, a label for the library calls we
    track, None for the rest (it is counted in what calls it)."""
    function, _, where = frame.partition(" (")
    path = where.rsplit(":", 1)[0]
    if path.startswith(OURS) and function not in {"<lambda>", "<module>"}:
        return f"{path}:{function}"
    return LIBRARY.get(function)
