"""The runtime every service shares, with no SOP in it: settings, errors, structured logs, the
database (tables, migrations, retention), the RabbitMQ topology, the worker loop (`worker/`), the
worker's metrics and dead letters. (The runner that starts and supervises services knows them,
so it sits above them: `services/runner.py`.)"""
