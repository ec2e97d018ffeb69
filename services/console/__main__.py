"""`python -m services.console`: run the console (same as `bamsos run console`)."""

from services.console.main import main

main()
