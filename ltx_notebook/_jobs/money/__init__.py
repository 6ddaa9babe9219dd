"""What jobs cost: estimates learned from real charges, and the budget checked before a send."""
