from django.shortcuts import render

from aftersales.core.permissions import permission_required


@permission_required("notifications.view_message")
def outbox(request):
    return render(request, "notifications/outbox.html", {"messages_page": []})
