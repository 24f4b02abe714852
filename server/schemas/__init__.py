"""marshmallow schemas: what goes in and out of the API. Sync mutations load their args with the same ones."""
