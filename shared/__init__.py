"""BAMSOS's common code, one subpackage per layer; a change belongs in exactly one of them.

- `runtime/`: what every service runs on (settings, the worker loop, topology, storage, metrics);
  it knows nothing of the SOP.
- `sop/`: the SOP's domain: the message contract, the rules, the control card, the org chart, the
  office calendar and the classification of inquiries.
- `staff/`: what an officer does (see the queue, take a case, answer, escalate, finish) and the
  terminal front end for it.
- `laporan/`: the monthly report, in PDF, XLSX and CSV.
- `devtools/`: the demo, the benchmark, the chaos run and their simulated staff and feeds; never
  imported by the product (its commands join `bamsos` as entry-point plugins).

Nothing here imports `services/`, which sits on top (the catalog, the runner, the `bamsos` command,
the generators of deploy/); `lint-imports` (pyproject.toml) checks the arrows.
"""
