from django.urls import path

from community import views

app_name = "community"

urlpatterns = [
    path("community/posts", views.PostListCreateView.as_view(), name="post-list"),
    path("community/posts/<uuid:post_id>", views.PostDetailView.as_view(), name="post-detail"),
    path("community/posts/<uuid:post_id>/like", views.PostLikeView.as_view(), name="post-like"),
    path("community/posts/<uuid:post_id>/comments", views.PostCommentsView.as_view(), name="post-comments"),
    path("community/posts/<uuid:post_id>/track", views.PostTrackView.as_view(), name="post-track"),
    path("community/posts/<uuid:post_id>/route.svg", views.PostRoutePreviewView.as_view(),
         name="post-route-preview"),
    path("community/posts/<uuid:post_id>/route.gpx", views.PostRouteGpxView.as_view(), name="post-route-gpx"),
    path("community/posts/<uuid:post_id>/save-route", views.PostSaveRouteView.as_view(), name="post-save-route"),
    path("community/comments/<uuid:comment_id>", views.CommentDetailView.as_view(), name="comment-detail"),
    path("routes/discover", views.RouteDiscoverView.as_view(), name="route-discover"),
    path("users/<uuid:user_id>", views.PublicProfileView.as_view(), name="public-profile"),
    path("users/<uuid:user_id>/follow", views.UserFollowView.as_view(), name="user-follow"),
    path("notifications", views.NotificationListView.as_view(), name="notification-list"),
    path("notifications/read-all", views.NotificationReadAllView.as_view(), name="notification-read-all"),
    path("notifications/<uuid:notification_id>/read", views.NotificationReadView.as_view(),
         name="notification-read"),
]
