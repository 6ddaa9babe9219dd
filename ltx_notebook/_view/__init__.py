"""What a person sees, as HTML and tables: cells, grids, reports, labels, comparisons."""
