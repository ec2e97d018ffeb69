"""`python -m services.intake`: run the intake service (same as `bamsos run intake`)."""

from shared.runtime.runner import main

main("intake")
