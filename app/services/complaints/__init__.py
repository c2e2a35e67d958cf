"""Intake and the complaint itself: registration from every channel, the customer's answers and links,
the case file staff read and what the customer may see."""
