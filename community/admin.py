"""Staff tools: every community model, with search and filters; posts and comments can be hidden (moderation).

Hiding goes through `community.services` so `comment_count` follows the comments that are not hidden.
"""

from django.contrib import admin, messages

from community import services
from community.models import Comment, Follow, Like, Notification, Post, UserCounters


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["id", "author", "short_content", "visibility", "like_count", "comment_count", "is_hidden",
                    "created_at"]
    list_filter = ["visibility", "is_hidden", "created_at"]
    search_fields = ["content", "author__email", "author__name", "id"]
    raw_id_fields = ["author", "workout", "route", "route_option"]
    readonly_fields = ["like_count", "comment_count", "created_at", "updated_at"]
    date_hierarchy = "created_at"
    actions = ["hide", "unhide"]

    @admin.display(description="content")
    def short_content(self, post: Post) -> str:
        return post.content[:60]

    @admin.action(description="Hide selected posts (gone from every feed and endpoint)")
    def hide(self, request, queryset):
        changed = services.posts_set_hidden(post_ids=queryset.values_list("pk", flat=True), hidden=True)
        self.message_user(request, f"{changed} post(s) hidden.", messages.SUCCESS)

    @admin.action(description="Unhide selected posts")
    def unhide(self, request, queryset):
        changed = services.posts_set_hidden(post_ids=queryset.values_list("pk", flat=True), hidden=False)
        self.message_user(request, f"{changed} post(s) shown again.", messages.SUCCESS)


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["id", "author", "post", "short_content", "is_hidden", "created_at"]
    list_filter = ["is_hidden", "created_at"]
    search_fields = ["content", "author__email", "author__name", "post__id"]
    raw_id_fields = ["author", "post"]
    # Hiding must move the post's comment_count: use the actions, not the checkbox.
    readonly_fields = ["is_hidden", "created_at", "updated_at"]
    date_hierarchy = "created_at"
    actions = ["hide", "unhide"]

    @admin.display(description="content")
    def short_content(self, comment: Comment) -> str:
        return comment.content[:60]

    @admin.action(description="Hide selected comments")
    def hide(self, request, queryset):
        changed = services.comments_set_hidden(comment_ids=queryset.values_list("pk", flat=True), hidden=True)
        self.message_user(request, f"{changed} comment(s) hidden.", messages.SUCCESS)

    @admin.action(description="Unhide selected comments")
    def unhide(self, request, queryset):
        changed = services.comments_set_hidden(comment_ids=queryset.values_list("pk", flat=True), hidden=False)
        self.message_user(request, f"{changed} comment(s) shown again.", messages.SUCCESS)


@admin.register(Like)
class LikeAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "post", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["user__email", "post__id"]
    raw_id_fields = ["user", "post"]

    def has_add_permission(self, request) -> bool:
        return False  # created through the API only, where the like_count moves with them


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ["id", "follower", "followee", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["follower__email", "followee__email", "follower__name", "followee__name"]
    raw_id_fields = ["follower", "followee"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(UserCounters)
class UserCountersAdmin(admin.ModelAdmin):
    list_display = ["user", "follower_count", "following_count"]
    search_fields = ["user__email", "user__name"]
    raw_id_fields = ["user"]
    readonly_fields = ["follower_count", "following_count"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "type", "actor", "target_type", "target_id", "read_at", "created_at"]
    list_filter = ["type", ("read_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["user__email", "actor__email", "target_id", "dedupe_key"]
    raw_id_fields = ["user", "actor"]
    readonly_fields = ["dedupe_key", "created_at"]
