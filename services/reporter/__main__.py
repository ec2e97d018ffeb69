"""`python -m services.reporter`: run the reporter service (same as `bamsos run reporter`)."""

from shared.runner import main

main("reporter")
