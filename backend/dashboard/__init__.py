"""The city's dashboard: tier counts against district targets, trends, award totals, as SVG."""
