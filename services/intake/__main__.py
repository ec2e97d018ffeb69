"""`python -m services.intake`: run the intake service (same as `bamsos run intake`)."""

from shared.runner import main

main("intake")
