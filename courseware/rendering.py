"""Lesson and prompt Markdown to safe HTML.

Markdown is parsed with markdown-it-py (CommonMark plus tables, ``$math$``,
front matter and ``::: details`` blocks), code is highlighted by Pygments on the
server, and the result is cleaned by nh3 with an explicit allow-list, so
author text can never put a script on a student's page. Math stays TeX inside
``span.math.inline`` / ``div.math.block`` elements; KaTeX renders it in the browser.
"""

import html
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
    "th": {"style", "scope"},
    "td": {"style"},
    "details": {"open"},
}
URL_SCHEMES = {"http", "https", "mailto"}
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


def sanitize(untrusted_html: str) -> str:
    """HTML with everything outside the allow-list removed (scripts, handlers, styles)."""
    return nh3.clean(
        untrusted_html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        filter_style_properties={"text-align"},
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
