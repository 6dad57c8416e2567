"""Reading the server-rendered pages: the chat client's configuration block."""

from __future__ import annotations

import re

CONFIG = re.compile(r'<script type="application/json" id="chat-config">(.*?)</script>', re.S)
