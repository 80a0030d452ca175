"""`manage.py import_osm PATH [--name NAME] [--regions REGIONS.json]`: build road networks from an OSM extract.

Reads .osm.pbf, .osm and .osm.bz2.

All of Korea: download an extract (e.g. Geofabrik's `south-korea-latest.osm.pbf`, ~273 MB) and run it on a
worker host, either whole (`import_osm south-korea-latest.osm.pbf --name Korea`) or split by region
(`--regions regions.json`, a list of {"name": "Seoul", "bbox": [min_lat, min_lon, max_lat, max_lon]}): one
network per region, each file holding the streets within its box grown by `--region-margin-km`, so a worker
serving Seoul maps only Seoul's file. README "Road networks" gives the time and memory to expect.

Re-importing under the same name replaces the network atomically: a new file is written, the row is switched
to it in one transaction, and the old file is deleted after the commit.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from routes.services import (
    REGION_MARGIN_M,
    RoadNetworkImportError,
    road_network_import,
    road_network_import_regions,
)


class Command(BaseCommand):
    help = "Import walkable ways of an OSM extract as a road network (a progress bar shows objects read)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="OSM extract: .osm.pbf, .osm or .osm.bz2")
        parser.add_argument("--name",
                            help="Network name (default: the file name); an existing one is replaced.")
        parser.add_argument("--regions", type=Path,
                            help='JSON list of {"name", "bbox": [min_lat, min_lon, max_lat, max_lon]}: one network '
                                 "per region instead of one for the whole extract.")
        parser.add_argument("--region-margin-km", type=float, default=REGION_MARGIN_M / 1000,
                            help="How far beyond its region each regional file reaches (default %(default)s km).")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar (logs, cron).")

    def handle(self, *args, path: str, name: str | None = None, regions: Path | None = None,
               region_margin_km: float = REGION_MARGIN_M / 1000, no_progress: bool = False, **options):
        region_list = _read_regions(regions) if regions is not None else None
        if region_list is not None and name:
            raise CommandError("--name names one network; with --regions each region's name is used.")
        # Two streaming passes: the first (ways) has no known total, so the bar counts objects and rate; the
        # second (the coordinates of the nodes those ways use) knows how many it looks for and sets the total.
        bar = tqdm(desc="Reading OSM", unit=" obj", unit_scale=True, file=self.stderr._out,
                   disable=no_progress, dynamic_ncols=True)

        def progress(done: int, total: int | None) -> None:
            if total is not None:
                bar.total = total
            bar.update(done - bar.n)

        try:
            if region_list is None:
                networks = [road_network_import(source_path=path, name=name, progress=progress)]
            else:
                networks = road_network_import_regions(source_path=path, regions=region_list,
                                                       margin_m=region_margin_km * 1000, progress=progress)
        except RoadNetworkImportError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        for network in networks:
            self.stdout.write(self.style.SUCCESS(
                f"Road network {network.name!r}: {network.node_count} nodes, {network.edge_count} edges, "
                f"bbox {network.min_lat:.4f},{network.min_lon:.4f} to "
                f"{network.max_lat:.4f},{network.max_lon:.4f}, "
                f"lit tagged on {network.lit_tagged_share:.0%} of its length, "
                f"built in {network.import_seconds} s "
                f"→ {network.path}"))


def _read_regions(path: Path) -> list[tuple[str, tuple[float, float, float, float]]]:
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
        regions = [(str(entry["name"]), tuple(float(v) for v in entry["bbox"])) for entry in entries]
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise CommandError(f"{path}: not a list of {{\"name\", \"bbox\": [4 numbers]}}: {exc}") from exc
    if not regions or any(len(bbox) != 4 for _name, bbox in regions):
        raise CommandError(f"{path}: every region needs a name and a bbox of 4 numbers")
    return regions  # type: ignore[return-value]
