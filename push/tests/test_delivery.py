"""Pushing notifications through FCM HTTP v1, against a fake FCM server on 127.0.0.1."""

from datetime import UTC, datetime, time

import pytest

from community.models import Notification
from community.services import notification_create
from community.tests.factories import CommentFactory, PostFactory
from conftest import client_for
from push import services
from push.fcm import TemporaryPushError
from push.models import Device, PushDelivery, PushSettings
from push.tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db


def like_notification(recipient, actor):
    return notification_create(user_id=recipient.pk, type=Notification.Type.LIKE, actor_id=actor.pk,
                               target_type="post", target_id="p1", dedupe_key=f"like:{recipient.pk}:{actor.pk}")


def test_a_notification_is_pushed_to_each_phone_once_in_its_language(fake_fcm, user, other_user):
    korean, english = DeviceFactory(user=user), DeviceFactory(user=user, language="en")
    notification = like_notification(user, other_user)
    assert services.notification_push(notification_id=notification.pk) == {
        "sent": 2, "dead_token": 0, "failed": 0, "retry": 0}
    by_token = {r["body"]["message"]["token"]: r for r in fake_fcm.sent}
    assert set(by_token) == {korean.token, english.token}
    ko = by_token[korean.token]["body"]["message"]
    en = by_token[english.token]["body"]["message"]
    assert ko["notification"] == {"title": "새 좋아요",
                                  "body": f"{other_user.name}님이 회원님의 게시물을 좋아합니다."}
    assert en["notification"] == {"title": "New like", "body": f"{other_user.name} liked your post."}
    assert ko["android"]["collapse_key"] == str(notification.pk)  # a redelivery replaces, never doubles
    assert ko["data"] == {"notification_id": str(notification.pk), "type": "like", "target_type": "post",
                          "target_id": "p1"}
    assert all(r["auth"] == "Bearer fake-access-token" for r in fake_fcm.sent)
    assert fake_fcm.token_requests == 1  # the OAuth token is reused
    assert PushDelivery.objects.filter(notification=notification, status="sent").count() == 2

    # The queue delivers at least once: a second run pushes nothing.
    assert services.notification_push(notification_id=notification.pk)["sent"] == 0
    assert len(fake_fcm.sent) == 2


def test_a_token_fcm_calls_unregistered_is_deleted(fake_fcm, user, other_user):
    gone, alive = DeviceFactory(user=user), DeviceFactory(user=user)
    fake_fcm.script = [fake_fcm.unregistered()]
    notification = like_notification(user, other_user)
    counts = services.notification_push(notification_id=notification.pk)
    assert counts["dead_token"] == 1 and counts["sent"] == 1
    assert list(Device.objects.filter(user=user)) in ([alive], [gone])
    assert Device.objects.filter(user=user).count() == 1
    first_token = fake_fcm.sent[0]["body"]["message"]["token"]
    assert not Device.objects.filter(token=first_token).exists()


def test_a_500_is_retried_with_backoff_then_sent(fake_fcm, user, other_user):
    DeviceFactory(user=user)
    fake_fcm.script = [fake_fcm.unavailable()]
    notification = like_notification(user, other_user)
    assert services.notification_push(notification_id=notification.pk)["sent"] == 1
    assert len(fake_fcm.sent) == 2
    assert PushDelivery.objects.filter(notification=notification, status="sent").count() == 1


def test_fcm_down_raises_for_the_queue_and_the_next_run_delivers_once(fake_fcm, user, other_user):
    DeviceFactory(user=user)
    fake_fcm.script = [fake_fcm.unavailable()] * 3
    notification = like_notification(user, other_user)
    with pytest.raises(TemporaryPushError):
        services.notification_push(notification_id=notification.pk)
    assert not PushDelivery.objects.exists()
    assert services.notification_push(notification_id=notification.pk)["sent"] == 1  # the queue's retry
    assert len(fake_fcm.sent) == 4


def test_quiet_hours_in_the_runners_time_zone(fake_fcm, user, other_user):
    user.timezone = "Asia/Seoul"
    user.save()
    DeviceFactory(user=user)
    PushSettings.objects.create(user=user, enabled_types=["like"], quiet_hours_start=time(22, 0),
                                quiet_hours_end=time(7, 0))
    notification = like_notification(user, other_user)
    at_night = datetime(2026, 12, 1, 14, 30, tzinfo=UTC)  # 23:30 in Seoul
    assert services.notification_push(notification_id=notification.pk, now=at_night) == {"skipped": 1}
    assert fake_fcm.sent == []
    at_noon = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # 12:00 in Seoul (and 03:00 UTC: not quiet in UTC either)
    assert services.notification_push(notification_id=notification.pk, now=at_noon)["sent"] == 1


def test_in_quiet_hours_wraps_past_midnight():
    def local(h, m):
        return datetime(2026, 1, 1, h, m)

    assert services.in_quiet_hours(start=time(22), end=time(7), now_local=local(23, 0))
    assert services.in_quiet_hours(start=time(22), end=time(7), now_local=local(6, 59))
    assert not services.in_quiet_hours(start=time(22), end=time(7), now_local=local(7, 0))
    assert services.in_quiet_hours(start=time(13), end=time(14), now_local=local(13, 30))
    assert not services.in_quiet_hours(start=time(13), end=time(14), now_local=local(14, 0))
    assert not services.in_quiet_hours(start=None, end=None, now_local=local(3, 0))


def test_a_switched_off_type_does_not_push(fake_fcm, user, other_user):
    DeviceFactory(user=user)
    PushSettings.objects.create(user=user, enabled_types=["comment"])
    assert services.notification_push(notification_id=like_notification(user, other_user).pk) == {"skipped": 1}
    assert fake_fcm.sent == []


def test_nothing_is_pushed_for_a_hidden_comment_or_to_yourself(fake_fcm, user, other_user):
    DeviceFactory(user=user)
    comment = CommentFactory(post=PostFactory(author=user), author=other_user)
    notification = Notification.objects.create(user=user, type="comment", actor=other_user, target_type="comment",
                                               target_id=str(comment.pk), data={"excerpt": comment.content})
    comment.is_hidden = True
    comment.save()
    assert services.notification_push(notification_id=notification.pk) == {"skipped": 1}
    own = Notification.objects.create(user=user, type="like", actor=user, target_type="post", target_id="p")
    assert services.notification_push(notification_id=own.pk) == {"skipped": 1}
    assert fake_fcm.sent == []


def test_a_like_through_the_api_reaches_the_authors_phone(fake_fcm, user, other_user,
                                                          django_capture_on_commit_callbacks):
    DeviceFactory(user=user)
    post = PostFactory(author=user)
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(other_user).post(f"/api/v1/community/posts/{post.pk}/like").status_code in (200, 201)
    assert len(fake_fcm.sent) == 1
    assert fake_fcm.sent[0]["body"]["message"]["data"]["type"] == "like"


def test_without_fcm_the_embedded_mode_prints_the_push(settings, user, other_user, capsys):
    settings.FCM_PROJECT_ID = ""
    device = DeviceFactory(user=user, language="en")
    services.notification_push(notification_id=like_notification(user, other_user).pk)
    printed = capsys.readouterr().out
    assert "PUSH" in printed and device.token[-8:] in printed and "liked your post" in printed


@pytest.mark.parametrize(("accept_language", "title"), [("ko-KR,ko;q=0.9", "새 좋아요"), ("en-GB,en;q=0.8", "New like"),
                                                        ("fr-FR", "새 좋아요")])
def test_a_phone_registered_in_a_language_is_pushed_in_it(fake_fcm, user, other_user, accept_language, title):
    """The phone's language comes from the Accept-Language it registered with (Korean unless English)."""
    registered = client_for(user).post("/api/v1/devices", {"token": "t" * 40, "platform": "ios"}, format="json",
                                       HTTP_ACCEPT_LANGUAGE=accept_language)
    assert registered.status_code == 201
    notification = like_notification(user, other_user)
    assert services.notification_push(notification_id=notification.pk)["sent"] == 1
    assert fake_fcm.sent[0]["body"]["message"]["notification"]["title"] == title
