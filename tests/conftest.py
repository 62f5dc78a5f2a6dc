"""Suite-wide pytest configuration: pytester runs throwaway projects for the plugin tests."""

pytest_plugins = ["pytester"]
