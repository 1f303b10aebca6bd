from django.urls import path

from aftersales.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.outbox, name="outbox"),
    path("offline/", views.offline, name="offline"),
    path("<id:pk>/", views.message_detail, name="detail"),
    path("<id:pk>/letter/", views.letter, name="letter"),
    path("<id:pk>/retry/", views.message_retry, name="retry"),
    path("<id:pk>/done/", views.message_done, name="done"),
    path("<id:pk>/cancel/", views.message_cancel, name="cancel"),
]
