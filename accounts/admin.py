"""Staff views of users, their activity and login codes."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.events import author_standing_changed
from accounts.models import ActivityLog, EmailOTP, EmailOTPFailure, User
from accounts.selectors import token_user_cache
from runnerway.admin_display import DeletedFilter


class UserCreationAdminForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "name"]


class UserChangeAdminForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    ordering = ["-created_at"]
    list_display = ["__str__", "name", "provider", "email_verified", "is_active", "is_staff", "created_at",
                    "deleted_at"]
    list_filter = ["provider", "is_active", "is_staff", "email_verified", DeletedFilter]
    # socialaccount__uid: users who signed up by email and later linked Kakao keep provider "email".
    search_fields = ["email", "deleted_email", "name", "provider_id", "socialaccount__uid"]
    readonly_fields = ["id", "created_at", "updated_at", "deleted_at", "deleted_email", "last_login"]
    actions = ["deactivate_users"]
    fieldsets = [
        (None, {"fields": ["id", "email", "password"]}),
        ("Profile", {"fields": ["name", "avatar", "weight_kg", "height_cm", "birth_year", "gender",
                                "timezone"]}),
        ("Login", {"fields": ["provider", "provider_id", "email_verified", "last_login"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["created_at", "updated_at", "deleted_at", "deleted_email"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "name", "password1", "password2"]})]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and {"is_active", "deleted_at"} & set(form.changed_data):
            author_standing_changed.send(sender=User, user_id=obj.pk)

    @admin.action(description=_("Deactivate selected users (their tokens stop working)"))
    def deactivate_users(self, request, queryset):
        deactivated = list(queryset.filter(is_active=True).values_list("pk", flat=True))
        updated = User.objects.filter(pk__in=deactivated).update(is_active=False, updated_at=timezone.now())
        token_user_cache.invalidate(deactivated)  # update() sends no post_save: their tokens stop working now
        for user_id in deactivated:
            author_standing_changed.send(sender=User, user_id=user_id)
        self.message_user(request, ngettext("%(count)d user deactivated.", "%(count)d users deactivated.", updated)
                          % {"count": updated}, messages.SUCCESS)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written by the system: staff may look, not edit."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ActivityLog)
class ActivityLogAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "user", "ip"]
    list_filter = ["action"]
    search_fields = ["user__email", "user__deleted_email", "ip"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"


@admin.register(EmailOTP)
class EmailOTPAdmin(ReadOnlyAdmin):
    # Neither code column is shown: support staff must not be able to read or replay a code.
    list_display = ["email", "created_at", "expires_at", "sent_at", "used_at", "failed_attempts"]
    fields = list_display
    search_fields = ["email"]


@admin.register(EmailOTPFailure)
class EmailOTPFailureAdmin(ReadOnlyAdmin):
    """Wrong codes and where they came from: who is guessing at whose email."""

    list_display = ["created_at", "email", "client_address"]
    fields = list_display
    search_fields = ["email", "client_address"]
    date_hierarchy = "created_at"
