"""Fixtures the operations tests borrow from the routes app (a synthetic street grid imported for real)."""

from routes.tests.conftest import grid_network, grid_osm_file, network_dir  # noqa: F401
