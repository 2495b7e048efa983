"""Regional smart-specialisation (S3) priorities, set by admins and regional authorities."""
