"""The chat page makes one session, even when the shopper speaks before the page's own request for one is answered.

The page asks for a session as it loads; a message sent before that answer arrived used to ask for a second one.
The turn then ran in one session and the page kept the other's id, so "not this" on a card of that turn went to a
session where no card had been shown, and the card vanished instead of being replaced (a flaky failure of
test_browser's shopping flow on a busy machine). Here the load's request is held back until the message's turn
is on screen, which makes that order certain.
"""

from __future__ import annotations

from conftest import chromium


def test_a_message_sent_while_the_page_makes_its_session_uses_that_session(test_server):
    srv = test_server()
    gen = chromium()
    browser = next(gen)
    try:
        context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="en-US")
        context.set_default_timeout(120_000)  # a bound for failures on a busy machine, not a speed requirement
        held = []
        made = []

        def sessions(route):
            if route.request.method != "POST":
                route.continue_()
                return
            made.append(route.request.post_data)
            if not held:  # the page's own request at load: answered only later
                held.append(route)
            else:
                route.continue_()

        context.route("**/v1/sessions", sessions)
        page = context.new_page()
        page.goto(srv.base + "/")
        page.wait_for_selector(".msg.bot")
        for _ in range(600):  # the load's request for a session reaches the route (it is made as the page starts)
            if held:
                break
            page.wait_for_timeout(50)
        assert len(held) == 1

        page.fill("#message", "show me some t-shirts please")
        page.press("#message", "Enter")
        page.wait_for_timeout(1000)  # room for the message to ask for a session of its own (it must not)
        held[0].continue_()
        page.wait_for_function("() => !document.querySelector('#send').disabled && "
                               "document.querySelectorAll('.cards .card').length >= 2")
        shown = page.eval_on_selector_all(".cards:last-of-type .card", "cs => cs.map(c => c.dataset.id)")

        page.query_selector(".cards:last-of-type .card [data-act=reject]").click()
        page.wait_for_function(f"() => {{ const c = document.querySelector('.cards:last-of-type .card');"
                               f" return c && c.dataset.id !== {shown[0]!r}; }}")
        after = page.eval_on_selector_all(".cards:last-of-type .card", "cs => cs.map(c => c.dataset.id)")
        assert len(made) == 1, made
        assert after[0] not in shown and after[1:] == shown[1:], (shown, after)  # replaced in place, not dropped
        context.close()
    finally:
        next(gen, None)
