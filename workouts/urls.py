from django.urls import path  # noqa: F401

app_name = "workouts"
urlpatterns: list = []
