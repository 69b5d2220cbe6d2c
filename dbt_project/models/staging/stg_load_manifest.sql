select
    load_id,
    file_path,
    file_name,
    sha256,
    vendor_id,
    feed,
    rows,
    status,
    reason,
    warnings,
    file_mtime,
    processed_at
from {{ source('raw', 'load_manifest') }}
