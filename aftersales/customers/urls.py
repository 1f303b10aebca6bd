from django.urls import path

from aftersales.customers import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("<id:pk>/", views.customer_detail, name="detail"),
    path("<id:pk>/edit/", views.customer_edit, name="edit"),
    path("<id:pk>/anonymise/", views.customer_anonymise, name="anonymise"),
]
