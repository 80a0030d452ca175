"""Erasing a deleted account (PIPA / GDPR: deletion means deletion): the one job that removes a runner's data.

`user_soft_delete` (the DELETE /users/me request) ends the sessions and blanks the public profile at once, and
queues `operations.tasks.erase_deleted_account` on commit. That job runs `account_erase`, which removes, in order:

1. community (community.services.user_community_erase): their posts (with the likes and comments on them), their
   likes and comments (the counters of others' posts move; a comment another runner answered later stays,
   emptied, shown as "Deleted runner"), their follows both ways (the other side's counts move), every
   notification they caused or received;
2. their workouts: GPS points, pauses, stats and records rows, daily activity rows, then the workouts;
3. their workout imports, with any uploaded file still waiting on disk;
4. their routes with every option (a copy another runner saved stays that runner's: it is a separate route,
   and the counters of routes others shared move when the runner's copies and runs go);
5. their push devices and push settings, their data exports (the zip files too), their goals, their activity
   log, their allauth social accounts and email addresses, the email login codes of their address;
6. the account row is kept, anonymous (no email, no provider id, no password), so that kept comments still
   have an author: its id, `created_at`, `deleted_at` and `erased_at` remain.

Each step deletes in batches of at most `batch_size` rows, each batch in its own short transaction (files are
deleted before their rows: a crash between the two leaves a row without a file, which the next run deletes), so
the job is resumable and never holds locks long. Every step selects what is left, so running it again, or after
a crash, continues where it stopped and changes nothing once done. `erased_at` is written last.

When: the job is queued as the deletion commits and normally finishes within seconds. If it fails or the
worker was down, the hourly cleanup (operations.maintenance.cleanup_deleted_accounts_erase) queues it again for
every deleted account without `erased_at`: personal data is gone within 2 hours of the deletion while the
worker runs (the README's Privacy section).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, make_password
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.models import DEFAULT_ZONE_SIZE_M, ActivityLog, EmailOTP, EmailOTPFailure, User
from accounts.selectors import token_user_cache
from community.services import user_community_erase
from data_export.models import DataExport
from goals.models import Goal
from push.models import Device, PushSettings
from routes.models import Route, RouteOption
from routes.services import route_refresh_discover_counters
from runnerway.models import DailyUserActivity
from workouts.models import UserStats, Workout, WorkoutImport, WorkoutPause, WorkoutPoint
from workouts.services import import_storage

logger = logging.getLogger(__name__)

ERASE_BATCH = 500  # rows per transaction: ~10 ms of locks on SQLite or InnoDB


@dataclass
class AccountErasure:
    """Rows (and files) removed per step; `finished` when every step ran to its end and `erased_at` is set."""

    counts: dict[str, int] = field(default_factory=dict)
    finished: bool = False

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _in_batches(queryset, *, batch_size: int, before_delete: Callable[[list], None] | None = None,
                after_delete: Callable[[list], None] | None = None) -> int:
    """Delete the rows of `queryset` (re-evaluated each round), `batch_size` primary keys per transaction.
    `before_delete(pks)` runs before the batch's transaction (file removal), `after_delete(pks_rows)` inside
    it after the delete (counter recounts). Returns the rows deleted (cascades included)."""
    model = queryset.model
    removed = 0
    while True:
        pks = list(queryset.order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not pks:
            return removed
        if before_delete is not None:
            before_delete(pks)
        with transaction.atomic():
            removed += model.objects.filter(pk__in=pks).delete()[0]
            if after_delete is not None:
                after_delete(pks)


def _delete_files(storage, names) -> None:
    for name in names:
        if name:
            storage.delete(name)  # a missing file is no error (FileSystemStorage)


def _erase_community(user, batch_size: int) -> int:
    with transaction.atomic():
        return user_community_erase(user=user).total



class _SharedSourceCounters:
    """Before a batch is deleted: which shared routes of other runners its rows counted for (the runner's copies
    saved from them); after: recount those routes' saves and runs. `route_ids_of(pks)` gives the runner's routes
    that the batch's rows stand on."""

    def __init__(self, route_ids_of, *, user):
        self.route_ids_of, self.user, self.sources = route_ids_of, user, set()

    def note(self, pks) -> None:
        self.sources = set(Route.objects.filter(pk__in=set(self.route_ids_of(pks)), copied_from__isnull=False)
                           .exclude(copied_from__user_id=self.user.pk).values_list("copied_from_id", flat=True))

    def recount(self, pks) -> None:
        for source_id in sorted(self.sources, key=str):
            route_refresh_discover_counters(route_id=source_id)

def _erase_workouts(user, batch_size: int) -> int:
    removed = UserStats.objects.filter(user_id=user.pk).delete()[0]  # it points at the workouts (records)
    removed += _in_batches(DailyUserActivity.objects.filter(user_id=user.pk), batch_size=batch_size)
    # The points first, in batches: a runner has hundreds of thousands of them, one cascade would be one long
    # transaction.
    removed += _in_batches(WorkoutPoint.objects.filter(workout__user_id=user.pk), batch_size=batch_size)
    removed += _in_batches(WorkoutPause.objects.filter(workout__user_id=user.pk), batch_size=batch_size)

    # The shared routes these runs counted for (routes of others the runner saved a copy of), recounted in the
    # deleting transaction.
    counted = _SharedSourceCounters(lambda pks: Workout.objects.filter(pk__in=pks, route__isnull=False)
                                    .values_list("route_id", flat=True), user=user)
    removed += _in_batches(Workout.objects.filter(user_id=user.pk), batch_size=batch_size,
                           before_delete=counted.note, after_delete=counted.recount)
    return removed


def _erase_workout_imports(user, batch_size: int) -> int:
    def delete_uploads(pks) -> None:
        _delete_files(import_storage(), WorkoutImport.objects.filter(pk__in=pks).values_list("upload_name", flat=True))

    return _in_batches(WorkoutImport.objects.filter(user_id=user.pk), batch_size=batch_size,
                       before_delete=delete_uploads)


def _erase_routes(user, batch_size: int) -> int:
    # Options first (the bulky paths), then the routes; the copies others saved point here with SET_NULL.
    removed = _in_batches(RouteOption.objects.filter(route__user_id=user.pk), batch_size=batch_size)
    counted = _SharedSourceCounters(lambda pks: pks, user=user)
    removed += _in_batches(Route.objects.filter(user_id=user.pk), batch_size=batch_size,
                           before_delete=counted.note, after_delete=counted.recount)
    return removed


def _erase_devices(user, batch_size: int) -> int:
    removed = _in_batches(Device.objects.filter(user_id=user.pk), batch_size=batch_size)
    return removed + PushSettings.objects.filter(user_id=user.pk).delete()[0]


def _erase_data_exports(user, batch_size: int) -> int:
    def delete_zips(pks) -> None:
        for export in DataExport.objects.filter(pk__in=pks).exclude(file=""):
            export.file.storage.delete(export.file.name)

    return _in_batches(DataExport.objects.filter(user_id=user.pk), batch_size=batch_size, before_delete=delete_zips)


def _erase_goals(user, batch_size: int) -> int:
    return _in_batches(Goal.objects.filter(user_id=user.pk), batch_size=batch_size)


def _erase_activity_log(user, batch_size: int) -> int:
    return _in_batches(ActivityLog.objects.filter(user_id=user.pk), batch_size=batch_size)


def _erase_logins(user, batch_size: int) -> int:
    """allauth's rows (social accounts, email addresses) and the login codes sent to the account's address."""

    removed = SocialAccount.objects.filter(user_id=user.pk).delete()[0]
    removed += EmailAddress.objects.filter(user_id=user.pk).delete()[0]
    if user.deleted_email:
        email = user.deleted_email.lower()
        removed += _in_batches(EmailOTPFailure.objects.filter(email=email), batch_size=batch_size)
        removed += _in_batches(EmailOTP.objects.filter(email=email), batch_size=batch_size)
    return removed


def _erase_avatar(user, batch_size: int) -> int:
    """The avatar file, when the deleting request's on-commit removal did not happen (a crash, an old
    deletion)."""
    if not user.avatar:
        return 0
    user.avatar.storage.delete(user.avatar.name)
    type(user).objects.filter(pk=user.pk).update(avatar="")
    return 1


ERASE_STEPS: dict[str, Callable[..., int]] = {
    "community": _erase_community,
    "workouts": _erase_workouts,
    "workout_imports": _erase_workout_imports,
    "routes": _erase_routes,
    "devices": _erase_devices,
    "data_exports": _erase_data_exports,
    "goals": _erase_goals,
    "activity_log": _erase_activity_log,
    "logins": _erase_logins,
    "avatar": _erase_avatar,
}


def _anonymise_account(user) -> int:
    """The kept row: nothing left that names the runner. Returns 1 when it changed anything."""
    changes = {"deleted_email": "", "provider_id": "", "name": "", "avatar": "", "weight_kg": None,
               "height_cm": None, "birth_year": None, "gender": "", "last_login": None,
               "privacy_zone_m": DEFAULT_ZONE_SIZE_M}
    stored = User.objects.filter(pk=user.pk).values(*changes, "password").first()
    usable = not stored["password"].startswith(UNUSABLE_PASSWORD_PREFIX)
    differs = usable or any(stored[name] != value for name, value in changes.items())
    if differs:
        User.objects.filter(pk=user.pk).update(**changes, password=make_password(None), updated_at=timezone.now())
        token_user_cache.invalidate([user.pk])  # update() sends no post_save: no cached copy keeps the old name
    return int(differs)


def account_erase(*, user_id, batch_size: int = ERASE_BATCH) -> AccountErasure:
    """Remove the personal data of the deleted account `user_id` (the module docstring says what and how).
    Idempotent and resumable; nothing for an account that is not deleted (or does not exist)."""
    report = AccountErasure()
    user = User.objects.filter(pk=user_id, deleted_at__isnull=False).first()
    if user is None:
        return report
    for name, step in ERASE_STEPS.items():
        report.counts[name] = step(user, batch_size)
    report.counts["account"] = _anonymise_account(user)
    if user.erased_at is None:
        User.objects.filter(pk=user.pk).update(erased_at=timezone.now())
    report.finished = True
    if report.total:
        logger.info("erased account %s: %s", user.pk, report.counts)
    return report


def accounts_pending_erase():
    """Deleted accounts whose erase has not finished — or that got an activity-log row after it (the deleting
    request's own log is written by a queued task that may run after the erase)."""

    late_log = Exists(ActivityLog.objects.filter(user_id=OuterRef("pk")))
    return User.objects.filter(Q(erased_at__isnull=True) | late_log, deleted_at__isnull=False)
