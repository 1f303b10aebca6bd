from django.urls import path

from aftersales.policy import views

app_name = "policy"
urlpatterns = [
    path("", views.policy_list, name="list"),
    path("drafts/", views.policy_draft_create, name="draft_create"),
    path("<id:number>/", views.policy_detail, name="detail"),
    path("<id:number>/edit/", views.policy_edit, name="edit"),
    path("<id:number>/approve/", views.policy_approve, name="approve"),
    path("<id:number>/withdraw/", views.policy_withdraw, name="withdraw"),
]
