from followups.models import Call
from tests.followups.conftest import answer_with_call


def test_smoke(client, am, account, rm, director, admin_user):
    call = answer_with_call(account, score=3, reason="<b>late</b>")
    assert call.assignee == am
    client.force_login(am)
    for url in ["/calls/", f"/calls/{call.pk}/", f"/calls/{call.pk}/reassign/", "/calls/cover/", "/calls/discipline/"]:
        r = client.get(url)
        assert r.status_code == 200, (url, r.content[:3000])
    client.force_login(rm)
    for url in ["/calls/overdue/", "/calls/discipline/", f"/calls/{call.pk}/"]:
        assert client.get(url).status_code == 200, url
    client.force_login(admin_user)
    assert client.get("/calls/settings/").status_code == 200
    client.force_login(am)
    r = client.post(f"/calls/{call.pk}/attempt/", {"outcome": "reached", "root_cause": 1, "agreed": "Fix it"})
    assert r.status_code == 302, r.content.decode()[:3000]
    r = client.get(f"/calls/{call.pk}/")
    assert b"Close the loop" in r.content
    print(r.content.decode()[-4000:])
    assert Call.objects.get().state == "reached"
