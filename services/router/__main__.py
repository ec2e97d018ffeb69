"""`python -m services.router`: run the router service (same as `bamsos run router`)."""

from shared.runner import main

main("router")
