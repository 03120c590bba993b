"""Analysis of tocsim runs: plots, comparisons, sensitivity (uses ``sim`` through its API)."""
