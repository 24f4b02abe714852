"""The rules that are not HTTP. REST routes and sync mutations both call these."""
