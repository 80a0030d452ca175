"""Models of the routes app."""
