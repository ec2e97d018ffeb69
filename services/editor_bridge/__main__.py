"""`python -m services.editor_bridge`: run the editor_bridge service (same as `bamsos run editor_bridge`)."""

from services.runner import main

main("editor_bridge")
