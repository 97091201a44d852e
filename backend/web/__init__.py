"""Server-rendered pages: the layout, templates, static files, page sessions and CSRF tokens."""
