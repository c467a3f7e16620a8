"""The owner's own checks on the DietPi, in testinfra's idiom: copy one to start yours."""


def test_home_assistant_is_running(host):
    assert host.service("home-assistant.service").is_running
