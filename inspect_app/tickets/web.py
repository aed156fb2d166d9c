"""Pages for tickets (placeholder until the web pages land)."""
from flask import Blueprint, redirect, url_for
from flask_login import login_required

bp = Blueprint("tickets", __name__)


@bp.get("/")
@login_required
def home():
    return "ok"
