"""The school's own public feed page and Atom feed (R18): alongside the website."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, url_for
from sqlalchemy import select

from trip_companion.models import FeedEntry, School
from trip_companion.publish.atom import AtomEntry, AtomImage, atom_feed
from trip_companion.web.access import public
from trip_companion.web.context import get_db, render, store

bp = Blueprint("feed", __name__, url_prefix="/schools/<slug>")


def _school(slug: str) -> School:
    return get_db().scalar(select(School).where(School.slug == slug)) or abort(404)


def _entries(school: School, limit: int = 50) -> list[FeedEntry]:
    return list(get_db().scalars(select(FeedEntry).where(FeedEntry.school_id == school.id)
                                 .order_by(FeedEntry.published_at.desc()).limit(limit)))


def _images(school: School, entry: FeedEntry, external: bool = False) -> list[dict]:
    return [{**i, "url": url_for("feed.image", slug=school.slug, key=entry.key, index=n,
                                 _external=external)}
            for n, i in enumerate(json.loads(entry.images))]


@bp.get("/feed")
@public
def page(slug: str):
    school = _school(slug)
    entries = [(e, _images(school, e)) for e in _entries(school)]
    response = render("feed/page.html", school=school, entries=entries)
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


@bp.get("/feed.atom")
@public
def atom(slug: str):
    school = _school(slug)
    page_url = url_for("feed.page", slug=slug, _external=True)
    entries = [AtomEntry(key=e.key, text=e.text, published=e.published_at,
                         url=f"{page_url}#post-{e.key}",
                         images=[AtomImage(i["url"], i["alt"], i["w"], i["h"])
                                 for i in _images(school, e, external=True)])
               for e in _entries(school)]
    body = atom_feed(school.name, page_url, entries,
                     self_url=url_for("feed.atom", slug=slug, _external=True))
    response = Response(body, mimetype="application/atom+xml")
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


@bp.get("/feed/<key>/<int:index>.jpg")
@public
def image(slug: str, key: str, index: int):
    school = _school(slug)
    entry = get_db().scalar(select(FeedEntry).where(FeedEntry.school_id == school.id,
                                                    FeedEntry.key == key)) or abort(404)
    images = json.loads(entry.images)
    if not 0 <= index < len(images):
        abort(404)
    response = Response(store().get(images[index]["key"]), mimetype="image/jpeg")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
