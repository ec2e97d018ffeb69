"""`python -m services.reporter`: run the reporter service (same as `bamsos run reporter`)."""

from services.runner import main

main("reporter")
