"""The feeds as one straightforward query (the visibility OR, the shape joins, scores counted per request):
the definition the indexed feeds (community.selectors.post_feed_page) must match. Also timed by
bench/feeds_bench.py as the "before" query."""

from datetime import datetime

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from community.models import Comment, Like, Post
from community.selectors import POPULAR_COMMENT_WEIGHT, POPULAR_WINDOW, posts_visible_to


def _count_since(model, since: datetime, **extra):
    rows = (model.objects.filter(post_id=OuterRef("pk"), created_at__gte=since, **extra)
            .order_by().values("post_id").annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def reference_feed(*, viewer, ordering: str = "latest", shape_id: str | None = None, user_id=None,
                   now: datetime | None = None) -> QuerySet[Post]:
    posts = posts_visible_to(viewer=viewer)
    if shape_id:
        posts = posts.filter(Q(route__shape__shape_id=shape_id) | Q(workout__route__shape__shape_id=shape_id))
    if user_id:
        posts = posts.filter(author_id=user_id)
    if ordering == "popular":
        since = (now or timezone.now()) - POPULAR_WINDOW
        score = _count_since(Like, since) + POPULAR_COMMENT_WEIGHT * _count_since(Comment, since, is_hidden=False)
        return posts.annotate(score=score).order_by(F("score").desc(), "-created_at", "-id")
    return posts.order_by("-created_at", "-id")
