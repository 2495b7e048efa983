"""HTTP conventions shared by the services: errors, auth, middleware, health, pagination."""
