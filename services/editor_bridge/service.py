"""Editor bridge: cases of data-entry errors go to the data-editing unit (SOP step 5)."""

from services.bridge import bridge_spec
from shared.sop.contracts import Role

SPEC = bridge_spec(Role.editor, metrics_port=9103)
