from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from aftersales.accounts import views

app_name = "accounts"
urlpatterns = [
    path("language/", views.set_language, name="set_language"),
    path("me/", views.profile, name="profile"),
    path("me/tokens/", views.token_create, name="token_create"),
    path("me/tokens/<id:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path(
        "me/password/",
        auth_views.PasswordChangeView.as_view(
            success_url=reverse_lazy("accounts:password_change_done")
        ),
        name="password_change",
    ),
    path(
        "me/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("delegations/new/", views.delegation_create, name="delegation_create"),
    path("delegations/<id:pk>/revoke/", views.delegation_revoke, name="delegation_revoke"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/new/", views.staff_create, name="staff_create"),
    path("staff/<id:pk>/", views.staff_detail, name="staff_detail"),
    path("staff/<id:pk>/edit/", views.staff_edit, name="staff_edit"),
    path("staff/<id:pk>/roles/", views.staff_roles, name="staff_roles"),
    path("staff/<id:pk>/active/", views.staff_active, name="staff_active"),
    path("departments/", views.department_list, name="department_list"),
    path("departments/new/", views.department_edit, name="department_create"),
    path("departments/<id:pk>/", views.department_edit, name="department_edit"),
]
