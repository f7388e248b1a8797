"""The web chat page (issue 17, section 4) in Debian's Chromium driven by Playwright, at a desktop and a phone size,
against a real server (uvicorn, real sockets and streaming) over the demo catalog's videos with the n-gram test
encoder.

One server and one browser for the module; each test opens a fresh browser context (its own storage). Screenshots
go to $VIDREC_TEST_ARTIFACTS (CI keeps that folder), else to a pytest temporary folder.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from conftest import ServerProcess, chromium, free_port, server_env

pytestmark = pytest.mark.slow

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
TIMEOUT_MS = 60_000  # a bound for failures on a busy machine, not a speed requirement


@pytest.fixture(scope="module")
def browser():
    yield from chromium("--autoplay-policy=no-user-gesture-required")


@pytest.fixture(scope="module")
def page_server(built_store, tmp_path_factory):
    """The test app over a copy of the built store, in which every item also has a line of on-screen text (the
    built store has shots, speech only where the demo has narration, and no OCR) and a spoken line where it had
    none, so every detail view has all three kinds of evidence."""
    from vidrec.store import Store

    root = tmp_path_factory.mktemp("page")
    store_dir = root / "store"
    shutil.copytree(built_store, store_dir, ignore=shutil.ignore_patterns("write.lock", "thumbnails", ".server*"))
    store = Store.open(store_dir)
    try:
        for item in list(store.metadata.items()):
            profile = item["profile"]
            last = profile["shots"][-1]
            if not any(line["text"].strip() for line in profile["transcript"]):
                profile["transcript"] = [{"start": 0.5, "end": last["start"], "text": f"This is {item['title']}.",
                                          "lang": "en"}]
            profile["ocr"] = [{"start": last["start"], "end": last["end"], "text": f"SALE {item['price']:.0f}"}]
            facets = {k: item[k] for k in ("category", "colors", "price", "brand", "gender")
                      if item.get(k) is not None}
            store.metadata.upsert_item(item["id"], item["content_hash"], item["video_path"], profile,
                                       {**facets, "title": item["title"]})
    finally:
        store.close()
    port = free_port()
    srv = ServerProcess([sys.executable, str(Path(__file__).parent / "serve_test_app.py"), str(store_dir), str(port)],
                        server_env(), port, root / "server.log")
    srv.wait_ready(60)
    srv.store = store_dir
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> Path:
    folder = os.environ.get("VIDREC_TEST_ARTIFACTS")
    path = Path(folder) / "page" if folder else tmp_path_factory.mktemp("page-artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(params=list(SIZES))
def page(request, browser, page_server, artifacts):
    """A fresh page (own storage) at the size of the parameter, with a screenshot helper and a request log."""
    size = request.param
    context = browser.new_context(viewport=SIZES[size], locale="zh-CN", is_mobile=size == "phone",
                                  has_touch=size == "phone")
    context.set_default_timeout(TIMEOUT_MS)
    pg = context.new_page()
    pg.errors = []
    pg.requests = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("console", lambda m: pg.errors.append(m.text) if "Content Security Policy" in m.text else None)
    pg.on("request", lambda r: pg.requests.append((r.method, r.url, r.post_data)))
    name = request.node.name.split("[")[0].removeprefix("test_")
    pg.shoot = lambda step: pg.screenshot(path=str(artifacts / f"{size}-{name}-{step}.png"))
    pg.size = size
    pg.goto(page_server.base + "/")
    pg.wait_for_selector(".msg.bot")
    pg.wait_for_function("() => !!localStorage.getItem('vidrec.session')")
    yield pg
    assert not pg.errors, pg.errors
    context.close()


def replies(page) -> int:
    return page.evaluate("() => document.querySelectorAll('.msg.bot:not(.pending), .msg.error').length")


def say(page, text: str) -> None:
    """Type a message and wait for its reply (or error) to be complete."""
    before = replies(page)
    page.fill("#message", text)
    page.press("#message", "Enter")
    page.wait_for_function(f"() => !document.querySelector('#send').disabled && "
                           f"document.querySelectorAll('.msg.bot:not(.pending), .msg.error').length > {before}")


def tap(page, selector: str) -> None:
    before = replies(page)
    page.click(selector)
    page.wait_for_function(f"() => !document.querySelector('#send').disabled && "
                           f"document.querySelectorAll('.msg.bot:not(.pending), .msg.error').length > {before}")


# The cards of the last turn: its matches, then the close matches under their own heading (if any).
LAST_TURN = ("(() => { const groups = [...document.querySelectorAll('#log > .cards')]; const last = groups.pop();"
             " if (!last) return []; const turn = [last];"
             " const before = last.previousElementSibling && last.previousElementSibling.previousElementSibling;"
             " if (last.classList.contains('close-matches') && before && before.matches('.cards:not(.close-matches)'))"
             " turn.unshift(before);"
             " return turn.flatMap(g => [...g.querySelectorAll('.card')]); })()")


def card_part(page, index: int, part: str) -> str:
    """A selector for one part of the last turn's index-th card (0-based, close matches after the matches)."""
    page.evaluate(f"() => {{ document.querySelectorAll('[data-test-target]').forEach(e => e.removeAttribute("
                  f"'data-test-target')); {LAST_TURN}[{index}].querySelector({json.dumps(part)})"
                  ".setAttribute('data-test-target', '1'); }")
    return "[data-test-target]"


def last_cards(page) -> list[dict]:
    return page.evaluate(
        f"() => {LAST_TURN}.map(c => ({{id: c.dataset.id, start: Number(c.dataset.start), pos: Number(c.dataset.pos),"
        " title: c.querySelector('.title').textContent, why: c.querySelector('.why').textContent}))")


def feedback_posts(page, event: str) -> list[dict]:
    bodies = [json.loads(body) for method, url, body in page.requests
              if method == "POST" and url.endswith("/v1/feedback") and body]
    return [b for b in bodies if b["event"] == event]


def no_sideways_scroll(page) -> None:
    width = page.viewport_size["width"]
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width


def wait_playing(page) -> dict:
    page.wait_for_selector("#player:not([hidden])")
    page.wait_for_function("() => { const v = document.querySelector('#video'); const f = v.dataset.from;"
                           " return f !== undefined && v.readyState >= 2 && !v.paused &&"
                           " v.currentTime >= Number(f) - 0.05; }")
    return page.evaluate("() => { const v = document.querySelector('#video'); return {t: v.currentTime,"
                         " start: Number(v.dataset.start), from: Number(v.dataset.from), duration: v.duration,"
                         " item: v.dataset.item}; }")


def test_cards_stream_in_and_the_player_overlay_starts_before_the_end_and_reports_watch_time(page, page_server):
    from vidrec.library import Library

    label = page.evaluate("() => document.querySelector('#message').labels[0].textContent.trim()")
    assert label  # the input is labelled, not only a placeholder
    say(page, "黑色半身裙")
    cards = last_cards(page)
    assert 2 <= len(cards) <= 5
    posts = [url for method, url, _ in page.requests if method == "POST" and "/messages" in url]
    assert len(posts) == 1 and posts[0].endswith("/messages/stream")  # streamed; no second, plain request
    for c in cards:
        assert c["title"].strip()
    # every card's buttons name the item they act on, by its place and its title
    second = cards[1]
    labels = page.evaluate(f"() => [...{LAST_TURN}[1].querySelectorAll('button')]"
                           ".map(b => b.getAttribute('aria-label'))")
    assert len(labels) == 5 and all("第2个" in x and second["title"] in x for x in labels), labels
    no_sideways_scroll(page)
    page.shoot("1-cards")

    # the player opens over the page (a bottom sheet on a phone) at the item's best second
    page.click(card_part(page, 0, ".thumb"))
    seek = wait_playing(page)
    assert seek["item"] == cards[0]["id"] and seek["start"] == pytest.approx(cards[0]["start"])
    assert seek["from"] == pytest.approx(max(0.0, min(cards[0]["start"], seek["duration"] - 3)), abs=0.01)
    box = page.evaluate("() => { const r = document.querySelector('#player').getBoundingClientRect();"
                        " const s = document.querySelector('.player-sheet').getBoundingClientRect();"
                        " return {w: r.width, h: r.height, pos: getComputedStyle(document.querySelector('#player'))"
                        ".position, sheetBottom: s.bottom, sheetWidth: s.width}; }")
    size = page.viewport_size
    assert box["pos"] == "fixed" and box["w"] == size["width"] and box["h"] == size["height"]
    if page.size == "phone":
        assert box["sheetBottom"] == pytest.approx(size["height"], abs=1) and box["sheetWidth"] == size["width"]
    else:
        assert box["sheetBottom"] < size["height"] - 20 and box["sheetWidth"] < size["width"]
    assert page.evaluate("() => document.querySelector('#log').inert && document.activeElement.id") == "player-close"
    page.wait_for_function(f"() => document.querySelector('#video').currentTime > {seek['t'] + 0.4}")
    page.shoot("2-playing")

    # Escape closes it, and the seconds watched go to the server as a "play" event
    with page.expect_response(lambda r: r.url.endswith("/v1/feedback") and r.request.method == "POST") as sent:
        page.keyboard.press("Escape")
        page.wait_for_selector("#player", state="hidden")
    assert page.evaluate("() => document.querySelector('#video').paused && !document.querySelector('#log').inert")
    assert sent.value.status == 200 and sent.value.json()["event"] == "play"
    plays = feedback_posts(page, "play")
    assert len(plays) == 1 and plays[0]["item_id"] == cards[0]["id"]
    assert 0.3 <= plays[0]["watch_s"] <= seek["duration"]
    # the page's shopper has an anonymous user id from the server: the play is stored under it, for training
    assert sent.value.json()["recorded"] is True
    user = page.evaluate("() => localStorage.getItem('vidrec.user')")
    with Library.open(page_server.store) as lib:
        assert [(e.event, e.item_id) for e in lib.interactions(user)] == [("play", cards[0]["id"])]

    # the end of the clip closes it too
    page.click(card_part(page, 1, ".thumb"))
    seek = wait_playing(page)
    assert seek["item"] == cards[1]["id"]
    page.evaluate("() => { const v = document.querySelector('#video'); v.currentTime = v.duration - 0.4; }")
    page.wait_for_selector("#player", state="hidden")
    assert page.evaluate("() => document.querySelector('#video').ended")


def test_watch_time_is_reported_when_the_video_ends_and_when_the_page_is_left(page):
    say(page, "黑色半身裙")
    cards = last_cards(page)
    page.click(card_part(page, 0, ".thumb"))
    seek = wait_playing(page)
    page.wait_for_function(f"() => document.querySelector('#video').currentTime > {seek['t'] + 0.5}")
    # played to its end: the player closes and reports the seconds actually played (the jump is not watched)
    with page.expect_response(lambda r: r.url.endswith("/v1/feedback") and r.request.method == "POST") as sent:
        page.evaluate("() => { const v = document.querySelector('#video'); v.currentTime = v.duration - 0.3; }")
        page.wait_for_selector("#player", state="hidden")
    assert sent.value.status == 200 and sent.value.json()["event"] == "play"  # the server took the watch_s
    ended = feedback_posts(page, "play")
    assert [p["item_id"] for p in ended] == [cards[0]["id"]] and "value" not in ended[0]
    assert 0.5 <= ended[0]["watch_s"] <= 0.5 + seek["duration"] - seek["from"] - (seek["t"] - seek["from"]) + 1.0
    # the shopper leaves the page with a video playing: the seconds watched still go out (keepalive)
    page.click(card_part(page, 1, ".thumb"))
    seek = wait_playing(page)
    page.wait_for_function(f"() => document.querySelector('#video').currentTime > {seek['t'] + 0.5}")
    # (the page's pagehide handler, as the browser calls it on leaving; its request is sent with keepalive)
    with page.expect_response(lambda r: r.url.endswith("/v1/feedback") and r.request.method == "POST") as sent:
        page.evaluate("() => window.dispatchEvent(new PageTransitionEvent('pagehide'))")
    assert sent.value.status == 200
    left = feedback_posts(page, "play")
    assert [p["item_id"] for p in left] == [cards[0]["id"], cards[1]["id"]]
    assert 0.5 <= left[1]["watch_s"] <= seek["duration"]


def test_cards_follow_what_is_said_compare_table_cart_view_reload_and_new_chat(page):
    say(page, "黑色半身裙")
    first = last_cards(page)
    assert len(first) >= 3 and first[0]["why"].strip() and first[0]["start"] > 0

    # a comparison is a table, and the follow-up cards keep their why-line and start second
    say(page, "比较第一个和第二个")
    heads = page.eval_on_selector_all(".msg.bot table.compare thead th", "ths => ths.map(t => t.textContent)")
    assert len(heads) == 3 and first[0]["title"] in heads[1] and first[1]["title"] in heads[2]
    rows = page.eval_on_selector_all(".msg.bot table.compare tbody tr", "trs => trs.map(t => t.dataset.row)")
    assert "price" in rows and len(rows) >= 2
    assert page.eval_on_selector_all(".msg.bot table.compare tbody tr:first-child td",
                                     "tds => tds.map(t => t.textContent)") == [
        page.eval_on_selector(f"#log > .cards .card[data-id='{c['id']}'] .price", "e => e.textContent")
        for c in first[:2]]
    follow = {c["id"]: c for c in last_cards(page)}
    assert set(follow) == {first[0]["id"], first[1]["id"]}
    for c in first[:2]:
        assert follow[c["id"]]["why"] == c["why"] and follow[c["id"]]["start"] == c["start"]
    no_sideways_scroll(page)
    page.shoot("1-compare")

    # what is said in text shows on every card of the item; what a button does too
    liked = last_cards(page)[1]["id"]  # "the second one": of the cards just shown
    say(page, "喜欢第二个")
    rejected = last_cards(page)[2]["id"]  # what "the third one" points at now
    say(page, "不要第三个")
    page.click(f"#log > .cards .card[data-id='{first[0]['id']}'] [data-act=cart]")  # the first grid's
    page.wait_for_function("() => document.querySelector('#cart-count').textContent === '1'")

    def states() -> dict:
        return page.eval_on_selector_all(
            ".card", "cs => cs.map(c => [c.dataset.id, ['like', 'cart', 'reject'].filter(a =>"
            " c.querySelector(`[data-act=${a}]`).getAttribute('aria-pressed') === 'true')])")

    expected = {first[0]["id"]: ["cart"], liked: ["like"], rejected: ["reject"]}
    seen = states()
    assert len(seen) >= len(first) + 2 and {item for item, _ in seen} >= set(expected)
    assert all(acts == expected.get(item, []) for item, acts in seen), seen
    assert set(page.eval_on_selector_all(".card.rejected", "cs => cs.map(c => c.dataset.id)")) == {rejected}
    page.shoot("2-state")

    page.click("#cart-open")
    page.wait_for_selector("#cart[open] .cart-list li")
    assert page.eval_on_selector_all("#cart-body li", "ls => ls.map(l => l.dataset.id)") == [first[0]["id"]]
    assert first[0]["title"] in page.inner_text("#cart-body")
    page.shoot("3-cart")
    page.keyboard.press("Escape")
    page.wait_for_selector("#cart", state="hidden")

    # a reload shows the same conversation, on the same session, with the same card states
    session = page.evaluate("() => localStorage.getItem('vidrec.session')")
    user = page.evaluate("() => localStorage.getItem('vidrec.user')")
    said = page.eval_on_selector_all(".msg.me", "ms => ms.map(m => m.textContent)")
    page.reload()
    page.wait_for_function(f"() => document.querySelectorAll('.card').length === {len(seen)}")
    page.wait_for_function("() => document.querySelector('#cart-count').textContent === '1'")
    assert page.evaluate("() => localStorage.getItem('vidrec.session')") == session
    assert page.eval_on_selector_all(".msg.me", "ms => ms.map(m => m.textContent)") == said
    assert page.locator("table.compare").count() == 1
    assert states() == seen
    page.shoot("4-reloaded")

    # a new chat starts empty on a new session, and stays empty after a reload
    page.click("#new-chat")
    page.wait_for_function(f"() => localStorage.getItem('vidrec.session') && "
                           f"localStorage.getItem('vidrec.session') !== {session!r}")
    page.reload()
    page.wait_for_selector(".msg.bot")
    page.wait_for_timeout(300)
    assert page.locator(".msg.me").count() == 0 and page.locator(".card").count() == 0
    assert user and page.evaluate("() => localStorage.getItem('vidrec.user')") == user  # the same shopper
    assert page.inner_text("#cart-count") == "0"
    say(page, "黑色半身裙")  # the new session answers on its own
    assert last_cards(page)


def test_language_toggle_survives_chip_taps_and_the_detail_view_shows_the_evidence_timeline(page):
    assert page.inner_text("#send") == "发送"
    say(page, "推荐几件夏天穿的衣服")
    assert page.locator(".chips .chip").count() >= 2  # it asks a question with answers to tap
    page.click("#lang-toggle")
    assert page.inner_text("#send") == "Send" and page.evaluate("() => localStorage.getItem('vidrec.lang')") == "en"
    for _ in range(4):  # tap the first answer until cards show; the page stays in English
        if page.evaluate("() => document.querySelector('#log').lastElementChild.classList.contains('cards')"):
            break
        tap(page, "#log > .chips:last-of-type .chip")
        assert page.inner_text("#send") == "Send"
    cards = last_cards(page)
    assert cards
    assert page.get_attribute(card_part(page, 0, "[data-act=cart]"), "aria-label") == (
        f"Add 1st item, {cards[0]['title']}, to cart")
    page.shoot("1-english-after-chips")

    # the item's detail view: speech, on-screen text and shots on a timeline; an entry plays from its second
    page.click(card_part(page, 0, "[data-act=detail]"))
    page.wait_for_selector("#detail[open] .lane[data-kind=shots] .ev")
    counts = page.evaluate("() => Object.fromEntries([...document.querySelectorAll('#detail .lane')]"
                           ".map(l => [l.dataset.kind, l.querySelectorAll('.ev').length]))")
    profile = page.request.get(page.url.rstrip("/") + f"/v1/items/{cards[0]['id']}", headers={
        "Authorization": "Bearer " + page.evaluate("() => localStorage.getItem('vidrec.token')")}).json()
    assert counts == {"speech": len(profile["transcript"]), "ocr": len(profile["ocr"]),
                      "shots": len(profile["shots"])}
    assert counts["speech"] >= 1 and counts["ocr"] >= 1 and counts["shots"] >= 2, counts
    assert page.inner_text("#detail-title") == cards[0]["title"]
    page.wait_for_function("() => [...document.querySelectorAll('#detail .ev img')]"
                           ".every(i => i.complete && i.naturalWidth > 0)")
    no_sideways_scroll(page)
    page.shoot("2-detail")
    last_shot = page.eval_on_selector("#detail .lane[data-kind=shots] li:last-child .at",
                                      "b => b.textContent")
    page.click("#detail .lane[data-kind=shots] li:last-child .at")
    seek = wait_playing(page)
    assert page.evaluate("() => document.querySelector('#detail').open") is False
    minute, second = last_shot.split("–")[0].split(":")
    assert int(seek["start"]) == int(minute) * 60 + int(second)
    # started at least 3 s before the end even when the shot begins later than that
    assert seek["from"] == pytest.approx(max(0.0, min(seek["start"], seek["duration"] - 3)), abs=0.01)
    assert seek["t"] <= seek["duration"] - 2.5
    page.keyboard.press("Escape")
    page.wait_for_selector("#player", state="hidden")

    # typing in the other language is the shopper speaking it: the page follows
    say(page, "黑色半身裙")
    assert page.inner_text("#send") == "发送"
    assert page.get_attribute("#lang-toggle", "aria-label")


def test_errors_offer_a_retry_a_missing_stream_falls_back_and_close_matches_get_their_own_heading(page):
    stream = "**/messages/stream"
    page.route(stream, lambda route: route.fulfill(status=500, content_type="application/json",
                                                   body=json.dumps({"error": "internal_error",
                                                                    "message": "the test broke it"})))
    say(page, "黑色半身裙")
    assert page.locator(".msg.error").count() == 1 and page.locator(".card").count() == 0
    page.shoot("1-error")
    page.unroute(stream)
    page.click(".msg.error .retry")
    page.wait_for_function("() => !document.querySelector('#send').disabled && "
                           "!document.querySelector('.msg.pending') && document.querySelector('#log > .cards')")
    assert page.locator(".msg.error").count() == 0
    assert page.locator(".msg.me").count() == 1 and last_cards(page)

    # a server (or proxy) without the stream endpoint: the plain endpoint answers
    page.route(stream, lambda route: route.fulfill(status=404, content_type="application/json",
                                                   body=json.dumps({"error": "not_found", "message": "no"})))
    before = len(page.requests)
    say(page, "蓝色短裤")
    page.unroute(stream)
    plain = [url for method, url, _ in page.requests[before:] if method == "POST" and url.endswith("/messages")]
    assert len(plain) == 1 and last_cards(page)

    # items the server marks as close matches (match: false, what differs) go under their own heading
    def mark_close(route):
        response = route.fetch()
        frames = []
        for frame in response.text().split("\n\n"):
            event = dict(line.split(": ", 1) for line in frame.split("\n") if ": " in line and line[0] != ":")
            if event.get("event") == "item":
                data = json.loads(event["data"])
                if data["index"] > 0:
                    data["item"].update(match=False, differs=["颜色 / colour"])
                else:
                    data["item"]["match"] = True
                frame = f"event: item\ndata: {json.dumps(data, ensure_ascii=False)}"
            frames.append(frame)
        route.fulfill(response=response, body="\n\n".join(frames))

    page.route(stream, mark_close)
    say(page, "黑色半身裙")
    page.unroute(stream)
    assert page.inner_text("#log > h4.close-heading:last-of-type") == "相近"
    matches = page.evaluate("() => [...[...document.querySelectorAll('#log > .cards:not(.close-matches)')].pop()"
                            ".querySelectorAll('.card')].map(c => c.dataset.pos)")
    close = page.evaluate("() => [...[...document.querySelectorAll('#log > .cards.close-matches')].pop()"
                          ".querySelectorAll('.card')].map(c => [c.dataset.pos, c.querySelector('.differs').textContent])")
    assert matches == ["1"] and len(close) >= 1
    assert all(pos != "1" and "颜色 / colour" in text for pos, text in close), close
    # the server's own close matches (earlier turns) say what differs too, in its words
    said = page.eval_on_selector_all("#log > .cards.close-matches .card .differs", "ds => ds.map(d => d.textContent)")
    assert said and all(text.startswith("不同之处：") and len(text) > len("不同之处：") for text in said), said
    no_sideways_scroll(page)
    page.shoot("2-close-matches")
