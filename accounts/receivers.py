"""Cached user rows are forgotten whenever a user row is written (see accounts.selectors.token_user_cache), and
remembered verified tokens when the signing settings change (override_settings in tests)."""

from django.core.signals import setting_changed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.authentication import _verified_tokens
from accounts.models import User
from accounts.selectors import token_user_cache


@receiver([post_save, post_delete], sender=User, dispatch_uid="accounts.forget_cached_user")
def forget_cached_user(sender, instance: User, **kwargs) -> None:
    token_user_cache.invalidate([instance.pk])


@receiver(setting_changed, dispatch_uid="accounts.forget_verified_tokens")
def forget_verified_tokens(sender, setting: str, **kwargs) -> None:
    if setting in ("SIMPLE_JWT", "SECRET_KEY"):
        _verified_tokens.clear()
