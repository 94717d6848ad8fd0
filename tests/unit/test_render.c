/*
 * test_render.c -- Markdown answers as HTML: the blocks the notes use,
 * code that stays escaped and spaced, raw HTML and script links that never
 * come out live, and every shipped answer rendering cleanly.
 *
 * Most tests render one small Markdown text with render() and look for a
 * substring of the HTML, so that each expectation is visible in the test.
 * The last test loads content/ itself and runs from the repository root.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "wenda/content.h"
#include "wenda/render.h"

#define CONTENT_DIR "content"

/* Renders the NUL-terminated md, failing the test on error; the caller
 * frees the result. */
static char *
render(const char *md)
{
    char *html = NULL;
    size_t len = 0;
    enum wenda_err rc = wenda_render_markdown(md, strlen(md), &html, &len);

    cr_assert_eq(rc, WENDA_OK, "rendering failed: %d", (int)rc);
    cr_assert_not_null(html);
    cr_assert_eq(len, strlen(html), "html_len is not the string's length");
    return html;
}

/* Asserts that the HTML of md contains want. */
static void
assert_renders_with(const char *md, const char *want)
{
    char *html = render(md);

    cr_assert(strstr(html, want) != NULL, "%s\ngave\n%s\nwithout %s", md,
              html, want);
    free(html);
}

/* Counts the occurrences of needle in hay. */
static size_t
count(const char *hay, const char *needle)
{
    size_t n = 0, k = strlen(needle);
    const char *p = hay;

    while ((p = strstr(p, needle)) != NULL) {
        n++;
        p += k;
    }
    return n;
}

Test(render, wraps_paragraphs_in_p)
{
    char *html = render("第一段。\n\n第二段。\n");

    cr_assert_str_eq(html, "<p>第一段。</p>\n<p>第二段。</p>\n");
    free(html);
}

Test(render, renders_numbered_and_bulleted_lists)
{
    char *html = render("1. 一\n2. 二\n\n- 甲\n- 乙\n");

    cr_assert_str_eq(html, "<ol>\n<li>一</li>\n<li>二</li>\n</ol>\n"
                           "<ul>\n<li>甲</li>\n<li>乙</li>\n</ul>\n");
    free(html);
}

Test(render, renders_atx_headings)
{
    assert_renders_with("### 优点\n\n- 快\n", "<h3>优点</h3>");
}

Test(render, escapes_code_block_content_inside_pre_code)
{
    char *html = render("```\nif (a < b && c > d) {}\n```\n");

    cr_assert_str_eq(html, "<pre><code>if (a &lt; b &amp;&amp; c &gt; d) "
                           "{}\n</code></pre>\n");
    free(html);
}

Test(render, keeps_the_spaces_of_the_encoding_table)
{
    assert_renders_with(
        "```\n"
        "ascii     ---->  GBK       ---->  Unicode\n"
        "(1 字节)         (2 字节)         (4 字节)\n"
        "```\n",
        "<pre><code>ascii     ----&gt;  GBK       ----&gt;  Unicode\n"
        "(1 字节)         (2 字节)         (4 字节)\n"
        "</code></pre>");
}

Test(render, omits_raw_html_blocks_and_inline_tags)
{
    char *html = render("<script>alert(1)</script>\n\n"
                        "看图 <img src=x onerror=alert(1)> 吧\n\n"
                        "<div onclick=\"x()\">块</div>\n");

    cr_assert_null(strstr(html, "<script"), "%s", html);
    cr_assert_null(strstr(html, "onerror="), "%s", html);
    cr_assert_null(strstr(html, "<img"), "%s", html);
    cr_assert_null(strstr(html, "onclick"), "%s", html);
    cr_assert(strstr(html, "<!-- raw HTML omitted -->") != NULL, "%s", html);
    cr_assert(strstr(html, "看图") != NULL, "%s", html);
    free(html);
}

Test(render, drops_javascript_link_destinations)
{
    char *html = render("[x](javascript:alert(1)) and "
                        "[y](JavaScript:alert(2)) and ![z](vbscript:a)\n");

    cr_assert_null(strcasestr(html, "javascript:"), "%s", html);
    cr_assert_null(strcasestr(html, "vbscript:"), "%s", html);
    cr_assert(strstr(html, "<a href=\"\">x</a>") != NULL, "%s", html);
    free(html);
}

Test(render, keeps_ordinary_links)
{
    assert_renders_with("[文档](https://example.com/a?b=1&c=2)\n",
                        "<a href=\"https://example.com/a?b=1&amp;c=2\">"
                        "文档</a>");
}

Test(render, keeps_quotes_and_dashes_as_written)
{
    assert_renders_with("他说 \"好\" -- 'ok' ---\n",
                        "<p>他说 &quot;好&quot; -- 'ok' ---</p>");
}

Test(render, passes_chinese_text_through_unchanged)
{
    assert_renders_with("进程是资源分配的最小单位，线程是 CPU 调度的最小单位。\n",
                        "<p>进程是资源分配的最小单位，线程是 CPU "
                        "调度的最小单位。</p>");
}

Test(render, replaces_invalid_utf8)
{
    static const char md[] = "a\xff"
                             "b\n";
    char *html = NULL;

    cr_assert_eq(wenda_render_markdown(md, sizeof(md) - 1, &html, NULL),
                 WENDA_OK);
    cr_assert_str_eq(html, "<p>a\xef\xbf\xbd"
                           "b</p>\n");
    free(html);
}

Test(render, reads_only_len_bytes)
{
    char *html = NULL;
    size_t len = 0;

    cr_assert_eq(wenda_render_markdown("*a* tail", 3, &html, &len), WENDA_OK);
    cr_assert_str_eq(html, "<p><em>a</em></p>\n");
    cr_assert_eq(len, strlen(html));
    free(html);
}

Test(render, renders_empty_input_as_empty_string)
{
    char *html = NULL;
    size_t len = 1;

    cr_assert_eq(wenda_render_markdown("", 0, &html, &len), WENDA_OK);
    cr_assert_str_eq(html, "");
    cr_assert_eq(len, 0);
    free(html);
}

Test(render, rejects_null_arguments)
{
    char buf[] = "untouched";
    char *html = buf;
    size_t len = 7;

    cr_assert_eq(wenda_render_markdown(NULL, 0, &html, &len),
                 WENDA_ERR_INVALID);
    cr_assert_null(html);
    cr_assert_eq(len, 0);
    cr_assert_eq(wenda_render_markdown("a", 1, NULL, &len), WENDA_ERR_INVALID);
}

Test(render, renders_every_shipped_answer)
{
    struct wenda_content c;
    size_t i, code_blocks = 0;

    cr_assert_eq(wenda_content_load(CONTENT_DIR, &c, NULL, NULL), WENDA_OK,
                 "content/ does not load");
    cr_assert_eq(c.ntopics, 64);
    for (i = 0; i < c.ntopics; i++) {
        const struct wenda_topic *t = &c.topics[i];
        char *html = NULL;
        size_t len = 0;
        enum wenda_err rc =
            wenda_render_markdown(t->answer, strlen(t->answer), &html, &len);

        cr_assert_eq(rc, WENDA_OK, "%s: rendering failed", t->slug);
        cr_assert_gt(len, 0, "%s: empty HTML", t->slug);
        cr_assert_eq(count(html, "<pre>"), count(html, "</pre>"),
                     "%s: unbalanced <pre>:\n%s", t->slug, html);
        cr_assert_null(strstr(html, "<script"), "%s", t->slug);
        code_blocks += count(html, "<pre><code>");
        free(html);
    }
    cr_assert_geq(code_blocks, 3, "the notes' code blocks went missing");
    wenda_content_cleanup(&c);
}
