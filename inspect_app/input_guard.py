"""One early look at every request for text that no route can use and no database can store.

A NUL character (PostgreSQL refuses it in text), a lone UTF-16 surrogate (no encoding can write it: only a JSON
"\\ud800" escape makes one) and JSON nested deeper than MAX_JSON_DEPTH (Python's parser hits its recursion limit
on a body of 100,000 "[") are refused with 400 and the usual error shape, before authentication and before any
route or service sees them. Checked: the path, query arguments, form fields (names and values, multipart
included; uploaded files are not text and are left to the photo checks), JSON bodies (keys and strings) and
header values.
"""
from __future__ import annotations

import re

from flask import Flask, current_app, request

from .common.errors import BadRequest

BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
BAD_TEXT_MESSAGE = "提交的内容含有无法处理的字符（空字符或残缺的 Unicode 字符），请删除这些字符后重试。"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def register_input_guard(app: Flask) -> None:
    app.before_request(check_request)


def _refuse() -> None:
    raise BadRequest(BAD_TEXT_MESSAGE, code="invalid_characters")


def _check_pairs(pairs) -> None:
    for key, value in pairs:
        if BAD_TEXT.search(key) or BAD_TEXT.search(value):
            _refuse()


def check_request() -> None:
    if BAD_TEXT.search(request.path):
        _refuse()
    environ = request.environ
    if environ.get("QUERY_STRING"):
        _check_pairs(request.args.items(multi=True))
    # The header values as the server passed them (what request.headers reads), without building each pair.
    if any("\x00" in value for key, value in environ.items()
           if key.startswith("HTTP_") or key in ("CONTENT_TYPE", "CONTENT_LENGTH")):
        _refuse()
    if not environ.get("CONTENT_TYPE"):
        return  # neither a form nor JSON
    if request.mimetype in FORM_TYPES:
        _check_pairs(request.form.items(multi=True))
    elif request.is_json:
        _check_json()


def _check_json() -> None:
    try:
        data = request.get_json(silent=True)  # parsed once; the route gets the cached result
    except RecursionError:
        data = None
        too_deep = True
    else:
        too_deep = False
    limit = current_app.config["MAX_JSON_DEPTH"]
    stack = [(data, 1)]
    while stack and not too_deep:
        value, depth = stack.pop()
        if isinstance(value, str):
            if BAD_TEXT.search(value):
                _refuse()
        elif isinstance(value, (list, dict)):
            if depth > limit:
                too_deep = True
            elif isinstance(value, dict):
                for key, item in value.items():
                    if BAD_TEXT.search(key):
                        _refuse()
                    stack.append((item, depth + 1))
            else:
                stack.extend((item, depth + 1) for item in value)
    if too_deep:
        raise BadRequest(f"请求体不是有效的 JSON（嵌套超过{limit}层）。", code="invalid_json")
