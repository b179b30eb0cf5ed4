"""The contact event feed: comments, logged activities, tasks and files beside the audit trail."""
