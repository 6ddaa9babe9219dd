"""Following a job in flight: when to poll next, and the thread whose loop does it."""
