"""`python -m services.pickup_bridge`: run the pickup_bridge service (same as `bamsos run pickup_bridge`)."""

from services.runner import main

main("pickup_bridge")
