from django.urls import path

from goals import views

app_name = "goals"

urlpatterns = [
    path("goals", views.GoalListCreateView.as_view(), name="goal-list"),
    path("goals/<uuid:goal_id>", views.GoalDetailView.as_view(), name="goal-detail"),
    path("goals/<uuid:goal_id>/progress", views.GoalProgressView.as_view(), name="goal-progress"),
]
