"""Every form each role is shown answers odd values with a 4xx, never a 500: an id that names no row above all.

A form's fields come back as text anyone can edit. Its id fields (a unit, a segment, a site, a category, a letter's
items...) used to be read by each place its own way (`raw.isdigit()`, `len(raw) > 12`, a bare `int()`), and a
fuzz pass over the demo city found what that let through:
- a category of forty nines on 来件受理 and 随手拍 (SQLite: OverflowError);
- an id past 2**31 - 1 on the key tasks' and the rounds' forms (PostgreSQL: integer out of range);
- '²' wherever `str.isdigit()` was the test (`int()` refuses it): filing, 来件受理, 销号, 门前四包;
- a 门前四包 signing date of forty digits (OverflowError).
Ids are now read by one rule (inspect_app/common/ids.py).

In the demo city, each role follows its pages' links as in test_crawl.py and collects every POST form it is
shown. Each form is then posted as its page fills it in, with one field at a time set to each odd value: for an
id field, values that name no row; for any other, a number nothing holds, a digit `int()` refuses and 6,000
characters.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from conftest import Browser, encode_form
from werkzeug.datastructures import MultiDict
from test_crawl import crawl, shape

from inspect_app.common.ids import MAX_ID, get_row, row_id
from inspect_app.demo.seed import DEFAULT_PASSWORD as PASSWORD
from inspect_app.extensions import db
from inspect_app.units.models import Unit

# Names that carry a row id, besides a select whose options are ids.
ID_FIELD = re.compile(r"(_id|_ids)$|^category$|^unit_\d+$")
NO_ROW = ["9" * 40, str(MAX_ID + 1), "²"]
# Any other field: a number no int, date or count holds, a digit int() refuses, and text longer than any column
# (PostgreSQL refuses it: value too long).
ODD = ["9" * 40, "²", "长" * 6000]
NOT_POSTED = re.compile(r"^/(logout|password|login)\b")  # leaving, or locking the crawler out


class Forms(HTMLParser):
    """The POST forms of a page: action, enctype and fields as the page fills them in."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.page, self.forms, self._form, self._select, self._textarea = page, [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "get").lower() == "post":
            action = urlsplit(urljoin(f"http://localhost{self.page}", a.get("action") or self.page))
            self._form = {"action": action.path + (f"?{action.query}" if action.query else ""),
                          "multipart": "multipart" in (a.get("enctype") or ""), "fields": [], "ids": set()}
            self.forms.append(self._form)
        elif self._form is None or not a.get("name") and tag != "option" or "disabled" in a:
            return  # a browser sends neither a field without a name nor a disabled one
        elif tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind == "file" or kind in ("checkbox", "radio") and "checked" not in a:
                return
            self._form["fields"].append([a["name"], a.get("value") or ""])
        elif tag == "select":
            self._select = [a["name"], None, []]
        elif tag == "option" and self._select is not None:
            value = a.get("value") or ""
            self._select[2].append(value)
            if self._select[1] is None or "selected" in a:
                self._select[1] = value
        elif tag == "textarea":
            self._textarea = [a["name"], ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None and self._form is not None:
            name, chosen, options = self._select
            self._form["fields"].append([name, chosen or ""])
            if any(options) and all(o.isdigit() for o in options if o):
                self._form["ids"].add(name)
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            self._form["fields"].append(self._textarea)
            self._textarea = None


def collect(client: Browser) -> dict:
    """{(action's shape, field names): (page, form)}: one form of each kind this client is shown."""
    found = {}

    def visit(page, html):
        parser = Forms(page)
        parser.feed(html)
        for form in parser.forms:
            if NOT_POSTED.match(form["action"]):
                continue
            key = (shape(form["action"]), tuple(sorted({name for name, _ in form["fields"]})))
            found.setdefault(key, (page, form))

    crawl(client, visit)
    return found


def test_row_id_takes_only_ascii_digits_within_a_database_integer():
    assert [row_id(v) for v in ("7", " 42 ", 42, str(MAX_ID), MAX_ID)] == [7, 42, 42, MAX_ID, MAX_ID]
    for value in ("", " ", "0", 0, "-1", -1, "+5", "1.0", "1e3", "1_000", "0x10", "²", "①", "２", "١٢", "9" * 40,
                  "9" * 5000, str(MAX_ID + 1), MAX_ID + 1, 2**63, True, False, None, 1.0, [], {}, b"7"):
        assert row_id(value) is None, value


def test_get_row_names_no_row_for_what_is_no_id(app, city):
    assert get_row(Unit, str(city.street_a.id)) is city.street_a
    assert get_row(Unit, city.street_a.id) is city.street_a
    for value in ("9" * 40, str(2**63), "²", None):
        assert get_row(Unit, value) is None
    db.session.rollback()  # nothing was sent to the database that it refused: the session is usable


# The office, an inspector, and a street office (its 门前四包 register). A unit's other forms (rectify, extension,
# dispute, a key task's report) carry no id but the ticket's or task's in their address, which test_fuzz.py covers.
@pytest.mark.parametrize("username", ["admin", "inspector1", "jd0101"])
def test_every_form_answers_odd_values_without_a_500(app, demo_city, username):
    demo_city("everything")  # the demo city as test_crawl.py crawls it
    client = Browser(app, app.response_class, use_cookies=True)
    assert client.login(username, PASSWORD).status_code == 302
    forms = collect(client)
    problems, posted = [], 0
    for page, form in forms.values():
        names = [name for name, _ in form["fields"]]
        shapes = set()
        for target in dict.fromkeys(names):
            if target == "csrf_token" or re.sub(r"\d+", "N", target) in shapes:
                continue  # one field of each shape: unit_1 ... unit_145 are read alike
            shapes.add(re.sub(r"\d+", "N", target))
            for value in NO_ROW if ID_FIELD.search(target) or target in form["ids"] else ODD:
                data = [(n, value if n == target else v) for n, v in form["fields"] if n != "csrf_token"]
                token = client.token(page)
                data.append(("csrf_token", token))
                headers = {"Referer": f"http://localhost{page}"}
                if form["multipart"]:
                    body, content_type = encode_form(MultiDict(data).to_dict(flat=False))
                    response = client.post(form["action"], data=body, headers=headers, content_type=content_type)
                else:
                    response = client.post(form["action"], data=MultiDict(data), headers=headers)
                posted += 1
                if response.status_code >= 500:
                    problems.append(f"{response.status_code} POST {form['action']} {target}={value!r} "
                                    f"(form on {page})")
                if response.status_code in (302, 303) and response.location.startswith("/login"):
                    assert client.login(username, PASSWORD).status_code == 302
    assert not problems, "\n".join(problems)
    print(f"\n{username}: {len(forms)} forms, {posted} posts")
    assert posted >= 10, (len(forms), posted)  # the role's forms were found and posted



# Each role is shown only forms it may post: a form it is refused (403) or one posted where nothing takes a post
# (405) is a button that cannot work, or a read-only page that still looks editable. The leader reads the 督办建议
# list, the ranking groups and a questionnaire's preview, and used to be given each as a form. (The office may post
# all it is shown, and posting its forms as filled in would lock the crawler out: disable an account, reset a password.)
@pytest.mark.parametrize("username", ["leader", "inspector1", "jd0101", "sz01", "qy01"])
def test_no_role_is_shown_a_form_it_may_not_post(app, demo_city, username):
    demo_city("everything")
    client = Browser(app, app.response_class, use_cookies=True)
    assert client.login(username, PASSWORD).status_code == 302
    refused = []
    for page, form in collect(client).values():
        data = [(n, v) for n, v in form["fields"] if n != "csrf_token"] + [("csrf_token", client.token(page))]
        response = client.post(form["action"], data=MultiDict(data), headers={"Referer": f"http://localhost{page}"})
        if response.status_code in (403, 405):
            refused.append(f"{response.status_code} POST {form['action']} (form on {page})")
    assert not refused, "\n".join(refused)
