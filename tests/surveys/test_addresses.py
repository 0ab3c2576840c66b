"""Where a typed address points: webhooks and chat alerts post only to the internet."""

import pytest

from surveys.addresses import address_inside, host_resolves_inside


@pytest.mark.parametrize("host", [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0", "224.0.0.1",
    "::1", "fe80::1%eth0", "fc00::1", "localhost", "LOCALHOST.", "api.localhost",
])
def test_this_machine_private_networks_and_multicast_are_inside(host):
    assert address_inside(host)


@pytest.mark.parametrize("host", ["8.8.8.8", "2606:4700:4700::1111", "hooks.slack.com", "example.com"])
def test_global_addresses_and_other_names_are_not_inside_by_themselves(host):
    assert not address_inside(host)


def test_a_name_is_inside_when_it_resolves_inside():
    assert host_resolves_inside("localhost")
    assert host_resolves_inside("127.0.0.1")
    assert not host_resolves_inside("8.8.8.8")
