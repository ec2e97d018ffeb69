"""Personal data under UU 27/2022 (Pelindungan Data Pribadi): what the console, the laporan and the
data-protection officer's commands share.

At the level of `shared/sop/`: it uses `shared/runtime/` (storage, retention, dead letters) and the
contract's channels, and `shared/staff/`, `shared/laporan/`, the services and the CLI use it.

- `masking`: NIK/KK, phone numbers and e-mail addresses masked in free text (a pure function);
- `access_log`: who looked at or exported whose data; append-only, hash-chained, accounts hashed;
- `subject`, `erasure`, `export_pdf`: a data subject's copy and erasure (`bamsos pdp ekspor|hapus`);
- `incident`: whose data an officer or an address saw (`bamsos pdp insiden`);
- `cli`, `cli_parts`, `requests_cli`: the `bamsos pdp` group.
"""

from shared.privacy.access_log import AccessLog, Account, Action
from shared.privacy.masking import mask_personal

__all__ = ["AccessLog", "Account", "Action", "mask_personal"]
