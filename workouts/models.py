"""Models of the workouts app."""
