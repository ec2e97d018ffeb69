"""`python -m services.gateway`: run the gateway (same as `bamsos run gateway`)."""

from services.gateway.main import main

main()
