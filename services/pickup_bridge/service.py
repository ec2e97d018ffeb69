"""Pickup bridge: questions about issued documents go to the document-pickup desk (SOP step 7)."""

from shared.bridge import bridge_spec
from shared.contracts import Role

SPEC = bridge_spec(Role.pickup)
