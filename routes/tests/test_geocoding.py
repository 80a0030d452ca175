"""Geocoding of the start: Kakao Local against a fake HTTP server on 127.0.0.1, and the offline fallback."""

import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from routes import networks
from routes.geocoding import KakaoLocalGeocoder, NetworkPlaceGeocoder, Place, reverse_geocode
from routes.tests.conftest import grid_centre

API_KEY = "test-kakao-rest-key"

ADDRESS_DOCUMENT = {
    "road_address": {"address_name": "경기도 수원시 영통구 광교중앙로 145", "region_2depth_name": "수원시 영통구"},
    "address": {"address_name": "경기도 수원시 영통구 하동 1000", "region_2depth_name": "수원시 영통구"},
}
REGION_DOCUMENTS = [
    {"region_type": "B", "address_name": "경기도 수원시 영통구 하동", "region_2depth_name": "수원시 영통구"},
    {"region_type": "H", "address_name": "경기도 수원시 영통구 광교1동", "region_2depth_name": "수원시 영통구"},
]


class FakeKakao:
    """What the fake server answers; requests are recorded for assertions."""

    def __init__(self):
        self.mode = "address"  # address | region_only | error | slow | garbage
        self.requests: list[dict] = []


@pytest.fixture
def fake_kakao():
    state = FakeKakao()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            url = urlparse(self.path)
            state.requests.append({"path": url.path, "query": parse_qs(url.query),
                                   "authorization": self.headers.get("Authorization")})
            if state.mode == "slow":
                time.sleep(1.0)
            if state.mode == "error":
                self.send_response(500)
                self.end_headers()
                return
            if state.mode == "garbage":
                body = b"<html>not json</html>"
            elif url.path.endswith("coord2address.json"):
                documents = [ADDRESS_DOCUMENT] if state.mode == "address" else []
                body = json.dumps({"meta": {"total_count": len(documents)}, "documents": documents}).encode()
            elif url.path.endswith("coord2regioncode.json"):
                body = json.dumps({"meta": {"total_count": 2}, "documents": REGION_DOCUMENTS}).encode()
            else:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # port 0: a free port
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


def kakao(fake, timeout_s=2.0) -> KakaoLocalGeocoder:
    return KakaoLocalGeocoder(api_key=API_KEY, base_url=fake.base_url, timeout_s=timeout_s)


def test_kakao_coord2address_gives_road_address_and_district(fake_kakao):
    place = kakao(fake_kakao).reverse(37.2843, 127.0446)
    assert place == Place(address="경기도 수원시 영통구 광교중앙로 145", district="수원시 영통구", source="kakao")
    request = fake_kakao.requests[0]
    assert request["path"] == "/v2/local/geo/coord2address.json"
    assert request["query"] == {"x": ["127.0446000"], "y": ["37.2843000"]}  # x is the longitude
    assert request["authorization"] == f"KakaoAK {API_KEY}"


def test_kakao_falls_back_to_region_code_where_there_is_no_address(fake_kakao):
    fake_kakao.mode = "region_only"
    place = kakao(fake_kakao).reverse(37.28, 127.04)
    assert place.address == "경기도 수원시 영통구 광교1동"  # the administrative (H) region
    assert [r["path"] for r in fake_kakao.requests] == ["/v2/local/geo/coord2address.json",
                                                        "/v2/local/geo/coord2regioncode.json"]


@pytest.mark.parametrize("mode", ["error", "garbage"])
def test_kakao_failures_return_none(fake_kakao, mode):
    fake_kakao.mode = mode
    assert kakao(fake_kakao).reverse(37.28, 127.04) is None


def test_kakao_timeout_returns_none_quickly(fake_kakao):
    fake_kakao.mode = "slow"
    started = time.perf_counter()
    assert kakao(fake_kakao, timeout_s=0.2).reverse(37.28, 127.04) is None
    assert time.perf_counter() - started < 0.9  # gave up at the timeout, not after the server's 1 s


def test_unreachable_kakao_returns_none():
    geocoder = KakaoLocalGeocoder(api_key=API_KEY, base_url="http://127.0.0.1:9", timeout_s=0.5)
    assert geocoder.reverse(37.28, 127.04) is None


def test_offline_names_from_the_network(grid_network):
    graph = networks.graph_for(grid_network)
    lat, lon = grid_centre()
    place = NetworkPlaceGeocoder(graph).reverse(lat, lon)
    assert place.source == "osm"
    assert place.district == "Grid District"
    street, locality = place.address.split(", ")
    assert street in {"Row 6 street", "Column 6 avenue"}
    assert locality == "Gridville"


def test_chain_uses_offline_names_when_kakao_fails(fake_kakao, grid_network, settings):
    settings.KAKAO_REST_API_KEY = API_KEY
    settings.KAKAO_LOCAL_API_URL = fake_kakao.base_url
    graph = networks.graph_for(grid_network)
    lat, lon = grid_centre()
    assert reverse_geocode(lat, lon, graph=graph).source == "kakao"
    fake_kakao.mode = "error"
    fallback = reverse_geocode(lat, lon, graph=graph)
    assert fallback.source == "osm" and fallback.district == "Grid District"


def test_route_is_named_by_kakao_and_survives_its_failure(fake_kakao, auth_client, grid_network, shapes,
                                                          settings):
    from routes.tests.test_routes_api import URL, heart_request

    settings.KAKAO_REST_API_KEY = API_KEY
    settings.KAKAO_LOCAL_API_URL = fake_kakao.base_url
    response = auth_client.post(URL, heart_request(options_count=1), format="json")
    assert response.status_code == 201
    assert response.json()["data"]["location_address"] == "경기도 수원시 영통구 광교중앙로 145"
    assert response.json()["data"]["location_district"] == "수원시 영통구"

    fake_kakao.mode = "error"
    response = auth_client.post(URL, heart_request(options_count=1), format="json")
    assert response.status_code == 201
    assert response.json()["data"]["location_district"] == "Grid District"
    assert response.json()["data"]["location_address"].endswith("Gridville")
