from django.urls import path

from aftersales.proposals import views, views_list, views_mail, views_rewards

app_name = "proposals"

urlpatterns = [
    path("", views_list.proposal_list, name="list"),
    path("summary/", views_list.proposal_summary, name="summary"),
    path("export.xlsx", views_list.proposal_export, name="export"),
    path("<id:pk>/", views.proposal_detail, name="detail"),
    path("new/", views.proposal_record, name="record"),
    path("<id:pk>/accept/", views.proposal_accept, name="accept"),
    path("<id:pk>/close/", views.proposal_close, name="close"),
    path("<id:pk>/route/", views.proposal_route, name="route"),
    path("study/<id:pk>/opinion/", views.study_opinion, name="opinion"),
    path("<id:pk>/adopt/", views.proposal_adopt, name="adopt"),
    path("<id:pk>/not-adopt/", views.proposal_not_adopt, name="not_adopt"),
    path("<id:pk>/reserve/", views.proposal_reserve, name="reserve"),
    path("<id:pk>/extend/", views.proposal_extend, name="extend"),
    path("<id:pk>/implemented/", views.proposal_implemented, name="implemented"),
    path("<id:pk>/development/", views.proposal_development, name="development"),
    path("attachments/<id:pk>/", views.attachment_download, name="attachment"),
    # P5 acceptance record, P11 rewards, P12 certificates (views_rewards).
    path("<id:pk>/acceptance-record.pdf", views_rewards.acceptance_pdf, name="acceptance_pdf"),
    path("<id:pk>/evaluation/open/", views_rewards.evaluation_open, name="evaluation_open"),
    path("evaluations/<id:pk>/score/", views_rewards.score, name="score"),
    path("evaluations/<id:pk>/close/", views_rewards.close_scoring, name="close_scoring"),
    path("evaluations/<id:pk>/approve/", views_rewards.reward_approve, name="reward_approve"),
    path("evaluations/<id:pk>/pay/", views_rewards.reward_pay, name="reward_pay"),
    # P4: mail the intake read, the quarantine and its retry (views_mail).
    path("mail/", views_mail.mail_list, name="mail_list"),
    path("mail/<id:pk>/", views_mail.mail_detail, name="mail_detail"),
    path("mail/<id:pk>/raw/", views_mail.mail_raw, name="mail_raw"),
    path("mail/<id:pk>/retry/", views_mail.mail_retry, name="mail_retry"),
    path("certificates/", views_rewards.certificate_list, name="certificates"),
    path(
        "certificates/<id:pk>/download/",
        views_rewards.certificate_download,
        name="certificate_download",
    ),
]
