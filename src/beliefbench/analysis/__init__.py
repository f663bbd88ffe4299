"""Analysis of belief logs: loading, reports, plots, the CI gate, sweeps, judge agreement."""
