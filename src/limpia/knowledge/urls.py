from django.urls import path

from limpia.knowledge import views

app_name = "knowledge"
urlpatterns = [
    path("knowledge/", views.document_list, name="list"),
    path("knowledge/<int:pk>/", views.document_detail, name="detail"),
    path("knowledge/<int:pk>/download/", views.document_download, name="download"),
]
