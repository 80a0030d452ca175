"""`manage.py import_osm PATH [--name NAME]`: build a road network from an OSM extract.

Reads .osm.pbf, .osm and .osm.bz2.

Seoul or all of Korea: download an extract (e.g. Geofabrik's `south-korea-latest.osm.pbf`, ~200 MB) and run
`manage.py import_osm south-korea-latest.osm.pbf --name Korea` on a worker host (minutes; the admin's background
import is meant for city-sized extracts). Route requests then pick the smallest active network covering the start.

Re-importing under the same name replaces the network atomically: a new file is written, the row is switched
to it in one transaction, and the old file is deleted after the commit.
"""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from routes.services import RoadNetworkImportError, road_network_import


class Command(BaseCommand):
    help = "Import walkable ways of an OSM extract as a road network (a progress bar shows objects read)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="OSM extract: .osm.pbf, .osm or .osm.bz2")
        parser.add_argument("--name",
                            help="Network name (default: the file name); an existing one is replaced.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar (logs, cron).")

    def handle(self, *args, path: str, name: str | None = None, no_progress: bool = False, **options):
        # One streaming pass: the object total is unknown until the end, so the bar counts objects and rate.
        bar = tqdm(desc="Reading OSM", unit=" obj", unit_scale=True, file=self.stderr._out,
                   disable=no_progress, dynamic_ncols=True)

        def progress(done: int, total: int | None) -> None:
            if total is not None:
                bar.total = total
            bar.update(done - bar.n)

        try:
            network = road_network_import(source_path=path, name=name, progress=progress)
        except RoadNetworkImportError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        self.stdout.write(self.style.SUCCESS(
            f"Road network {network.name!r}: {network.node_count} nodes, {network.edge_count} edges, "
            f"bbox {network.min_lat:.4f},{network.min_lon:.4f} to "
            f"{network.max_lat:.4f},{network.max_lon:.4f}, "
            f"lit tagged on {network.lit_tagged_share:.0%} of its length, "
            f"built in {network.import_seconds} s "
            f"→ {network.path}"))
