from django.urls import path

from workouts import views

app_name = "workouts"

urlpatterns = [
    path("workouts", views.WorkoutListCreateView.as_view(), name="workout-list"),
    path("workouts/import", views.WorkoutImportView.as_view(), name="workout-import"),
    path("workouts/imports/<uuid:import_id>", views.WorkoutImportDetailView.as_view(), name="workout-import-detail"),
    path("workouts/<uuid:workout_id>", views.WorkoutDetailView.as_view(), name="workout-detail"),
    path("workouts/<uuid:workout_id>/points", views.WorkoutPointsView.as_view(), name="workout-points"),
    path("workouts/<uuid:workout_id>/pause", views.WorkoutPauseView.as_view(), name="workout-pause"),
    path("workouts/<uuid:workout_id>/resume", views.WorkoutResumeView.as_view(), name="workout-resume"),
    path("workouts/<uuid:workout_id>/complete", views.WorkoutCompleteView.as_view(), name="workout-complete"),
    path("workouts/<uuid:workout_id>/track", views.WorkoutTrackView.as_view(), name="workout-track"),
    path("workouts/<uuid:workout_id>/gpx", views.WorkoutGpxView.as_view(), name="workout-gpx"),
    # Beside accounts' exact `users/me`: no clash (Django matches whole paths).
    path("users/me/stats", views.UserStatsView.as_view(), name="user-stats"),
]
