"""The profile summary: shares of the main thread's samples, by our function and by library call."""

from __future__ import annotations

from shared.devtools.profiling import summarize

MAIN = "main (shared/runtime/runner.py:80);_fast (shared/runtime/worker/batch.py:105)"
FOLDED = "\n".join(
    [
        f"{MAIN};apply_result (services/router/service.py:90);do_execute (sqlalchemy/engine/default.py:1) 60",
        f"{MAIN};apply_result (services/router/service.py:95);to_json (pydantic/main.py:1) 20",
        f"{MAIN};write_all (shared/runtime/worker/writes.py:70) 20",
        "serve_forever (socketserver.py:1);select (selectors.py:1) 500",  # the metrics thread
    ]
)


def test_shares_are_of_the_main_thread_and_name_our_functions_and_the_costly_calls() -> None:
    lines = summarize(FOLDED, "router").splitlines()
    assert lines[0] == "router: 100 samples of the main thread (wall clock, waits included)"
    shares = {line.split("%  ")[1]: float(line.split("%")[0]) for line in lines[1:]}
    assert shares["shared/runtime/worker/batch.py:_fast"] == 100.0
    assert shares["services/router/service.py:apply_result"] == 80.0, "two lines of one function, merged"
    assert shares["PostgreSQL statement (round trip included)"] == 60.0
    assert shares["pydantic JSON encoding"] == 20.0
    assert "serve_forever" not in "\n".join(lines)
