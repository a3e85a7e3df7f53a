"""The Telegram mock's check of parse_mode=HTML text, against Telegram's own wording."""

from mocks.telegram.html_check import html_error


def test_telegram_html_check_accepts_what_telegram_accepts() -> None:
    for good in [
        "plain",
        "a &lt; b &amp;&amp; c &gt; d &quot;q&quot; &#33; &#x21;",
        "<b>x</b> <i>y<code>z</code></i>",
        "",
    ]:
        assert html_error(good) is None, good
    assert html_error('<a href="https://t.me">link</a> <pre>x</pre>') is None


def test_telegram_html_check_refuses_with_telegram_wording_and_byte_offsets() -> None:
    assert html_error("é <x>") == 'can\'t parse entities: Unsupported start tag "x" at byte offset 3'
    assert html_error("1 < 2") == "can't parse entities: Unsupported start tag at byte offset 2"
    assert html_error("fish & chips") == "can't parse entities: Can't find end of the entity starting at byte offset 5"
    assert html_error("&nbsp;") == "can't parse entities: Can't find end of the entity starting at byte offset 0"
    assert html_error("<b>open") == "can't parse entities: Can't find end tag corresponding to start tag \"b\""
    assert html_error("<b><i>x</b></i>") == "can't parse entities: Unexpected end tag at byte offset 7"
