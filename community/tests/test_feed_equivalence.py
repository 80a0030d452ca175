"""The indexed feeds (a UNION of per-visibility sets, stored shapes and popularity, keyset pages) give exactly
the posts, in exactly the order, of the straightforward query (community/tests/reference.py), for every viewer,
ordering and filter, on random data: deleted and disabled authors, hidden posts and comments, followers-only
and private posts, posts sharing a route and a workout of different shapes, equal timestamps and scores."""

import random
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from accounts.tests.factories import UserFactory
from community import selectors, services
from community.models import Comment, Like, Post
from community.tests.conftest import follow
from community.tests.factories import PostFactory
from community.tests.reference import reference_feed
from routes.tests.factories import RouteFactory, ShapeFactory
from workouts.tests.factories import WorkoutFactory

SHAPES = ["heart", "star", "circle"]


def _random_community(rng: random.Random, now):
    shapes = [ShapeFactory(shape_id=slug) for slug in SHAPES]
    users = [UserFactory() for _ in range(10)]
    users[1].deleted_at = now - timedelta(days=1)
    users[1].save(update_fields=["deleted_at"])
    users[2].is_active = False
    users[2].save(update_fields=["is_active"])
    for follower in users:
        for followee in rng.sample(users, 3):
            if followee != follower:
                follow(follower, followee)
    routes = {user.pk: [RouteFactory(in_seoul=True, user=user, shape=rng.choice([*shapes, None])) for _ in range(2)]
              for user in users}
    # Few distinct instants, so that many posts share a created_at (the id breaks the tie).
    instants = [now - timedelta(hours=rng.randint(1, 400)) for _ in range(12)]
    posts = []
    for _ in range(70):
        author = rng.choice(users)
        kind = rng.random()
        route = rng.choice(routes[author.pk]) if kind < 0.7 else None
        workout = None
        if kind > 0.4:
            workout = WorkoutFactory(completed=True, user=author, route=rng.choice([*routes[author.pk], None]))
        posts.append(PostFactory(author=author, route=route, workout=workout, created_at=rng.choice(instants),
                                 visibility=rng.choice(list(Post.Visibility.values)), is_hidden=rng.random() < 0.1))
    for post in posts:
        for liker in rng.sample(users, rng.randint(0, 4)):
            services.post_like(post=post, user=liker)
        if rng.random() < 0.3:  # likes from before the window, and from before this code counted them
            Like.objects.get_or_create(post=post, user=rng.choice(users),
                                       defaults={"created_at": now - timedelta(days=rng.choice([3, 9, 20]))})
        for _ in range(rng.randint(0, 2)):
            services.comment_create(post=post, author=rng.choice(users), content="Nice shape!")
    hidden = rng.sample(list(Comment.objects.values_list("pk", flat=True)), 5)
    services.comments_set_hidden(comment_ids=hidden, hidden=True)
    services.posts_refresh_popularity(now=now)
    return users


def _walk(*, viewer, ordering, shape_id, user_id, size, forwards=True):
    """Every post of the feed, page by page through keyset cursors (forwards, or from the end backwards)."""
    seen, key = [], None
    while True:
        page = selectors.post_feed_page(viewer=viewer, ordering=ordering, shape_id=shape_id, user_id=user_id,
                                        after=key if forwards else None, before=None if forwards else key,
                                        size=size)
        if not page:
            return seen
        seen = seen + [post.pk for post in page] if forwards else [post.pk for post in page] + seen
        key = selectors.FeedKey.of(page[-1] if forwards else page[0], ordering)


def _last_key(expected_ids, ordering):
    last = Post.objects.get(pk=expected_ids[-1])
    return selectors.FeedKey(tuple(getattr(last, name) for name in selectors.FEED_ORDER_FIELDS[ordering]))


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2])
def test_feeds_match_the_straightforward_query(seed):
    rng = random.Random(seed)
    now = timezone.now()
    users = _random_community(rng, now)
    viewers = [AnonymousUser(), *users]
    compared = 0
    for viewer in viewers:
        for ordering in ("latest", "popular"):
            for shape_id in (None, *SHAPES):
                user_id = rng.choice([None, None, rng.choice(users).pk])
                expected = list(reference_feed(viewer=viewer, ordering=ordering, shape_id=shape_id,
                                               user_id=user_id, now=now).values_list("pk", flat=True))
                size = rng.randint(1, 7)
                got = _walk(viewer=viewer, ordering=ordering, shape_id=shape_id, user_id=user_id, size=size)
                assert got == expected, (seed, getattr(viewer, "pk", None), ordering, shape_id, user_id, size)
                compared += len(expected)
                if len(expected) > 1:
                    # Backwards from the last post: the same order without it.
                    page, before, back = [], _last_key(expected, ordering), []
                    while True:
                        page = selectors.post_feed_page(viewer=viewer, ordering=ordering, shape_id=shape_id,
                                                        user_id=user_id, before=before, size=size)
                        if not page:
                            break
                        back = [post.pk for post in page] + back
                        before = selectors.FeedKey.of(page[0], ordering)
                    assert back == expected[:-1]
    assert compared > 500  # the random community really has visible posts in most feeds
