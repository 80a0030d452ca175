"""Named thresholds of the GPS metrics engine, each with the reason it has this value and where it comes from.

The defaults are the ones fixed in DESIGN.md ("GPS processing defaults"); they follow what the open-source
trackers do: OpenTracks (recording accuracy threshold, "max recording distance" that starts a new segment),
Traccar (`filter.accuracy`, `filter.future`, `filter.zero`, `filter.invalid`, `filter.maxSpeed`), FitTrackee
and gpxpy (a per-sport stopped-speed threshold for moving time) and Strava (moving time, interpolated splits,
best efforts).
"""

from __future__ import annotations

# --- point filtering --------------------------------------------------------------------------------------

# 50 m: a phone fix worse than this comes from Wi-Fi/cell positioning, not GNSS (OpenTracks' recording
# accuracy threshold; Traccar `filter.accuracy`). Such fixes jump between buildings and would be counted as
# running.
MAX_ACCURACY_M = 50.0

# 1 day: tolerate phones whose clock is off by hours (time-zone bugs) but drop fixes dated in the future
# beyond that, which would stretch elapsed time without end (Traccar `filter.future`, one day).
MAX_FUTURE_S = 86_400.0

# (0, 0) "null island" is what a GPS chip reports before its first fix (Traccar `filter.zero`). A fix closer
# than this to it (in degrees) is treated as such a placeholder.
NULL_ISLAND_TOLERANCE_DEG = 1e-6

# Speed implied between a fix and the last kept fix above which the fix is a spike (Traccar
# `filter.maxSpeed`). Running: 12 m/s (43 km/h) is beyond a world-record sprint, so no runner produces it.
# Real phone fixes err smoothly and stay far below it; with synthetic independent 3 m noise per 1 Hz fix about
# 3 % of fixes exceed it and are dropped, which costs nothing (their neighbours carry the track).
MAX_SPEED_RUNNING_MPS = 12.0
# Walking: 6 m/s (21.6 km/h). Walkers jog across a crossing (3-4 m/s) and 1 Hz fixes add a few m/s of noise,
# so 4 m/s would throw away good fixes. The cost: a walker who boards a bus or car moving slower than 6 m/s in
# traffic is counted; faster rides are rejected (and, after SEGMENT_MAX_GAP_S, cut into single-fix segments
# that add no distance, see `filtering.py`).
MAX_SPEED_WALKING_MPS = 6.0

# --- segments ---------------------------------------------------------------------------------------------

# A gap longer than 30 s or 200 m between consecutive kept fixes starts a new segment; the gap itself is not
# run distance (OpenTracks starts a new segment past its "max recording distance"; DESIGN.md). A tunnel or a
# phone that lost its fix therefore costs the runner the distance across it rather than inventing a straight
# line through buildings.
SEGMENT_MAX_GAP_S = 30.0
SEGMENT_MAX_GAP_M = 200.0

# --- smoothing and distance -------------------------------------------------------------------------------

# Positions are smoothed with a Savitzky-Golay filter (local least-squares polynomial) inside each segment
# before distance is summed: raw 1 Hz fixes with metres of independent error add a zig-zag that can inflate
# distance by tens of percent at running pace. A polynomial fit, unlike a moving average, follows the curve of
# a bend instead of cutting it. The window adapts to the noise measured in the segment (see `track.py`):
# - clean tracks (estimated fix noise <= NOISE_LIGHT_M) get a light ~7 s cubic fit: bends are not rounded;
# - noisy tracks get a ~41 s degree-7 fit; the noise left in each step is then removed on average by
#   subtracting its expected square from the squared step length (|a + e| is biased up by noise e).
# Windows are in seconds, turned into a number of fixes by the segment's median sampling interval.
# Measured on 400 m track laps at 1 Hz (the tightest bend a runner meets at speed): clean within -0.05 %;
# independent gaussian noise of 3 m per axis within +/-0.5 % at 4:00-7:00 min/km. A 90 degree street corner
# loses ~4 m with the heavy window, which is why clean tracks do not get it. Noise that wanders smoothly over
# tens of seconds is indistinguishable from real weaving and is counted, as by every tracker. Since the
# corner-aware smoothing below, no window reaches across a detected street corner.
NOISE_LIGHT_M = 1.0
# Fixes whose estimated noise is at most NOISE_CLEAN_M are not smoothed at all: there is nothing to remove, and
# any window cuts the corners of street-grid routes (RunnerWay's GPS-art routes turn 90 degrees every block; a
# 7 s window lost 3-4 % on a 40 m zig-zag). Clean tracks: the ones a phone's own fused-location filter already
# smoothed, imported files, synthetic runs. On a 400 m oval at 1 Hz the curvature alone reads as ~0.2 m.
NOISE_CLEAN_M = 0.3
# Between two clean fixes a step is at least the runner's speed times its duration, the speed taken from the
# best-fitting straight line over ~8 s of fixes (a one-sided one next to a corner): the chord of a step that
# crosses a corner is shorter than the two legs run (0.5 m a corner at 1 Hz, 1 m at 0.5 Hz, 6:00/km). 8 s spans
# fewer fixes than a 40 m block leg holds at 6:00/km, so a window lying wholly on one leg exists.
CORNER_SPEED_WINDOW_S = 8.0
# Noisy fixes are smoothed leg by leg between sharp corners (see `track._corner_steps`): a Douglas-Peucker
# simplification of the lightly smoothed track with a tolerance of CORNER_TOLERANCE_SIGMAS x the estimated fix
# noise (at least CORNER_MIN_TOLERANCE_M) keeps the fixes that stand off the legs' chords; where the simplified
# path turns by at least CORNER_MIN_TURN_DEG the segment is cut. 70 degrees: grid corners turn 90; a 400 m
# track bend simplified at 2 sigma = 6 m turns ~65 degrees per kept fix and is better left to the smoothing
# (at 45 degrees the bends were cut and 3 m-noise laps lost up to 1.9 %). A piece shorter than a smoothing
# window is one polynomial of degree at most LEG_MAX_ORDER (2: a street block is a line, a quadratic still
# follows a bend; degree 1 cost the oval 1.8 %, higher degrees leave steps noisier than they are long).
# The step across a cut is the legs' speed times its duration (the chord between two separately fitted leg
# ends is meaningless). Measured (3 seeds, 6:00/km, 40 m grid; before -> after): zig-zag diamond 3 m noise
# -6.9/-6.2 % -> -2.7/-2.7 % at 1 Hz/0.5 Hz, 5 m -9.2/-6.2 % -> -3.3/-4.7 %; grid circle 3 m -4.4/-4.7 % ->
# -1.9/-2.7 %, 5 m -5.3/-5.2 % -> -3.0/-2.7 % (means; single seeds still reach -5 % at 3 m and -9 % at 5 m,
# 0.5 Hz, where a mis-placed cut or a missed corner bends a 7-fix leg). Oval laps with 3 m noise: -0.34 %
# mean, -0.73 % worst (4:00-7:00/km, 3 seeds).
CORNER_TOLERANCE_SIGMAS = 2.0
CORNER_MIN_TOLERANCE_M = 2.0
CORNER_MIN_TURN_DEG = 70.0
LEG_MAX_ORDER = 2
SMOOTH_LIGHT_WINDOW_S = 7.0
SMOOTH_LIGHT_ORDER = 3
SMOOTH_HEAVY_WINDOW_S = 41.0
SMOOTH_HEAVY_ORDER = 7

# --- moving time ------------------------------------------------------------------------------------------

# A step counts as moving (its time is moving time and its length is distance) when the speed over a centred
# ~10 s window is at least this. Running 0.9 m/s (3.2 km/h, slower than any jog), walking 0.3 m/s (DESIGN.md;
# FitTrackee/gpxpy use a per-sport stopped-speed threshold the same way, Strava pauses moving time likewise).
# The 10 s window is what keeps a standing runner's GPS jitter (which looks like ~0.4 m/s step to step) from
# being counted as moving: over 10 s the jitter averages out, real motion does not.
MOVING_SPEED_RUNNING_MPS = 0.9
MOVING_SPEED_WALKING_MPS = 0.3
MOVING_WINDOW_HALF_STEPS = 5

# --- pace, splits, efforts --------------------------------------------------------------------------------

SPLIT_LENGTH_M = 1000.0
# The last partial split is reported (with its distance) only when it is at least this long: a pace over a few
# metres is noise, and floating-point error would otherwise create 0.0001 km splits.
MIN_PARTIAL_SPLIT_M = 50.0
# Fastest and slowest pace are the fastest / slowest time over any continuous 200 m of moving distance: long
# enough that GPS noise does not make a 2:30/km "max pace" out of one jumpy fix, short enough to show a sprint
# finish or a hill. Below 200 m of distance both equal the average pace.
PACE_WINDOW_M = 200.0
# Personal-record distances (m): 1 km, 5 km, 10 km, half and full marathon.
BEST_EFFORT_DISTANCES_M = (1000, 5000, 10000, 21097, 42195)

# --- elevation --------------------------------------------------------------------------------------------

# Altitude from phones is noisy by several metres; a 5-fix median removes spikes and a 5-fix mean the rest of
# the jitter, then a change is only counted once it exceeds 3 m from the last turning level (DESIGN.md; the
# hysteresis Garmin and Strava-style counters use), so a flat run with ±2 m noise gains ~0 m.
ELEVATION_MEDIAN_WINDOW = 5
ELEVATION_MEAN_WINDOW = 5
ELEVATION_HYSTERESIS_M = 3.0

# --- calories ---------------------------------------------------------------------------------------------

# ACSM metabolic equations (ACSM's Guidelines for Exercise Testing and Prescription), VO2 in ml/kg/min with
# speed S in m/min and grade G as a fraction:
#   running: VO2 = 0.2·S + 0.9·S·G + 3.5        walking: VO2 = 0.1·S + 1.8·S·G + 3.5
# ~5 kcal per litre of O2. Integrated over moving time, Σ S·dt is the distance and Σ S·G·dt the climb (m), so
# kcal = 5/1000 · kg · (h·distance_m + v·climb_m + 3.5·moving_min). Only climbs count: the equations are not
# valid downhill, where the common practice is to use the level cost.
ACSM_RUNNING_HORIZONTAL = 0.2
ACSM_RUNNING_VERTICAL = 0.9
ACSM_WALKING_HORIZONTAL = 0.1
ACSM_WALKING_VERTICAL = 1.8
ACSM_RESTING_VO2 = 3.5
KCAL_PER_LITRE_O2 = 5.0
DEFAULT_WEIGHT_KG = 70.0

# --- heart rate -------------------------------------------------------------------------------------------

# Readings of 0 are "no contact" from chest straps; above 250 bpm is not a human heart.
HEART_RATE_MIN_BPM = 1.0
HEART_RATE_MAX_BPM = 250.0

# --- route following --------------------------------------------------------------------------------------

# 30 m: typical urban smartphone error plus a sidewalk on the other side of the street (DESIGN.md).
ROUTE_COMPLETION_RADIUS_M = 30.0
# The planned path and the trace are resampled every 5 m so a long straight planned edge counts by its length.
ROUTE_RESAMPLE_STEP_M = 5.0
# 50 m from the planned path: beyond GPS error plus the width of a road, the runner has taken another street.
OFF_ROUTE_THRESHOLD_M = 50.0

ACTIVITY_RUNNING = "running"
ACTIVITY_WALKING = "walking"
ACTIVITY_TYPES = (ACTIVITY_RUNNING, ACTIVITY_WALKING)


def max_speed_mps(activity_type: str) -> float:
    """Spike threshold for the activity (m/s)."""
    return MAX_SPEED_WALKING_MPS if activity_type == ACTIVITY_WALKING else MAX_SPEED_RUNNING_MPS


def moving_speed_mps(activity_type: str) -> float:
    """Moving-time threshold for the activity (m/s)."""
    return MOVING_SPEED_WALKING_MPS if activity_type == ACTIVITY_WALKING else MOVING_SPEED_RUNNING_MPS
