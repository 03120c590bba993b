"""Turn-by-turn training exercises built on the tocsim engine."""
