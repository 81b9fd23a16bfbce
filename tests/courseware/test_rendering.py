import pytest

from courseware.rendering import render_markdown, sanitize


def test_render_markdown_strips_script():
    html = str(render_markdown("Hello <script>alert('x')</script> **world**"))
    assert "<script" not in html
    assert "alert" not in html
    assert "<strong>world</strong>" in html


@pytest.mark.parametrize(
    "hostile",
    [
        '<img src="x" onerror="alert(1)">',
        '<a href="javascript:alert(1)">link</a>',
        '<div style="background:url(javascript:alert(1))">x</div>',
        "<iframe src='https://example.org'></iframe>",
        '<svg onload="alert(1)"></svg>',
        "[link](javascript:alert(1))",
    ],
)
def test_render_markdown_removes_hostile_html(hostile):
    html = str(render_markdown(hostile)).lower()
    assert 'href="javascript' not in html and 'src="javascript' not in html
    assert "onerror" not in html and "onload" not in html
    assert "<iframe" not in html and "<svg" not in html
    assert "style=" not in html


def test_render_markdown_keeps_math_as_tex_for_katex():
    html = str(
        render_markdown("If $x<y$ then\n\n$$\n\\frac{\\partial L}{\\partial x}\n$$\n")
    )
    assert '<span class="math inline">x&lt;y</span>' in html
    assert '<div class="math block">' in html
    assert "\\frac{\\partial L}{\\partial x}" in html


def test_render_markdown_highlights_code_with_pygments():
    html = str(render_markdown("```python\nloss.backward()\n```\n"))
    assert '<pre class="highlight"><code class="language-python">' in html
    assert '<span class="n">loss</span>' in html


def test_render_markdown_unknown_language_is_escaped_text():
    html = str(render_markdown("```nosuchlang\n<b>x</b>\n```\n"))
    assert "&lt;b&gt;x&lt;/b&gt;" in html


def test_render_markdown_details_block_is_collapsible():
    html = str(
        render_markdown("::: details For the advanced reader\nDeep *text*\n:::\n")
    )
    assert (
        '<details class="collapsible"><summary>For the advanced reader</summary>'
        in html
    )
    assert "<em>text</em>" in html


def test_render_markdown_keeps_raw_details_and_tables():
    text = "<details><summary>More</summary>\n\nInner\n</details>\n\n| a | b |\n|--:|---|\n| 1 | 2 |\n"
    html = str(render_markdown(text))
    assert "<details><summary>More</summary>" in html
    assert '<th class="align-right">a</th>' in html  # no inline style (CSP)


def test_render_markdown_skips_front_matter():
    html = str(render_markdown("---\ntitle: Secret front matter\n---\n# Heading\n"))
    assert "Secret front matter" not in html
    assert "<h1>Heading</h1>" in html


def test_sanitize_prefixes_ids_and_adds_rel():
    html = sanitize('<h2 id="main">x</h2><a href="https://example.org">e</a>')
    assert 'id="lesson-main"' in html
    assert 'rel="noopener noreferrer"' in html


def test_sanitize_in_page_links_follow_the_prefixed_ids():
    html = sanitize('<a href="#glossary">Full glossary</a><h2 id="glossary">G</h2>')
    assert 'href="#lesson-glossary"' in html and 'id="lesson-glossary"' in html


@pytest.mark.parametrize(
    "src",
    [
        "https://tracker.example/pixel.png?student=1",
        "http://tracker.example/p.gif",
        "//tracker.example/p.gif",
        " https://tracker.example/p.gif",
        "HTTPS://TRACKER.EXAMPLE/p.gif",
        "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=",
        "data:text/html;base64,PGgxPmhpPC9oMT4=",
    ],
)
def test_render_markdown_drops_images_from_other_servers(src):
    html = str(render_markdown(f'<img src="{src}" alt="graph">'))
    assert "tracker.example" not in html.lower()
    assert "src=" not in html


@pytest.mark.parametrize(
    "src", ["/static/img/graph.png", "graph.png", "data:image/png;base64,iVBORw0KGgo="]
)
def test_render_markdown_keeps_local_and_inline_images(src):
    html = str(render_markdown(f"![graph]({src})"))
    assert f'src="{src}"' in html


def test_render_markdown_strips_imitation_grading_badges():
    fake = (
        '<span class="status-badge status-correct">✓ correct</span>'
        '<p class="score">Attempt 1: score <strong>100%</strong></p>'
        '<div class="feedback-cell expected error">x</div>'
    )
    html = str(render_markdown(fake))
    assert "status-badge" not in html and "status-correct" not in html
    assert "class=" not in html  # the text stays, but unstyled: not a badge


def test_render_markdown_keeps_its_own_classes():
    html = str(render_markdown("$x$ and\n\n```python\nx = 1\n```"))
    assert 'class="math inline"' in html
    assert 'class="language-python"' in html and '<span class="n">x</span>' in html
