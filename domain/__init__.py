"""The domain's language, shared by loaders, metrics and exports: step statuses and the measuring system."""
