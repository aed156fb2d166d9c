"""Every link a page shows works for whoever it is shown to. In the demo city (its reference data, weeks of
activity, assessment rounds, reports from outside, key tasks, questionnaires and check-ins), each role follows
the links of its pages from the home page, as a person clicking around would: every page, PDF, spreadsheet and
photo it reaches must answer 200. A page that answers 500, or a link to what its reader may not open (403, or
404: another unit's ticket), fails here with the page that showed the link."""
from __future__ import annotations

import re
from collections import Counter, deque
from urllib.parse import urldefrag, urljoin, urlsplit

from conftest import Browser

from inspect_app.demo.seed import DEFAULT_PASSWORD

HREF = re.compile(r'href="([^"]+)"')
NOT_FOLLOWED = re.compile(r"^/(logout|static/)")  # leaving, and the assets every page links
PER_SHAPE = 2  # pages of one shape (ids and values aside) visited; their links are the same kind
FILE = re.compile(r"\.(pdf|xlsx|csv)$")  # a document is made the same way for every id: one of each shape
MAX_PAGES = 400


def shape(path: str) -> str:
    """A URL with its numbers and query values left out: /tickets/N?page=&status=."""
    parts = urlsplit(path)
    keys = sorted({pair.split("=")[0] for pair in parts.query.split("&") if pair})
    return re.sub(r"\d+", "N", parts.path) + ("?" + "&".join(keys) if keys else "")


def crawl(client: Browser, visit=None) -> tuple[int, list[str]]:
    """(pages fetched, problems) following same-site links breadth first from the home page; `visit(path, html)`
    sees each page fetched."""
    queue: deque[tuple[str, str]] = deque([("/", "(start)")])
    seen, shapes, problems, fetched = {"/"}, Counter(), [], 0
    while queue and fetched < MAX_PAGES:
        path, linked_from = queue.popleft()
        shapes[shape(path)] += 1
        if shapes[shape(path)] > (1 if FILE.search(urlsplit(path).path) else PER_SHAPE):
            continue
        response = client.get(path, follow_redirects=True)  # "/" leads to the role's own home page
        fetched += 1
        if response.status_code != 200:
            problems.append(f"{response.status_code} {path} (linked from {linked_from})")
            continue
        if not response.mimetype.startswith("text/html"):
            continue
        here = response.request.path
        if visit is not None:
            visit(here + (f"?{response.request.query_string.decode()}" if response.request.query_string else ""),
                  response.get_data(as_text=True))
        for href in HREF.findall(response.get_data(as_text=True)):
            url = urlsplit(urldefrag(urljoin(f"http://localhost{here}", href.replace("&amp;", "&")))[0])
            if url.scheme not in ("http", "https") or url.netloc != "localhost" or NOT_FOLLOWED.match(url.path):
                continue
            target = url.path + (f"?{url.query}" if url.query else "")
            if target not in seen:
                seen.add(target)
                queue.append((target, here))
    return fetched, problems


def test_every_link_each_role_is_shown_opens(app, demo_city):
    demo_city("everything")  # weeks of activity, rounds, reports from outside, key tasks, questionnaires, check-ins
    problems, fetched = [], {}
    # the office, a leader, an inspector, and two units (the city administration; sanitation, with letters)
    for username in ("admin", "leader", "inspector1", "sz01", "sz04"):
        client = Browser(app, app.response_class, use_cookies=True)
        assert client.login(username, DEFAULT_PASSWORD).status_code == 302
        fetched[username], found = crawl(client)
        problems += [f"{username}: {problem}" for problem in found]
    assert not problems, "\n".join(problems)
    # the crawl went somewhere: each role's pages link on to its tickets, lists and files
    assert all(count >= 20 for count in fetched.values()), fetched
