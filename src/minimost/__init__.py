"""MiniMost: self-hosted team chat for private networks.

Serve it with ``minimost`` or
``hypercorn "minimost:create_app()" --config python:minimost.hypercorn_config``.
"""

from .app import create_app

__all__ = ["create_app"]
