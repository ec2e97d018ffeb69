"""`python -m services.router`: run the router service (same as `bamsos run router`)."""

from services.runner import main

main("router")
