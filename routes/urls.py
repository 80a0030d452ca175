from django.urls import path

from routes import views

app_name = "routes"

urlpatterns = [
    path("shapes", views.ShapeListView.as_view(), name="shape-list"),
    path("shapes/<slug:shape_id>", views.ShapeDetailView.as_view(), name="shape-detail"),
    path("shapes/<slug:shape_id>/preview.svg", views.ShapePreviewView.as_view(), name="shape-preview"),
    path("routes", views.RouteListCreateView.as_view(), name="route-list"),
    path("routes/<uuid:route_id>", views.RouteDetailView.as_view(), name="route-detail"),
    path("routes/<uuid:route_id>/options", views.RouteOptionPlaceView.as_view(), name="route-option-place"),
    path(
        "routes/<uuid:route_id>/options/<uuid:option_id>",
        views.RouteOptionDetailView.as_view(),
        name="route-option-detail",
    ),
    path(
        "routes/<uuid:route_id>/options/<uuid:option_id>/gpx",
        views.RouteOptionGpxView.as_view(),
        name="route-option-gpx",
    ),
    path(
        "routes/<uuid:route_id>/options/<uuid:option_id>/fit",
        views.RouteOptionFitView.as_view(),
        name="route-option-fit",
    ),
    path(
        "routes/<uuid:route_id>/options/<uuid:option_id>/preview.svg",
        views.RouteOptionPreviewView.as_view(),
        name="route-option-preview",
    ),
]
