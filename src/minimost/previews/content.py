"""What a fetched page or file shows in a preview card (payload shapes kept from 0.0.4)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

MAX_TITLE = 200
MAX_DESCRIPTION = 400
MAX_SITE_NAME = 100
MAX_CODE_LINES = 1000

TEXT_EXTENSIONS = frozenset(
    [
        "c",
        "cc",
        "cpp",
        "cxx",
        "h",
        "hpp",
        "py",
        "pyw",
        "js",
        "mjs",
        "cjs",
        "jsx",
        "ts",
        "tsx",
        "java",
        "kt",
        "scala",
        "rs",
        "go",
        "rb",
        "php",
        "pl",
        "lua",
        "sh",
        "bash",
        "zsh",
        "fish",
        "cmake",
        "mk",
        "make",
        "groovy",
        "gradle",
        "vhd",
        "vhdl",
        "v",
        "vh",
        "sv",
        "svh",
        "xml",
        "xsl",
        "xslt",
        "xsd",
        "svg",
        "html",
        "htm",
        "css",
        "scss",
        "sass",
        "less",
        "json",
        "yaml",
        "yml",
        "toml",
        "ini",
        "cfg",
        "conf",
        "txt",
        "md",
        "rst",
        "csv",
        "sql",
        "r",
        "swift",
        "m",
        "ex",
        "exs",
        "erl",
        "tf",
        "hcl",
        "proto",
    ]
)
TEXT_FILENAMES = frozenset(
    [
        "dockerfile",
        "makefile",
        "gnumakefile",
        "cmakelists.txt",
        "gemfile",
        "rakefile",
        "vagrantfile",
        "procfile",
        "brewfile",
        ".env",
        "requirements.txt",
    ]
)
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
TEXT_APPLICATION_TYPES = frozenset(
    {
        "application/json",
        "application/xml",
        "application/javascript",
        "application/x-javascript",
        "application/x-sh",
        "application/x-shellscript",
        "application/toml",
        "application/yaml",
        "application/x-yaml",
        "application/sql",
    }
)


def is_text_filename(name: str) -> bool:
    """Source and text files the browser shows as code (by extension or well-known name)."""
    name = name.lower()
    extension = name.rsplit(".", 1)[-1] if "." in name else ""
    return extension in TEXT_EXTENSIONS or name in TEXT_FILENAMES or name.startswith("jenkinsfile")


def is_textual(media_type: str, filename: str) -> bool:
    """Whether a response of this type, for this file name, is text worth showing as code."""
    if media_type in HTML_TYPES:
        return False
    if media_type.startswith("text/") or media_type in TEXT_APPLICATION_TYPES:
        return True
    return media_type in ("application/octet-stream", "") and is_text_filename(filename)


def decode_text(body: bytes, charset: str | None) -> str | None:
    """The body as text, or None if it looks binary."""
    if b"\x00" in body:
        return None
    try:
        return body.decode(charset or "utf-8", errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def code_preview(
    text: str,
    filepath: str,
    url: str,
    line_start: int | None = None,
    line_end: int | None = None,
) -> dict[str, Any]:
    """The first lines of a file, or a window around the highlighted ones."""
    lines = text.splitlines()
    filename = filepath.rsplit("/", 1)[-1]
    first = max(0, line_start - 1 - MAX_CODE_LINES // 2) if line_start is not None else 0
    snippet = lines[first : first + MAX_CODE_LINES]
    return {
        "type": "code",
        "filename": filename,
        "filepath": filepath,
        "language": filename.rsplit(".", 1)[-1].lower() if "." in filename else "",
        "first_line_num": first + 1,
        "highlight_start": line_start,
        "highlight_end": line_end,
        "code": "\n".join(snippet),
        "total_lines": len(lines),
        "url": url,
    }


@dataclass
class PageMeta:
    """Metadata from a page's head; the first value seen for each source wins."""

    properties: dict[str, str] = field(default_factory=dict)
    title_text: str = ""

    def first(self, *names: str) -> str:
        for name in names:
            value = " ".join(self.properties.get(name, "").split())
            if value:
                return value
        return ""

    @property
    def title(self) -> str:
        return self.first("og:title", "twitter:title") or " ".join(self.title_text.split())

    @property
    def description(self) -> str:
        return self.first("og:description", "twitter:description", "description")

    @property
    def image(self) -> str:
        return self.first(
            "og:image:secure_url", "og:image", "og:image:url", "twitter:image", "twitter:image:src"
        )

    @property
    def site_name(self) -> str:
        return self.first("og:site_name", "application-name")


class _HeadParser(HTMLParser):
    """Collects ``<meta>`` and ``<title>`` until the body starts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta = PageMeta()
        self._in_title = False
        self._title_parts: list[str] = []
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        if tag == "body":
            self.done = True
        elif tag == "meta":
            values = {name.lower(): value or "" for name, value in attrs}
            key = (values.get("property") or values.get("name") or "").strip().lower()
            if key and "content" in values:
                self.meta.properties.setdefault(key, values["content"])
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self._in_title:
            self._in_title = False
            if not self.meta.title_text:
                self.meta.title_text = "".join(self._title_parts)
        elif tag == "head":
            self.done = True

    def handle_data(self, data: str) -> None:
        if self._in_title and not self.done:
            self._title_parts.append(data)

    def result(self) -> PageMeta:
        """What was found, keeping a title cut off by the size limit."""
        if self._in_title and not self.meta.title_text:
            self.meta.title_text = "".join(self._title_parts)
        return self.meta


def page_meta(html: str) -> PageMeta:
    parser = _HeadParser()
    parser.feed(html)
    return parser.result()


def og_preview(meta: PageMeta, url: str, image_path: str) -> dict[str, Any] | None:
    """The card for an HTML page, or None when it has no title to show."""
    title = meta.title
    if not title:
        return None
    parts = urlsplit(url)
    domain = parts.hostname or ""
    if parts.port is not None:
        domain = f"{domain}:{parts.port}"
    return {
        "type": "og",
        "title": title[:MAX_TITLE],
        "description": meta.description[:MAX_DESCRIPTION],
        "site_name": meta.site_name[:MAX_SITE_NAME],
        "image": image_path,
        "domain": domain,
        "url": url,
    }


# Code hosts whose browse pages have a raw-file API: the preview shows the file itself.
@dataclass(frozen=True)
class RawSource:
    api_url: str
    filepath: str
    line_start: int | None
    line_end: int | None


BITBUCKET_CLOUD_HOSTS = ("bitbucket.org", "www.bitbucket.org")
CLOUD_LINES = re.compile(r"lines-(\d+)(?::(\d+))?$")
SERVER_LINES = re.compile(r"(\d+)(?:-(\d+))?$")


def _lines(pattern: re.Pattern[str], fragment: str) -> tuple[int | None, int | None]:
    found = pattern.match(fragment)
    if not found:
        return None, None
    start = int(found.group(1))
    return start, int(found.group(2)) if found.group(2) else start


def raw_source(url: str) -> RawSource | None:
    """Bitbucket Cloud ``/<ws>/<repo>/src/<ref>/<path>`` and Server ``/projects/…/browse/…``."""
    parts = urlsplit(url)
    segments = parts.path.lstrip("/").split("/")
    host = (parts.hostname or "").lower()
    if host in BITBUCKET_CLOUD_HOSTS:
        if len(segments) < 5 or segments[2] != "src" or not all(segments[:5]):
            return None
        workspace, repo, _, ref = segments[:4]
        filepath = "/".join(segments[4:])
        start, end = _lines(CLOUD_LINES, parts.fragment)
        api = f"https://api.bitbucket.org/2.0/repositories/{workspace}/{repo}/src/{ref}/{filepath}"
        return RawSource(api, filepath, start, end)
    if (
        len(segments) >= 6
        and segments[0] == "projects"
        and segments[2] == "repos"
        and segments[4] == "browse"
        and segments[5]
    ):
        project, repo = segments[1], segments[3]
        filepath = "/".join(segments[5:])
        start, end = _lines(SERVER_LINES, parts.fragment)
        base = f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"
        api = f"{base}/rest/api/1.0/projects/{project}/repos/{repo}/raw/{filepath}"
        return RawSource(api, filepath, start, end)
    return None
