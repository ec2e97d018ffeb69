"""`python -m services.reporter`: run the reporter service (same as `bamsos run reporter`)."""

from shared.runtime.runner import main

main("reporter")
