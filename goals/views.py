"""Goals API (API.md "Goals"). Thin views: serializers validate, services and selectors do the work."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from goals import selectors, services
from goals.serializers import (
    GoalCreateSerializer,
    GoalListQuerySerializer,
    GoalProgressSerializer,
    GoalSerializer,
    GoalUpdateSerializer,
)
from runnerway.api.schema import error_response

TAGS = ["goals"]


def _own_goal(request, goal_id):
    goal = selectors.goal_get(user=request.user, goal_id=goal_id)
    if goal is None:
        raise NotFound(_("Goal not found."))
    return goal


class GoalListCreateView(GenericAPIView):
    serializer_class = GoalSerializer

    @extend_schema(tags=TAGS, parameters=[GoalListQuerySerializer], responses=GoalSerializer(many=True),
                   summary="My goals, newest first (active only by default)")
    def get(self, request):
        query = GoalListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        goals = selectors.goal_list(user=request.user, active_only=query.validated_data["active_only"])
        page = self.paginate_queryset(goals)
        return self.get_paginated_response(GoalSerializer(page, many=True).data)

    @extend_schema(tags=TAGS, request=GoalCreateSerializer, responses={201: GoalSerializer, 409: error_response(
        "An active goal of the same goal_type and target_type overlaps these dates (`conflict`).")},
        summary="Create a goal")
    def post(self, request):
        serializer = GoalCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        goal = services.goal_create(user=request.user, **serializer.validated_data)
        return Response(GoalSerializer(goal).data, status=status.HTTP_201_CREATED)


class GoalDetailView(GenericAPIView):
    serializer_class = GoalSerializer

    @extend_schema(tags=TAGS, responses=GoalSerializer, summary="One of my goals")
    def get(self, request, goal_id):
        return Response(GoalSerializer(_own_goal(request, goal_id)).data)

    @extend_schema(tags=TAGS, request=GoalUpdateSerializer, responses={200: GoalSerializer, 409: error_response(
        "Re-activating would overlap another active goal of the same types (`conflict`).")},
        summary="Change target_value and/or is_active (other fields are refused)")
    def patch(self, request, goal_id):
        goal = _own_goal(request, goal_id)
        serializer = GoalUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        goal = services.goal_update(goal=goal, **serializer.validated_data)
        return Response(GoalSerializer(goal).data)

    @extend_schema(tags=TAGS, responses={204: None}, summary="Delete a goal")
    def delete(self, request, goal_id):
        services.goal_delete(goal=_own_goal(request, goal_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class GoalProgressView(GenericAPIView):
    serializer_class = GoalProgressSerializer

    @extend_schema(tags=TAGS, responses=GoalProgressSerializer, summary="Progress of a goal",
                   description="From my completed workouts whose start falls in the goal's dates, in my profile "
                               "time zone (default Asia/Seoul).")
    def get(self, request, goal_id):
        progress = selectors.goal_progress(goal=_own_goal(request, goal_id), user=request.user)
        return Response(GoalProgressSerializer(progress).data)
