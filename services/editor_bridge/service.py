"""Editor bridge: cases of data-entry errors go to the data-editing unit (SOP step 5)."""

from shared.bridge import bridge_spec
from shared.contracts import Role

SPEC = bridge_spec(Role.editor)
