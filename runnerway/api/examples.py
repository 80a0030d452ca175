"""A working example for every JSON request body, by the body's schema component (applied by the schema hook).

One story throughout: a runner in central Helsinki (the demo road network; Esplanadi, 60.1716, 24.9443) plans a
3 km heart and runs it. Swagger's "Try it out" sends these as they are, so the ones that need no id of the
caller's own (signup, login, planning, starting a workout) succeed on a fresh `make run`; ids of one's own
objects are placeholders to replace. A view's own `examples=` take precedence.
"""

HELSINKI_START = {"latitude": 60.1716, "longitude": 24.9443}  # Esplanadi, on the demo network
PLACEHOLDER_ID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"  # replace with an id of your own


def _points_batch() -> dict:
    """Three fixes two seconds apart heading east along Esplanadi at 5:30 per km."""
    return {"points": [
        {"seq": index, "recorded_at": f"2026-06-01T06:30:{2 * index:02d}Z",
         "latitude": round(HELSINKI_START["latitude"] + 0.000003 * index, 7),
         "longitude": round(HELSINKI_START["longitude"] + 0.00011 * index, 7),
         "altitude": 12.0, "accuracy": 5.0, "speed": 3.0, "heart_rate": 148 + index}
        for index in range(1, 4)
    ]}


REQUEST_EXAMPLES: dict[str, dict[str, dict]] = {
    "SignupRequest": {"Sign up": {"email": "minji@example.com", "password": "a-Good-pass-123", "name": "Minji Kim"}},
    "LoginRequest": {"Log in": {"email": "minji@example.com", "password": "a-Good-pass-123"}},
    "OTPRequestRequest": {"A demo runner": {"email": "runner1@demo.runnerway.app"}},
    "OTPVerifyRequest": {"The emailed code": {"email": "runner1@demo.runnerway.app", "code": "123456"}},
    "KakaoLoginRequest": {"The Kakao SDK's token": {"access_token": "kakao-sdk-access-token"}},
    "RefreshRequest": {"The refresh token from login": {
        "refresh": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.refresh-token-from-login.signature"}},
    "PatchedProfileUpdateRequest": {"Body figures": {
        "name": "Minji Kim", "weight_kg": 55.5, "height_cm": 163.0, "birth_year": 1994, "gender": "female",
        "timezone": "Asia/Seoul", "privacy_zone": 200}},
    "RouteCreateRequest": {"Heart, 3 km, central Helsinki": {
        "name": "Esplanadi heart", "type": "running", "mode": "shape", "shape_id": "heart",
        "start_latitude": HELSINKI_START["latitude"], "start_longitude": HELSINKI_START["longitude"],
        "condition": "distance", "target_distance": 3.0, "intensity": "normal", "safety_mode": False,
        "options_count": 3}},
    "PatchedRouteUpdateRequest": {"Rename": {"name": "Esplanadi heart"}},
    "WorkoutStartRequest": {"A free run from Esplanadi": {
        "type": "running", "start_latitude": HELSINKI_START["latitude"],
        "start_longitude": HELSINKI_START["longitude"]}},
    "WorkoutPointsBatchRequest": {"Three fixes": _points_batch()},
    "WorkoutTransitionRequest": {"Now": {}},
    "WorkoutCompleteRequest": {"Back at the start, now": {
        "end_latitude": HELSINKI_START["latitude"], "end_longitude": HELSINKI_START["longitude"]}},
    "GoalCreateRequest": {"15 km this week": {
        "goal_type": "weekly", "target_type": "distance", "target_value": 15.0, "start_date": "2026-06-01",
        "end_date": "2026-06-07"}},
    "PatchedGoalUpdateRequest": {"Raise the target": {"target_value": 20.0, "is_active": True}},
    "PostCreateRequest": {"Share a run and its route": {
        "content": "A heart around Esplanadi this morning", "visibility": "public",
        "workout_id": PLACEHOLDER_ID, "route_id": PLACEHOLDER_ID}},
    "PatchedPostUpdateRequest": {"Followers only": {"content": "A heart around Esplanadi",
                                                    "visibility": "followers"}},
    "CommentCreateRequest": {"A comment": {"content": "Lovely heart! Which way did you start?"}},
}


def add_request_examples(operation: dict) -> None:
    """Give the operation's JSON request body its example, unless the view documented one."""
    media = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if media is None or "examples" in media or "example" in media:
        return
    component = media.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1]
    examples = REQUEST_EXAMPLES.get(component)
    if examples:
        media["examples"] = {name.title().replace(" ", "").replace(",", ""): {"summary": name, "value": value}
                             for name, value in examples.items()}
