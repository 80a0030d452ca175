"""Deleting an account removes what others saw of it (PIPA: deletion means deletion).

Its name and avatar go at once; its posts, likes (with the counts), follows (with the counts), notifications
and comments go in a job — comments that another runner answered later stay in the thread, emptied, under
"Deleted runner" with no id.
"""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts import services as account_services
from accounts.models import User
from accounts.tests.factories import UserFactory
from community import services
from community.models import Comment, Follow, Like, Notification, Post, UserCounters
from community.services import DELETED_RUNNER_NAME
from community.tests.factories import PostFactory
from conftest import client_for
from operations.maintenance import run_cleanup


def _counts(post: Post) -> tuple[int, int]:
    post.refresh_from_db()
    return post.like_count, post.comment_count


@pytest.fixture
def scene(db, committed):
    """Runner `leaver` liked, commented and followed among `alice` and `bob`, and posted."""
    leaver, alice, bob = UserFactory(name="Kim Leaver"), UserFactory(), UserFactory()
    leaver.avatar.save("face.png", ContentFile(b"\x89PNG not really"), save=True)
    alices_post, bobs_post = PostFactory(author=alice), PostFactory(author=bob)
    leavers_post = PostFactory(author=leaver, content="my run")
    at = timezone.now() - timedelta(hours=1)
    with committed():  # the notification tasks run, as in production
        services.post_like(post=alices_post, user=leaver)
        services.post_like(post=bobs_post, user=leaver)
        services.post_like(post=leavers_post, user=alice)
        answered = services.comment_create(post=alices_post, author=leaver, content="Where is this? 010-1234")
        services.comment_create(post=alices_post, author=alice, content="Near the river!")
        last_word = services.comment_create(post=bobs_post, author=leaver, content="Great pace")
        hidden = services.comment_create(post=bobs_post, author=leaver, content="spam")
        services.comments_set_hidden(comment_ids=[hidden.pk], hidden=True)
        services.comment_create(post=leavers_post, author=bob, content="Nice")
        services.follow_create(follower=leaver, followee=alice)
        services.follow_create(follower=bob, followee=leaver)
    Comment.objects.filter(pk=answered.pk).update(created_at=at)
    return {"leaver": leaver, "alice": alice, "bob": bob, "alices_post": alices_post, "bobs_post": bobs_post,
            "leavers_post": leavers_post, "answered": answered, "last_word": last_word, "hidden": hidden}


@pytest.mark.django_db
class TestAccountDeletion:
    def test_delete_me_removes_everything_others_saw(self, scene, committed):
        leaver, alice, bob = scene["leaver"], scene["alice"], scene["bob"]
        assert _counts(scene["alices_post"]) == (1, 2) and _counts(scene["bobs_post"]) == (1, 1)
        assert Notification.objects.filter(actor=leaver).count() == 5  # 2 likes, 2 comments, 1 follow
        assert any("010-1234" in str(data) for data in Notification.objects.values_list("data", flat=True))
        avatar_name = leaver.avatar.name
        storage = leaver.avatar.storage
        assert storage.exists(avatar_name)

        with committed():
            response = client_for(leaver).delete("/api/v1/users/me")
        assert response.status_code == 204

        leaver = User.objects.get(pk=leaver.pk)
        assert (leaver.name, leaver.avatar.name, leaver.weight_kg) == ("", "", None)
        assert not storage.exists(avatar_name)
        # Likes gone, counters moved; the popular feed counts Like rows, so it forgets them too.
        assert not Like.objects.filter(user=leaver).exists()
        assert _counts(scene["alices_post"]) == (0, 2)
        # A comment alice answered stays, emptied; the last word on bob's post and the hidden one are gone.
        answered = Comment.objects.get(pk=scene["answered"].pk)
        assert answered.content == "" and answered.author_id == leaver.pk
        assert not Comment.objects.filter(pk__in=[scene["last_word"].pk, scene["hidden"].pk]).exists()
        assert _counts(scene["bobs_post"]) == (0, 0)
        # Their post (with bob's comment and alice's like on it) is gone.
        assert not Post.objects.filter(author=leaver).exists()
        # Follows both ways, with the other side's counts.
        assert not Follow.objects.filter(follower=leaver).exists() and not Follow.objects.filter(followee=leaver)
        assert UserCounters.objects.get(user=alice).follower_count == 0
        assert UserCounters.objects.get(user=bob).following_count == 0
        assert not UserCounters.objects.filter(user=leaver).exists()
        # No notification names them any more (the comment excerpts went with them).
        assert not Notification.objects.filter(actor=leaver).exists()
        assert not any("010-1234" in str(data) for data in Notification.objects.values_list("data", flat=True))

    def test_others_see_a_kept_comment_as_deleted_runner(self, scene, committed):
        with committed():
            account_services.user_soft_delete(user=scene["leaver"])
        response = client_for(scene["bob"]).get(f"/api/v1/community/posts/{scene['alices_post'].pk}/comments")
        comments = response.json()["data"]["results"]
        assert [c["content"] for c in comments] == ["", "Near the river!"]
        assert comments[0]["author"] == {"id": None, "name": DELETED_RUNNER_NAME, "avatar": None}
        assert "Kim Leaver" not in response.content.decode() and "010-1234" not in response.content.decode()
        # Their post is gone for everyone.
        assert client_for(scene["bob"]).get(
            f"/api/v1/community/posts/{scene['leavers_post'].pk}").status_code == 404

    def test_a_deleted_authors_comment_shows_no_text_even_before_the_job_ran(self, scene):
        # Soft-deleted without the job (its on-commit callbacks are not run here).
        account_services.user_soft_delete(user=scene["leaver"])
        assert Comment.objects.get(pk=scene["answered"].pk).content.startswith("Where")
        comments = client_for(scene["bob"]).get(
            f"/api/v1/community/posts/{scene['alices_post'].pk}/comments").json()["data"]["results"]
        assert comments[0]["content"] == "" and comments[0]["author"]["id"] is None

    def test_the_erase_is_idempotent(self, scene):
        User.objects.filter(pk=scene["leaver"].pk).update(deleted_at=timezone.now())
        first = services.user_community_erase(user=scene["leaver"])
        assert (first.likes, first.comments_removed, first.comments_emptied, first.follows, first.posts) == (
            2, 2, 1, 2, 1)
        assert services.user_community_erase(user=scene["leaver"]).total == 0
        assert _counts(scene["alices_post"]) == (0, 2) and _counts(scene["bobs_post"]) == (0, 0)

    def test_the_hourly_cleanup_sweeps_accounts_deleted_without_the_erase(self, scene, committed):
        """Accounts deleted before the erase existed, or whose job failed for good."""
        User.objects.filter(pk=scene["leaver"].pk).update(deleted_at=timezone.now())
        dry = run_cleanup(dry_run=True)
        assert dry.counts["deleted_accounts_erase"] == 1
        assert Like.objects.filter(user=scene["leaver"]).exists()  # a dry run changes nothing
        with committed():  # the step queues the job on commit (run inline by the test settings)
            report = run_cleanup()
        assert report.counts["deleted_accounts_erase"] == 1 and not report.errors
        assert not Like.objects.filter(user=scene["leaver"]).exists()
        assert _counts(scene["alices_post"]) == (0, 2)
        assert run_cleanup().counts["deleted_accounts_erase"] == 0
        # Live accounts are never touched.
        assert Like.objects.filter(user=scene["alice"]).exists() is False  # alice's like was on the leaver's post
        assert Comment.objects.filter(author=scene["alice"]).exists()
