"""The product in a real browser: signing in lands each role on its home, in Spanish."""

from playwright.sync_api import expect


def test_a_collector_signs_in_and_sees_their_queue_in_spanish(sign_in, carla, diego, live_server):
    page = sign_in(carla)

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_text(diego.full_name).first).to_be_visible()


def test_a_wrong_password_shows_a_message_and_stays_on_the_form(sign_in, carla, live_server):
    page = sign_in(carla, password="not the password")

    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("input[name=username]")).to_have_value("carla")
