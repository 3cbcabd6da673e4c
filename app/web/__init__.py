"""What the service renders for people: the overview page, offline API docs and charts."""
