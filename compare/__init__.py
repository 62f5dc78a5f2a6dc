"""compare: run scratch and its torch twin on the same data and judge every number."""
