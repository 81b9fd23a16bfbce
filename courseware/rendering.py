"""Lesson and prompt Markdown to safe HTML.

Markdown is parsed with markdown-it-py (CommonMark plus tables, ``$math$``,
front matter and ``::: details`` blocks), code is highlighted by Pygments on the
server, and the result is cleaned by nh3 with an explicit allow-list, so
author text can never put a script on a student's page. Math stays TeX inside
``span.math.inline`` / ``div.math.block`` elements; KaTeX renders it in the browser.
"""

import html
import re
from functools import lru_cache

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.front_matter import front_matter_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
    "strong", "em", "b", "i", "s", "del", "sub", "sup", "small", "mark",
    "a", "img", "code", "pre", "kbd", "blockquote",
    "ul", "ol", "li", "dl", "dt", "dd",
    "table", "thead", "tbody", "tr", "th", "td", "caption",
    "details", "summary", "figure", "figcaption", "span", "div", "aside",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "*": {"class", "id", "lang", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start"},
    "th": {"scope"},
    "details": {"open"},
}
# ``data`` only for images (``_attribute_filter`` drops it from links).
URL_SCHEMES = {"http", "https", "mailto", "data"}
# Images come from this site (a relative URL) or the text itself (data:), never
# from another server: an external image tells its owner who opened the page.
_INLINE_IMAGE = re.compile(r"^data:image/(png|gif|jpeg|webp);base64,", re.IGNORECASE)
# Author markup keeps only the classes of what Markdown itself makes (math,
# code, details, table alignment); the page's own classes, such as the
# grading badges (``status-badge status-correct``), cannot be imitated.
_AUTHOR_CLASSES = {"math", "inline", "block", "highlight", "collapsible"} | {
    name for name in STANDARD_TYPES.values() if name
}
_AUTHOR_CLASS_PATTERN = re.compile(r"^(language-[\w+#-]+|align-(left|right|center))$")
_TABLE_ALIGN = re.compile(r'<(th|td) style="text-align:(left|right|center)"')
# Lesson HTML is placed inside the page, so its ids get a prefix that cannot
# collide with (or hijack) the page's own ids.
ID_PREFIX = "lesson-"

_FORMATTER = HtmlFormatter(nowrap=True)


def highlight_code(code: str, language: str, attrs: str = "") -> str:
    """Code as a ``<pre><code>`` block with Pygments token classes.

    Examples
    ========
    >>> highlight_code("x = 1", "python").startswith('<pre class="highlight"')
    True
    """
    name = (language or "").split()[0] if language else ""
    try:
        lexer = get_lexer_by_name(name) if name else None
    except ClassNotFound:
        lexer = None
    body = highlight(code, lexer, _FORMATTER) if lexer else html.escape(code)
    css_class = f' class="language-{html.escape(name)}"' if name else ""
    return f'<pre class="highlight"><code{css_class}>{body}</code></pre>\n'


def _render_details(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    if token.nesting == 1:
        title = token.info.strip()[len("details") :].strip() or "More"
        return f'<details class="collapsible"><summary>{html.escape(title)}</summary>\n'
    return "</details>\n"


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "highlight": highlight_code})
    md.enable("table").enable("strikethrough")
    md.use(front_matter_plugin)
    md.use(dollarmath_plugin, allow_labels=False, allow_digits=False)
    md.use(container_plugin, name="details", render=_render_details)
    return md


_MD = _markdown()


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    """Drop external images, data: links and every class the page itself uses."""
    if tag == "img" and attribute == "src":
        return value if _is_local_image(value) else None
    if tag == "a" and attribute == "href" and value.lower().startswith("data:"):
        return None
    if tag == "a" and attribute == "href" and value.startswith("#") and len(value) > 1:
        return "#" + ID_PREFIX + value[1:]  # ids are prefixed: in-page links follow
    if attribute == "class":
        kept = [name for name in value.split() if _author_class(name)]
        return " ".join(kept) or None
    return value


def _is_local_image(src: str) -> bool:
    src = src.strip()
    if _INLINE_IMAGE.match(src):
        return True
    scheme_or_host = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*:|//|\\)", src)
    return bool(src) and scheme_or_host is None


def _author_class(name: str) -> bool:
    return name in _AUTHOR_CLASSES or bool(_AUTHOR_CLASS_PATTERN.match(name))


def sanitize(untrusted_html: str) -> str:
    """HTML with everything outside the allow-list removed.

    Gone: scripts, handlers, inline styles (the Content-Security-Policy would
    refuse them anyway), images from other servers, and classes that would
    make author text look like the page's own feedback.
    """
    aligned = _TABLE_ALIGN.sub(r'<\1 class="align-\2"', untrusted_html)
    return nh3.clean(
        aligned,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_attribute_filter,
        url_schemes=URL_SCHEMES,
        clean_content_tags={"script", "style"},
        id_prefix=ID_PREFIX,
        link_rel="noopener noreferrer",
    )


@lru_cache(maxsize=128)
def render_markdown(text: str) -> SafeString:
    """Markdown (with ``$math$``) to sanitised HTML, safe to put in a template.

    Examples
    ========
    >>> str(render_markdown("Hi <script>alert(1)</script>*there*"))
    '<p>Hi <em>there</em></p>\\n'
    >>> str(render_markdown("$x^2$"))
    '<p><span class="math inline">x^2</span></p>\\n'
    """
    return mark_safe(sanitize(_MD.render(text or "")))


def pygments_css() -> str:
    """The stylesheet for highlighted code (kept in ``static/css/pygments.css``)."""
    return HtmlFormatter(style="default").get_style_defs(".highlight")
