"""Fixtures the operations tests borrow from the apps (a synthetic street grid imported for real, the shape
catalog)."""

from routes.tests.conftest import grid_network, grid_osm_file, network_dir, shapes  # noqa: F401
