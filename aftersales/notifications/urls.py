from django.urls import path

from aftersales.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.outbox, name="outbox"),
    path("offline/", views.offline, name="offline"),
    path("<int:pk>/", views.message_detail, name="detail"),
    path("<int:pk>/letter/", views.letter, name="letter"),
    path("<int:pk>/retry/", views.message_retry, name="retry"),
    path("<int:pk>/done/", views.message_done, name="done"),
    path("<int:pk>/cancel/", views.message_cancel, name="cancel"),
]
