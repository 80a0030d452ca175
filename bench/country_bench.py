"""Country-size road networks: does planning cost follow the route or the network? (issue 16 §1)

    python bench/country_bench.py [--tiles 1,100,1024] [--rebuild] [--runs 2]
    python bench/country_bench.py --import-bench SIDE   # the OSM importer on a SIDE x SIDE tiled extract

The tiled-city method: the real Helsinki demo streets (`.cache/osm/Helsinki.osm.pbf`, imported with the normal
importer) copied into a K x K grid of tiles, neighbouring tiles joined by edges between their border nodes so
the whole is one connected component. Each tiled network is written by streaming (`GraphFileWriter`, one tile at
a time; only the node coordinates are held whole, for the grid index), in a child process whose peak RSS is
reported. Networks are kept under var/country_bench/ and rebuilt only with --rebuild or when missing.

For each size, in a fresh child process: the first request (map the file + plan a 3 km heart, after the
process's one-off catalogue warm-up, as a worker does at start), then warm p50/p95 of a 3 km heart and circle
from three starts in the middle tile, as a ratio to the 1x network measured in the same run. Then four worker
processes plan on the largest network at once and their RSS / PSS / private memory (/proc/<pid>/smaps_rollup)
is printed. Targets (issue 16): the >= 1000x network within 1.3x of 1x, first request <= 1 s.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from routes.planner.geometry import haversine_m  # noqa: E402
from routes.planner.graph import (  # noqa: E402
    _ARRAY_DTYPES,
    FORMAT_VERSION,
    LIT_UNKNOWN,
    GraphFileWriter,
    HighwayClass,
    RoadGraph,
    build_grid_index,
)

SAMPLE_PBF = ROOT / ".cache" / "osm" / "Helsinki.osm.pbf"
OUT_DIR = ROOT / "var" / "country_bench"
BORDER_BANDS = 6  # join edges per tile side
TILE_GAP_M = 40.0  # between neighbouring tiles: the join edges are at least this long
TARGET_KM = 3.0
SHAPES = ("heart", "circle")
# Offsets (metres east, north) of the starts from the tile's centre node: the sample is only ~1.0 x 1.6 km.
START_OFFSETS_M = ((0.0, 0.0), (150.0, 0.0), (0.0, -150.0))


def base_graph() -> RoadGraph:
    from routes.planner.osm_import import build_graph_from_osm

    return build_graph_from_osm(SAMPLE_PBF)


def _border(values: np.ndarray, across: np.ndarray, pick_max: bool) -> np.ndarray:
    """Per band of `across`, the node with the largest (or smallest) `values`: a tile's side nodes."""
    lo, hi = float(across.min()), float(across.max())
    band = np.minimum(((across - lo) / max(hi - lo, 1e-12) * BORDER_BANDS).astype(np.int64), BORDER_BANDS - 1)
    picks = []
    for k in range(BORDER_BANDS):
        members = np.flatnonzero(band == k)
        if len(members):
            picks.append(members[np.argmax(values[members]) if pick_max else np.argmin(values[members])])
        else:
            picks.append(-1)
    return np.array(picks, dtype=np.int64)


def build_tiled(base: RoadGraph, side: int, path: Path) -> dict:
    """Write a side x side tiling of `base` to `path` by streaming; returns the build figures."""
    started, cpu_started = time.perf_counter(), time.process_time()
    n1, e1 = base.node_count, base.edge_count
    tiles = side * side
    lat1, lon1 = np.asarray(base.node_lat), np.asarray(base.node_lon)
    min_lat, min_lon, max_lat, max_lon = base.bbox
    gap_lat = TILE_GAP_M / 111_195.0
    tile_lat = max_lat - min_lat + gap_lat
    gap_lon = TILE_GAP_M / (111_195.0 * math.cos(math.radians(max_lat + tile_lat * side)))
    tile_lon = max_lon - min_lon + gap_lon
    east, west = _border(lon1, lat1, True), _border(lon1, lat1, False)
    north, south = _border(lat1, lon1, True), _border(lat1, lon1, False)

    # Join edges (few: 2 * side * (side - 1) * bands), all in memory; ids after every tile's own edges.
    join_u, join_v = [], []
    for i in range(side):
        for j in range(side):
            t = i * side + j
            for k in range(BORDER_BANDS):
                if j + 1 < side and east[k] >= 0 and west[k] >= 0:
                    join_u.append(t * n1 + east[k])
                    join_v.append((t + 1) * n1 + west[k])
                if i + 1 < side and north[k] >= 0 and south[k] >= 0:
                    join_u.append(t * n1 + north[k])
                    join_v.append((t + side) * n1 + south[k])
    join_u, join_v = np.array(join_u, dtype=np.int64), np.array(join_v, dtype=np.int64)
    join_count = len(join_u)

    def tile_coords(t: int) -> tuple[np.ndarray, np.ndarray]:
        i, j = divmod(t, side)
        return lat1 + i * tile_lat, lon1 + j * tile_lon

    def coords_of(global_nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        t, local = np.divmod(global_nodes, n1)
        i, j = np.divmod(t, side)
        return lat1[local] + i * tile_lat, lon1[local] + j * tile_lon

    ju_lat, ju_lon = coords_of(join_u)
    jv_lat, jv_lon = coords_of(join_v)
    join_length = haversine_m(ju_lat, ju_lon, jv_lat, jv_lon)

    n_nodes, n_edges = tiles * n1, tiles * e1 + join_count
    lengths = {key: n_edges for key in _ARRAY_DTYPES}
    lengths.update(node_lat=n_nodes, node_lon=n_nodes, node_osm_id=n_nodes, indptr=n_nodes + 1,
                   adj_node=2 * n_edges, adj_edge=2 * n_edges, grid_node=n_nodes)
    all_lat = np.empty(n_nodes, dtype=np.float64)  # kept whole for the grid index: 16 bytes a node
    all_lon = np.empty(n_nodes, dtype=np.float64)
    base_u, base_v = np.asarray(base.edge_u, np.int64), np.asarray(base.edge_v, np.int64)
    base_deg = np.diff(np.asarray(base.indptr))
    base_src = np.repeat(np.arange(n1), base_deg)
    base_adj_node, base_adj_edge = np.asarray(base.adj_node, np.int64), np.asarray(base.adj_edge, np.int64)
    join_ids = tiles * e1 + np.arange(join_count)
    total_m = lit_tagged_m = 0.0
    adj_written = 0
    for t in range(tiles):
        all_lat[t * n1:(t + 1) * n1], all_lon[t * n1:(t + 1) * n1] = tile_coords(t)
    grid_meta, grid = build_grid_index(all_lat, all_lon)  # its cell count sizes two of the file's arrays
    lengths.update(grid_cell_key=len(grid["grid_cell_key"]), grid_cell_start=len(grid["grid_cell_start"]))
    with GraphFileWriter(path, lengths) as writer:
        for key in ("grid_node", "grid_cell_key", "grid_cell_start"):
            writer.write(key, 0, grid[key])
        del grid
        writer.write("node_lat", 0, all_lat)
        writer.write("node_lon", 0, all_lon)
        for t in range(tiles):
            node0, edge0 = t * n1, t * e1
            lat, lon = all_lat[node0:node0 + n1], all_lon[node0:node0 + n1]
            writer.write("node_osm_id", node0, np.asarray(base.node_osm_id) + t * 10_000_000_000)
            length = haversine_m(lat[base_u], lon[base_u], lat[base_v], lon[base_v]).astype(np.float32)
            writer.write("edge_u", edge0, base_u + node0)
            writer.write("edge_v", edge0, base_v + node0)
            writer.write("edge_length_m", edge0, length)
            for key in ("edge_highway", "edge_lit", "edge_flags", "edge_name_idx"):
                writer.write(key, edge0, getattr(base, key))
            total_m += float(length.sum(dtype=np.float64))
            lit_tagged_m += float(length[np.asarray(base.edge_lit) != LIT_UNKNOWN].sum(dtype=np.float64))
            # This tile's CSR rows: its own adjacency plus the join edges touching it.
            touching_u = (join_u >= node0) & (join_u < node0 + n1)
            touching_v = (join_v >= node0) & (join_v < node0 + n1)
            src = np.concatenate([base_src, join_u[touching_u] - node0, join_v[touching_v] - node0])
            dst = np.concatenate([base_adj_node + node0, join_v[touching_u], join_u[touching_v]])
            eid = np.concatenate([base_adj_edge + edge0, join_ids[touching_u], join_ids[touching_v]])
            order = np.argsort(src, kind="stable")
            counts = np.bincount(src, minlength=n1)
            writer.write("indptr", node0, adj_written + np.concatenate([[0], np.cumsum(counts)[:-1]]))
            writer.write("adj_node", adj_written, dst[order])
            writer.write("adj_edge", adj_written, eid[order])
            adj_written += len(src)
            if t % max(tiles // 20, 1) == 0:
                print(f"  build {side}x{side}: tile {t + 1}/{tiles}", file=sys.stderr, flush=True)
        writer.write("indptr", n_nodes, [adj_written])
        e_tail = tiles * e1
        writer.write("edge_u", e_tail, join_u)
        writer.write("edge_v", e_tail, join_v)
        writer.write("edge_length_m", e_tail, join_length)
        writer.write("edge_highway", e_tail, np.full(join_count, HighwayClass.RESIDENTIAL))
        writer.write("edge_lit", e_tail, np.full(join_count, LIT_UNKNOWN))
        writer.write("edge_flags", e_tail, np.zeros(join_count))
        writer.write("edge_name_idx", e_tail, np.full(join_count, -1))
        total_m += float(join_length.sum())
        meta = {
            "format_version": FORMAT_VERSION, "node_count": n_nodes, "edge_count": n_edges,
            "total_length_m": round(total_m, 1),
            "lit_tagged_share": round(lit_tagged_m / total_m, 4) if total_m > 0 else 0.0,
            "bbox": [float(all_lat.min()), float(all_lon.min()), float(all_lat.max()), float(all_lon.max())],
            "highway_classes": {member.name.lower(): int(member) for member in HighwayClass},
            "grid": grid_meta, "source": f"{SAMPLE_PBF.name} tiled {side}x{side}",
        }
        writer.finish(meta=meta, names=base.names, names_ko=base.names_ko, names_en=base.names_en,
                      places=base.places)
    return {"tiles": tiles, "nodes": n_nodes, "edges": n_edges, "build_s": time.perf_counter() - started,
            "build_cpu_s": time.process_time() - cpu_started, "file_bytes": path.stat().st_size,
            "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            "centre_tile": (side // 2) * side + side // 2, "tile_lat": tile_lat, "tile_lon": tile_lon,
            "side": side}


def start_points(base: RoadGraph, info: dict) -> list[tuple[float, float]]:
    """The starts in the network's middle tile: the base's centre node and nodes ~150 m from it."""
    from routes.planner.geometry import LocalProjection

    min_lat, min_lon, max_lat, max_lon = base.bbox
    i, j = divmod(info["centre_tile"], info["side"])
    centre = LocalProjection((min_lat + max_lat) / 2, (min_lon + max_lon) / 2)
    points = []
    for dx, dy in START_OFFSETS_M:
        lat, lon = centre.to_latlng(np.array([dx, dy]))
        node, _ = base.nearest_node(float(lat), float(lon))
        points.append((float(base.node_lat[node]) + i * info["tile_lat"],
                       float(base.node_lon[node]) + j * info["tile_lon"]))
    return points


# --- child processes -------------------------------------------------------------------------------------
def child_build(side: int, path: str) -> None:
    info = build_tiled(base_graph(), side, Path(path))
    print(json.dumps(info))


def child_plan(path: str, starts_json: str, runs: int, budget_s: float) -> None:
    """Fresh process: first request (load + plan), then warm timings per shape. Prints JSON."""
    from routes.planner import PlanRequest, RouteNotFound, plan_routes, template_outline
    from routes.planner.planner import _crop
    from routes.planner.recognisability import warm_up

    starts = json.loads(starts_json)
    warm_up()  # the catalogue rasters a worker builds once at start, before serving
    outlines = {shape: template_outline(shape) for shape in SHAPES}

    def plan(graph, shape, lat, lon):
        request = PlanRequest(outline_xy=outlines[shape], start_lat=lat, start_lon=lon,
                              target_length_m=TARGET_KM * 1000, options_count=3, time_budget_s=budget_s)
        try:
            return plan_routes(graph, request)
        except RouteNotFound:
            return []

    t0, c0 = time.perf_counter(), time.process_time()
    graph = RoadGraph.load(path)
    load_s = time.perf_counter() - t0
    first = plan(graph, "heart", *starts[0])
    first_s, first_cpu = time.perf_counter() - t0, time.process_time() - c0
    result = {"load_s": load_s, "first_s": first_s, "first_cpu_s": first_cpu, "first_options": len(first),
              "nodes": graph.node_count}
    # The per-request network work alone (nearest node + crop of a 3 km heart's 2.5 km disc): CPU time, so
    # the machine's load hardly moves it.
    crop_cpu = []
    for _ in range(10):
        for lat, lon in starts:
            c = time.process_time()
            node, _distance = graph.nearest_node(lat, lon)
            area = _crop(graph, node, 2500.0, False)
            crop_cpu.append(time.process_time() - c)
    result["crop_cpu_ms"] = 1000 * statistics.median(crop_cpu)
    result["crop_nodes"] = len(area.nodes)
    for shape in SHAPES:
        wall, cpu, failures = [], [], 0
        for _ in range(runs):
            for lat, lon in starts:
                t, c = time.perf_counter(), time.process_time()
                options = plan(graph, shape, lat, lon)
                wall.append(time.perf_counter() - t)
                cpu.append(time.process_time() - c)
                failures += not options
        result[shape] = {"wall": wall, "cpu": cpu, "failures": failures}
    result["rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(result))


def child_worker(path: str, starts_json: str) -> None:
    """One of four 'workers': plan from each start, say ready, then wait (the parent reads our smaps)."""
    from routes.planner import PlanRequest, RouteNotFound, plan_routes, template_outline

    graph = RoadGraph.load(path)
    for lat, lon in json.loads(starts_json):
        with contextlib.suppress(RouteNotFound):
            plan_routes(graph, PlanRequest(outline_xy=template_outline("heart"), start_lat=lat, start_lon=lon,
                                           target_length_m=TARGET_KM * 1000, time_budget_s=2.0))
    print("ready", flush=True)
    sys.stdin.read()


# --- the importer on a tiled extract ------------------------------------------------------------------------
PBF_ID_STRIDE = 10_000_000_000  # per tile: above the sample's largest node/way id (6.4e9), so ids stay unique
PBF_JOIN_WAY_ID = 9_000_000_000_000_000


def write_tiled_pbf(side: int, path: Path) -> dict:
    """An OSM extract of side x side copies of the sample's highway ways, their nodes and its place nodes (ids
    offset per tile, in tile order, so the file is sorted like a Geofabrik extract), neighbouring copies joined
    by footways between border nodes of the sample's walkable network. Written with osmium's SimpleWriter."""
    import osmium

    base = base_graph()
    ways, node_ids, places = [], set(), []
    for obj in osmium.FileProcessor(str(SAMPLE_PBF), osmium.osm.NODE | osmium.osm.WAY):
        if obj.is_way() and "highway" in obj.tags:
            refs = [n.ref for n in obj.nodes]
            ways.append((obj.id, refs, dict(obj.tags)))
            node_ids.update(refs)
        elif obj.is_node() and "place" in obj.tags:
            places.append((obj.id, obj.location.lat, obj.location.lon, dict(obj.tags)))
    coords = {}
    for node in osmium.FileProcessor(str(SAMPLE_PBF), osmium.osm.NODE):
        if node.id in node_ids and node.location.valid():
            coords[node.id] = (node.location.lat, node.location.lon)
    for place_id, *_rest in places:
        coords.pop(place_id, None)
    ordered = sorted([(nid, lat, lon, None) for nid, (lat, lon) in coords.items()]
                     + [(pid, lat, lon, tags) for pid, lat, lon, tags in places])
    min_lat, min_lon, max_lat, max_lon = base.bbox
    gap_deg = TILE_GAP_M / 111_195.0
    dlat = max_lat - min_lat + gap_deg
    dlon = max_lon - min_lon + gap_deg / math.cos(math.radians(min_lat))
    lat, lon, osm = np.asarray(base.node_lat), np.asarray(base.node_lon), np.asarray(base.node_osm_id)
    east, west = int(osm[np.argmax(lon)]), int(osm[np.argmin(lon)])
    north, south = int(osm[np.argmax(lat)]), int(osm[np.argmin(lat)])
    path.unlink(missing_ok=True)
    writer = osmium.SimpleWriter(str(path))
    node_count = way_count = 0
    try:
        for tile in range(side * side):
            row, col = divmod(tile, side)
            offset = tile * PBF_ID_STRIDE
            for nid, nlat, nlon, tags in ordered:
                writer.add_node(osmium.osm.mutable.Node(id=nid + offset, location=(nlon + col * dlon,
                                                                                   nlat + row * dlat),
                                                        tags=tags or {}))
            node_count += len(ordered)
        join = PBF_JOIN_WAY_ID
        for tile in range(side * side):
            row, col = divmod(tile, side)
            offset = tile * PBF_ID_STRIDE
            for wid, refs, tags in ways:
                writer.add_way(osmium.osm.mutable.Way(id=wid + offset, nodes=[r + offset for r in refs], tags=tags))
            way_count += len(ways)
            if col + 1 < side:
                writer.add_way(osmium.osm.mutable.Way(id=join, nodes=[east + offset, west + offset + PBF_ID_STRIDE],
                                                      tags={"highway": "footway"}))
                join += 1
            if row + 1 < side:
                writer.add_way(osmium.osm.mutable.Way(id=join, nodes=[north + offset,
                                                                      south + offset + side * PBF_ID_STRIDE],
                                                      tags={"highway": "footway"}))
                join += 1
    finally:
        writer.close()
    return {"tiles": side * side, "file_nodes": node_count, "file_ways": way_count,
            "file_bytes": path.stat().st_size}


def child_import(path: str) -> None:
    """Import an extract with the normal importer and save it, as `import_osm` does; print time and peak RSS."""
    from routes.planner.osm_import import build_graph_from_osm

    started, cpu = time.perf_counter(), time.process_time()
    graph = build_graph_from_osm(path)
    built_s = time.perf_counter() - started
    graph.save(Path(path).with_suffix(".rwgraph"))
    print(json.dumps({"nodes": graph.node_count, "edges": graph.edge_count, "build_s": round(built_s, 1),
                      "import_s": round(time.perf_counter() - started, 1),
                      "cpu_s": round(time.process_time() - cpu, 1),
                      "read_s": graph.meta["read_seconds"], "locate_s": graph.meta["locate_seconds"],
                      "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))


def import_bench(side: int) -> int:
    """`--import-bench SIDE`: write (once) the side x side tiled extract and import it in a fresh process."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"helsinki-{side * side}x.osm.pbf"
    info_path = path.with_suffix(".json")
    if not path.exists() or not info_path.exists():
        started = time.perf_counter()
        info = write_tiled_pbf(side, path)
        info["write_s"] = round(time.perf_counter() - started, 1)
        info_path.write_text(json.dumps(info))
    info = json.loads(info_path.read_text())
    print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())} ({os.cpu_count()} cores)")
    print(f"extract: {path.name}, {info['file_bytes'] / 1e6:.1f} MB, {info['file_nodes']:,} nodes, "
          f"{info['file_ways']:,} ways")
    result = _run_child("--child-import", str(path))
    print(f"import: {result['nodes']:,} nodes / {result['edges']:,} edges; {result['import_s']} s wall "
          f"(pass 1 {result['read_s']} s, pass 2 {result['locate_s']} s, saved included), {result['cpu_s']} s CPU; "
          f"peak RSS {result['peak_rss_bytes'] / 1e6:.0f} MB = "
          f"{result['peak_rss_bytes'] / result['nodes']:.0f} bytes per graph node, "
          f"{result['peak_rss_bytes'] / info['file_bytes']:.2f} x the extract's size")
    return 0


def smaps_rollup(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, value = line.split(":", 1)
        fields[key.strip()] = int(value.split()[0])  # kB
    return fields


# --- the run ---------------------------------------------------------------------------------------------
def _run_child(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tiles", default="1,100,1024", help="network sizes in tiles (square numbers)")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--runs", type=int, default=2, help="repeats of each start per shape")
    parser.add_argument("--budget", type=float, default=float(os.environ.get("ROUTE_PLAN_TIME_BUDGET_S", 1.0)),
                        help="the planner's CPU budget in s (PlanRequest.time_budget_s; default the API's "
                             "ROUTE_PLAN_TIME_BUDGET_S, 1.0 s): a request's CPU is this plus what runs past it")
    args = parser.parse_args()
    sizes = [int(v) for v in args.tiles.split(",")]
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    print(f"load average at start: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} "
          f"({os.cpu_count()} cores)")
    base = base_graph()
    print(f"base tile: {SAMPLE_PBF.name}, {base.node_count:,} nodes / {base.edge_count:,} edges")
    builds = {}
    for tiles in sizes:
        side = math.isqrt(tiles)
        if side * side != tiles:
            raise SystemExit(f"--tiles: {tiles} is not a square number")
        path = OUT_DIR / f"helsinki-{tiles}x.rwgraph"
        info_path = path.with_suffix(".json")
        if args.rebuild or not path.exists() or not info_path.exists():
            info = _run_child("--child-build", str(side), str(path))
            info_path.write_text(json.dumps(info))
            info["built_now"] = True
        else:
            info = json.loads(info_path.read_text())
            info["built_now"] = False
        builds[tiles] = (path, info)
        print(f"{tiles:>5}x: {info['nodes']:>10,} nodes {info['edges']:>10,} edges  "
              f"file {info['file_bytes'] / 1e6:8.1f} MB"
              f"  build {info['build_s']:6.1f} s (cpu {info['build_cpu_s']:6.1f} s)  peak RSS "
              f"{info['peak_rss_bytes'] / 1e6:7.1f} MB{'' if info['built_now'] else '  (stored build)'}")

    results = {}
    for tiles in sizes:
        path, info = builds[tiles]
        starts = start_points(base, info)
        results[tiles] = _run_child("--child-plan", str(path), json.dumps(starts), str(args.runs),
                                    str(args.budget))
    one = results[sizes[0]]
    # The 1x sample (~1.0 x 1.6 km) is smaller than a 3 km figure's search disc (~2.5 km radius): from the
    # second size on the disc is full of streets, so that size is the fair reference for "flat in the size".
    full = results[sizes[1]] if len(sizes) > 1 else one
    print(f"\n3 km, {len(START_OFFSETS_M)} starts x {args.runs} runs per shape, 3 options, CPU budget {args.budget} s; "
          f"p50 / p95 in CPU s (planning thread) and wall s, p50 ratios to the {sizes[0]}x network and to the "
          f"{sizes[min(1, len(sizes) - 1)]}x one (same run); 'over' = the largest CPU past the budget")
    print(f"{'network':>8} | {'first request cpu / wall (map)':>31} | " + " | ".join(
        f"{shape + ' cpu p50/p95  ratios':>28} {'wall p50/p95':>13} {'over':>5}" for shape in SHAPES)
        + " | child max RSS")
    for tiles in sizes:
        r = results[tiles]
        cells = []
        for shape in SHAPES:
            wall, cpu = r[shape]["wall"], r[shape]["cpu"]
            ratio_one = _pct(cpu, 50) / _pct(one[shape]["cpu"], 50)
            ratio_full = _pct(cpu, 50) / _pct(full[shape]["cpu"], 50)
            cells.append(f"{_pct(cpu, 50):5.2f} / {_pct(cpu, 95):4.2f} s {ratio_one:4.2f}x {ratio_full:4.2f}x "
                         f"{_pct(wall, 50):5.2f} / {_pct(wall, 95):5.2f} {max(cpu) - args.budget:+5.2f}"
                         + (f" fail {r[shape]['failures']}" if r[shape]["failures"] else ""))
        print(f"{tiles:>7}x | {r['first_cpu_s']:>9.2f} s / {r['first_s']:5.2f} s ({r['load_s'] * 1000:5.1f} ms) | "
              + " | ".join(cells) + f" | {r['rss_kb'] / 1024:.0f} MB")
    print(f"load average after the planning runs: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print("nearest node + crop of the 2.5 km disc, CPU p50: " + ", ".join(
        f"{tiles}x {results[tiles]['crop_cpu_ms']:.1f} ms ({results[tiles]['crop_nodes']:,} nodes)" for tiles in sizes))

    largest = sizes[-1]
    path, info = builds[largest]
    starts = start_points(base, info)
    workers = [subprocess.Popen([sys.executable, __file__, "--child-worker", str(path),
                                 json.dumps(starts[i % len(starts):][:2])],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
               for i in range(4)]
    for worker in workers:
        assert worker.stdout.readline().strip() == "ready"
    print(f"\n4 worker processes, each mapped the {largest}x network ({info['file_bytes'] / 1e6:.0f} MB file) and "
          f"planned 2 hearts (kB from /proc/<pid>/smaps_rollup):")
    print(f"{'pid':>8} {'Rss':>9} {'Pss':>9} {'Shared':>9} {'Private':>9} {'Pss_Anon':>9} {'Pss_File':>9}")
    for worker in workers:
        s = smaps_rollup(worker.pid)
        shared = s.get("Shared_Clean", 0) + s.get("Shared_Dirty", 0)
        private = s.get("Private_Clean", 0) + s.get("Private_Dirty", 0)
        print(f"{worker.pid:>8} {s['Rss']:>9,} {s['Pss']:>9,} {shared:>9,} {private:>9,} "
              f"{s.get('Pss_Anon', 0):>9,} {s.get('Pss_File', 0):>9,}")
    for worker in workers:
        worker.stdin.close()
        worker.wait()
    print(f"load average at end: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child-build":
        child_build(int(sys.argv[2]), sys.argv[3])
    elif len(sys.argv) > 1 and sys.argv[1] == "--child-plan":
        child_plan(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--child-worker":
        child_worker(sys.argv[2], sys.argv[3])
    elif len(sys.argv) > 1 and sys.argv[1] == "--child-import":
        child_import(sys.argv[2])
    elif len(sys.argv) > 1 and sys.argv[1] == "--import-bench":
        sys.exit(import_bench(int(sys.argv[2])))
    else:
        sys.exit(main())
