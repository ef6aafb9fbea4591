from django.urls import path

from debtors import import_views, views

app_name = "debtors"
urlpatterns = [
    path("", views.debtor_list, name="list"),
    path("portfolios/", views.portfolio_list, name="portfolios"),
    path("portfolios/<int:pk>/assign/", import_views.portfolio_assign, name="portfolio_assign"),
    path("imports/", import_views.import_list, name="imports"),
    path("imports/new/", import_views.import_new, name="import_new"),
    path("imports/new/<str:token>/", import_views.import_mapping, name="import_mapping"),
    path("imports/<int:pk>/", import_views.import_detail, name="import_detail"),
    path("imports/<int:pk>/rejected.csv", import_views.import_rejected, name="import_rejected"),
    path("imports/<int:pk>/again/", import_views.import_run_again, name="import_run_again"),
]
