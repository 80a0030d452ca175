"""Naming a route's start point: an address and a district.

`Geocoder.reverse(lat, lon)` returns a `Place` or None and never raises for outside failures. The Kakao Local
implementation is used when `KAKAO_REST_API_KEY` is set; the offline one reads the place names and street
names that `import_osm` stored in the road network. `reverse_geocode` chains them: Kakao first, the network's
names when Kakao fails or knows nothing. A failure never fails the route: it is logged and the next geocoder
answers.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import requests
from django.conf import settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Place:
    address: str
    district: str
    source: str  # "kakao" | "osm"


class Geocoder(Protocol):
    def reverse(self, lat: float, lon: float) -> Place | None:
        """The place at (lat, lon), or None when this geocoder cannot name it. Never raises."""


class KakaoLocalGeocoder:
    """Kakao Local reverse geocoding (Korea only).

    `coord2address` gives the road address (or the lot address) and the district (`region_2depth_name`, e.g.
    "영통구" or "수원시 영통구"); where it has no address (parks, water) `coord2regioncode` still names the
    administrative area.
    """

    def __init__(self, *, api_key: str, base_url: str, timeout_s: float,
                 session: requests.Session | None = None):
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.session = session or requests.Session()

    def _get(self, endpoint: str, lat: float, lon: float) -> list[dict]:
        response = self.session.get(
            f"{self.base_url}/v2/local/geo/{endpoint}",
            params={"x": f"{lon:.7f}", "y": f"{lat:.7f}"},
            headers={"Authorization": f"KakaoAK {self.api_key}"},
            timeout=self.timeout_s,
        )
        response.raise_for_status()
        documents = response.json().get("documents") or []
        return [document for document in documents if isinstance(document, dict)]

    def reverse(self, lat: float, lon: float) -> Place | None:
        try:
            documents = self._get("coord2address.json", lat, lon)
            if documents:
                road = documents[0].get("road_address") or {}
                lot = documents[0].get("address") or {}
                address = road.get("address_name") or lot.get("address_name") or ""
                district = lot.get("region_2depth_name") or road.get("region_2depth_name") or ""
                if address:
                    return Place(address=address, district=district, source="kakao")
            regions = self._get("coord2regioncode.json", lat, lon)
            # "H" is the administrative dong, which is what people call their neighbourhood.
            region = next((r for r in regions if r.get("region_type") == "H"),
                          regions[0] if regions else None)
            if region and region.get("address_name"):
                return Place(address=region["address_name"], district=region.get("region_2depth_name") or "",
                             source="kakao")
        except (requests.RequestException, ValueError, KeyError, TypeError, AttributeError) as exc:
            logger.warning("Kakao Local reverse geocoding failed at %.5f,%.5f: %s", lat, lon, exc)
        return None


# OSM place kinds, finest first. The address names the nearest locality; the district the nearest larger area.
_LOCALITY_KINDS = ("neighbourhood", "quarter", "suburb", "hamlet", "village", "town", "city_district",
                   "borough", "city")
_DISTRICT_KINDS = ("city_district", "district", "borough", "suburb", "town", "city", "county")
# A locality further than this is not "where the route starts" (places are points, not areas).
_PLACE_MAX_DISTANCE_M = 5_000.0
_STREET_MAX_DISTANCE_M = 150.0
_STREET_CANDIDATE_NODES = 12


class NetworkPlaceGeocoder:
    """Offline names from a road network: the nearest street (from way names) and the nearest OSM places.

    Takes a `RoadGraph` (its `places`: [{"name", "kind", "lat", "lon"}], `names` and `edge_name_idx`).
    """

    def __init__(self, graph):
        self.graph = graph

    def _nearest_place(self, lat: float, lon: float, kinds: tuple[str, ...]) -> str:
        cos_lat = math.cos(math.radians(lat))
        best_name, best_score = "", math.inf
        for place in self.graph.places or []:
            kind = place.get("kind", "")
            if kind not in kinds or not place.get("name"):
                continue
            distance_m = 111_195.0 * math.hypot(place["lat"] - lat, (place["lon"] - lon) * cos_lat)
            if distance_m > _PLACE_MAX_DISTANCE_M * (1 + kinds.index(kind)):
                continue  # larger kinds may lie further away: a city's centre point is far from its edges
            # Finer kinds win at equal distance; a coarser one wins only when much closer.
            score = distance_m * (1 + 0.5 * kinds.index(kind))
            if score < best_score:
                best_name, best_score = place["name"], score
        return best_name

    def _nearest_street(self, lat: float, lon: float) -> str:
        """Name of the nearest named way: footways next to the start are often unnamed, so the few nearest
        nodes within reach are tried in order of distance."""
        graph = self.graph
        if graph.node_count == 0 or not graph.names:
            return ""
        count = min(_STREET_CANDIDATE_NODES, graph.node_count)
        distances_m, nodes = graph.nearest_nodes(lat, lon, count=count, max_distance_m=_STREET_MAX_DISTANCE_M)
        for distance_m, node in zip(np.atleast_1d(distances_m), np.atleast_1d(nodes), strict=True):
            if distance_m > _STREET_MAX_DISTANCE_M:
                break
            _neighbours, edges = graph.neighbours(int(node))
            for edge in edges:
                name_idx = int(graph.edge_name_idx[edge])
                if 0 <= name_idx < len(graph.names) and graph.names[name_idx]:
                    return graph.names[name_idx]
        return ""

    def reverse(self, lat: float, lon: float) -> Place | None:
        try:
            street = self._nearest_street(lat, lon)
            locality = self._nearest_place(lat, lon, _LOCALITY_KINDS)
            district = self._nearest_place(lat, lon, _DISTRICT_KINDS)
        except Exception:  # offline data of any shape must never fail a route
            logger.exception("offline reverse geocoding failed at %.5f,%.5f", lat, lon)
            return None
        parts = [part for part in (street, locality if locality != street else "") if part]
        if not parts and not district:
            return None
        return Place(address=", ".join(parts) or district, district=district or locality, source="osm")


def default_geocoders(graph=None) -> list[Geocoder]:
    """Kakao Local when a key is configured, then the network's own names."""
    geocoders: list[Geocoder] = []
    if settings.KAKAO_REST_API_KEY:
        geocoders.append(KakaoLocalGeocoder(api_key=settings.KAKAO_REST_API_KEY,
                                            base_url=settings.KAKAO_LOCAL_API_URL,
                                            timeout_s=settings.OUTBOUND_HTTP_TIMEOUT_S))
    if graph is not None:
        geocoders.append(NetworkPlaceGeocoder(graph))
    return geocoders


def reverse_geocode(lat: float, lon: float, *, graph=None,
                    geocoders: list[Geocoder] | None = None) -> Place | None:
    """The first answer of the geocoders in order (default: `default_geocoders(graph)`), or None."""
    for geocoder in geocoders if geocoders is not None else default_geocoders(graph):
        try:
            place = geocoder.reverse(lat, lon)
        except Exception:  # a geocoder that breaks its contract still must not fail the route
            logger.exception("geocoder %s raised", type(geocoder).__name__)
            continue
        if place is not None:
            return place
    return None
