"""Procedure versions: deploy, drafts, the validation gate and migrating running complaints."""
