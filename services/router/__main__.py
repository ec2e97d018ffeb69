"""`python -m services.router`: run the router service (same as `bamsos run router`)."""

from shared.runtime.runner import main

main("router")
