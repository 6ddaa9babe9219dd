"""Running work: jobs and sweeps, their session, the runtime thread and the poll schedule."""
