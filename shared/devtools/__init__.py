"""Development tools, not the production runtime: `bamsos demo` (the demo feed and simulated staff
and chat connector), `bamsos bench` (the benchmark and its reference chains), `bamsos chaos` (the
fault-injection run, which restarts this host's servers), the throwaway vhosts and databases they run
in, the local Prometheus behind the dashboard picture, and the polling helper the tests share."""
