"""`python -m services.intake`: run the intake service (same as `bamsos run intake`)."""

from services.runner import main

main("intake")
