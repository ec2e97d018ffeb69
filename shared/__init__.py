"""BAMSOS's common code, one subpackage per layer; a change belongs in exactly one of them.

- `runtime/`: what every service runs on (settings, the worker loop, topology, storage, metrics);
  it knows nothing of the SOP.
- `sop/`: the SOP's domain: the message contract, the rules, the control card, the org chart, the
  office calendar and the classification of inquiries.
- `staff/`: what an officer does (see the queue, take a case, answer, escalate, finish) and the
  terminal front end for it.
- `laporan/`: the monthly report, in PDF, XLSX and CSV.
- `generators/`: the code that writes the committed files under `deploy/` and `docs/contract/`.
- `devtools/`: the demo, the benchmark, the chaos run and their simulated staff and feeds; never
  part of a production service.
- `cli.py`: the `bamsos` command.
"""
