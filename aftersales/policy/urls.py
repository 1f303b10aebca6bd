from django.urls import path

from aftersales.policy import views

app_name = "policy"
urlpatterns = [
    path("", views.policy_list, name="list"),
    path("drafts/", views.policy_draft_create, name="draft_create"),
    path("<int:number>/", views.policy_detail, name="detail"),
    path("<int:number>/edit/", views.policy_edit, name="edit"),
    path("<int:number>/approve/", views.policy_approve, name="approve"),
    path("<int:number>/withdraw/", views.policy_withdraw, name="withdraw"),
]
