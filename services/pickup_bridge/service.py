"""Pickup bridge: questions about issued documents go to the document-pickup desk (SOP step 7)."""

from services.bridge import bridge_spec
from shared.sop.contracts import Role

SPEC = bridge_spec(Role.pickup, metrics_port=9104)
