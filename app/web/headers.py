"""Security headers for what the service renders itself: pages, API docs and charts."""

import base64
import hashlib


def source_hash(text: str) -> str:
    """A CSP source that allows exactly this inline script or style."""
    digest = hashlib.sha256(text.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def security_headers(*policy: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": "; ".join(policy),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }


# A chart opened on its own is a document: it may load and run nothing.
SVG_HEADERS = security_headers("default-src 'none'")
