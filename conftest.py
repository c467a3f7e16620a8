# The suite's machinery lives in conformance/; this root conftest only switches it on.
pytest_plugins = ["conformance.plugin", "conformance.host_fixture"]  # host: testinfra's idiom, guarded
