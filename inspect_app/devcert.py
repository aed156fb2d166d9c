"""A self-signed certificate for a trial on the office network (phones need HTTPS for location)."""
from __future__ import annotations

from pathlib import Path


def self_signed_context(instance_path: str, host: str) -> tuple[str, str]:
    from werkzeug.serving import make_ssl_devcert

    base = Path(instance_path) / "devcert"
    crt, key = base.with_suffix(".crt"), base.with_suffix(".key")
    if not (crt.exists() and key.exists()):
        make_ssl_devcert(str(base), host="*" if host in ("0.0.0.0", "::") else host)
    return str(crt), str(key)
