from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("auth/signup", views.SignupView.as_view(), name="signup"),
    path("auth/login", views.LoginView.as_view(), name="login"),
    path("auth/refresh", views.RefreshView.as_view(), name="refresh"),
    path("auth/logout", views.LogoutView.as_view(), name="logout"),
    path("auth/otp/request", views.OTPRequestView.as_view(), name="otp-request"),
    path("auth/otp/verify", views.OTPVerifyView.as_view(), name="otp-verify"),
    path("auth/kakao", views.KakaoLoginView.as_view(), name="kakao"),
    path("users/me", views.MeView.as_view(), name="me"),
    path("users/me/avatar", views.AvatarView.as_view(), name="me-avatar"),
]
