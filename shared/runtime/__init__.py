"""The runtime every service shares, with no SOP in it: settings, errors, structured logs, the
database (tables, migrations, retention), the RabbitMQ topology, the worker loop (`worker/`), the
worker's metrics, dead letters, and the runner that starts and supervises services."""
