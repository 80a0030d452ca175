"""Staff tools: every community model, with search and filters; posts and comments can be hidden (moderation).

Hiding goes through `community.services` so `comment_count` follows the comments that are not hidden. Posts,
comments, likes, follows, counters and notifications are written by the app only: staff look and moderate.
"""

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from community import services
from community.models import Comment, Follow, Like, Notification, Post, UserCounters
from runnerway.admin_display import person

# Enough to read a comment or a post in the list (the limits are 500 and 2 000 characters); the cell wraps.
LIST_TEXT_CHARS = 300


class SystemRowsAdmin(admin.ModelAdmin):
    """Rows only the app creates: no "Add" button."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False


def _wrapped_text(text: str) -> str:
    # The admin's cells do not wrap by default; a long comment would push the list past 1440 px.
    return format_html('<span class="rw-wrap" style="white-space: normal; display: block; min-width: 16em; '
                       'max-width: 40em">{}</span>', Truncator(text).chars(LIST_TEXT_CHARS))


class CommentInline(admin.TabularInline):
    model = Comment
    fields = ["created_at", "author_name", "content", "is_hidden"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["created_at"]
    show_change_link = True  # hiding is an action of the comment list

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("author"))
    def author_name(self, comment: Comment) -> str:
        return person(comment.author)


@admin.register(Post)
class PostAdmin(SystemRowsAdmin):
    list_display = ["__str__", "author_name", "text", "visibility", "like_count", "comment_count", "is_hidden",
                    "created_at"]
    list_filter = ["visibility", "is_hidden", "created_at"]
    list_select_related = ["author"]
    search_fields = ["content", "author__email", "author__name", "=id"]
    raw_id_fields = ["author", "workout", "route", "route_option"]
    readonly_fields = ["author", "workout", "route", "route_option", "like_count", "comment_count",
                       "shape_slug", "other_shape_slug", "popularity", "is_hidden", "created_at", "updated_at"]
    date_hierarchy = "created_at"
    actions = ["hide", "unhide"]
    inlines = [CommentInline]

    @admin.display(description=_("author"), ordering="author__name")
    def author_name(self, post: Post) -> str:
        return person(post.author)

    @admin.display(description=_("text"))
    def text(self, post: Post) -> str:
        return _wrapped_text(post.content)

    @admin.action(description=_("Hide selected posts (gone from every feed and endpoint)"))
    def hide(self, request, queryset):
        changed = services.posts_set_hidden(post_ids=queryset.values_list("pk", flat=True), hidden=True)
        self.message_user(request, ngettext("%(count)d post hidden.", "%(count)d posts hidden.", changed)
                          % {"count": changed}, messages.SUCCESS)

    @admin.action(description=_("Unhide selected posts"))
    def unhide(self, request, queryset):
        changed = services.posts_set_hidden(post_ids=queryset.values_list("pk", flat=True), hidden=False)
        self.message_user(request, ngettext("%(count)d post shown again.", "%(count)d posts shown again.",
                                            changed) % {"count": changed}, messages.SUCCESS)


@admin.register(Comment)
class CommentAdmin(SystemRowsAdmin):
    list_display = ["created_at", "author_name", "text", "post_link", "is_hidden"]
    ordering = ["-created_at"]  # moderators read the newest first
    list_display_links = ["created_at"]
    list_filter = ["is_hidden", "created_at"]
    list_select_related = ["author", "post__author"]
    search_fields = ["content", "author__email", "author__name", "post__id"]
    raw_id_fields = ["author", "post"]
    # Hiding must move the post's comment_count: use the actions, not the checkbox.
    readonly_fields = ["author", "post", "is_hidden", "created_at", "updated_at"]
    date_hierarchy = "created_at"
    actions = ["hide", "unhide"]

    @admin.display(description=_("author"), ordering="author__name")
    def author_name(self, comment: Comment) -> str:
        return person(comment.author)

    @admin.display(description=_("comment"))
    def text(self, comment: Comment) -> str:
        return _wrapped_text(comment.content)

    @admin.display(description=_("on post"))
    def post_link(self, comment: Comment) -> str:
        from django.urls import reverse

        return format_html('<a href="{}">{}</a>', reverse("admin:community_post_change", args=[comment.post_id]),
                           Truncator(str(comment.post)).chars(60))

    @admin.action(description=_("Hide selected comments"))
    def hide(self, request, queryset):
        changed = services.comments_set_hidden(comment_ids=queryset.values_list("pk", flat=True), hidden=True)
        self.message_user(request, ngettext("%(count)d comment hidden.", "%(count)d comments hidden.", changed)
                          % {"count": changed}, messages.SUCCESS)

    @admin.action(description=_("Unhide selected comments"))
    def unhide(self, request, queryset):
        changed = services.comments_set_hidden(comment_ids=queryset.values_list("pk", flat=True), hidden=False)
        self.message_user(request, ngettext("%(count)d comment shown again.", "%(count)d comments shown again.",
                                            changed) % {"count": changed}, messages.SUCCESS)


@admin.register(Like)
class LikeAdmin(SystemRowsAdmin):
    # created through the API only, where the like_count moves with them
    list_display = ["created_at", "user", "post"]
    list_filter = ["created_at"]
    list_select_related = ["user", "post__author"]
    search_fields = ["user__email", "user__name", "post__id"]
    raw_id_fields = ["user", "post"]


@admin.register(Follow)
class FollowAdmin(SystemRowsAdmin):
    list_display = ["created_at", "follower", "followee"]
    list_filter = ["created_at"]
    list_select_related = ["follower", "followee"]
    search_fields = ["follower__email", "followee__email", "follower__name", "followee__name"]
    raw_id_fields = ["follower", "followee"]


@admin.register(UserCounters)
class UserCountersAdmin(SystemRowsAdmin):
    list_display = ["user", "follower_count", "following_count"]
    list_select_related = ["user"]
    search_fields = ["user__email", "user__name"]
    readonly_fields = ["user", "follower_count", "following_count"]


@admin.register(Notification)
class NotificationAdmin(SystemRowsAdmin):
    list_display = ["__str__", "type", "recipient", "actor_name", "target_type", "read_at", "created_at"]
    list_filter = ["type", ("read_at", admin.EmptyFieldListFilter), "created_at"]
    list_select_related = ["user", "actor"]
    search_fields = ["user__email", "user__name", "actor__email", "target_id", "dedupe_key"]
    raw_id_fields = ["user", "actor"]
    readonly_fields = ["user", "type", "actor", "target_type", "target_id", "data", "dedupe_key", "read_at",
                       "created_at"]

    @admin.display(description=_("recipient"), ordering="user__name")
    def recipient(self, notification: Notification) -> str:
        return person(notification.user)

    @admin.display(description=_("actor"), ordering="actor__name")
    def actor_name(self, notification: Notification) -> str:
        return person(notification.actor)
