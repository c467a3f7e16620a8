"""The owner's own checks, in testinfra's idiom: copy one to start yours.

`host` is the Mini (this folder's host), read-only: every command goes through the suite's runner
and its allowlist, and shows up in the run's evidence under the test that sent it.
"""
HOME = "/home/christopherbailey"


def test_uv_at_the_documented_path_is_executable(host):
    uv = host.file(f"{HOME}/.local/bin/uv")
    assert uv.is_file and uv.mode & 0o111, f"{uv.path}: mode {oct(uv.mode)}"


def test_open_webui_data_dir_belongs_to_the_owner(host):
    data_dir = host.file(f"{HOME}/.open-webui")
    assert data_dir.is_directory
    assert data_dir.user == "christopherbailey"
