from django.urls import path

from debtors import views

app_name = "debtors"
urlpatterns = [
    path("", views.debtor_list, name="list"),
    path("<int:pk>/", views.debtor_detail, name="detail"),
    path("portfolios/", views.portfolio_list, name="portfolios"),
]
