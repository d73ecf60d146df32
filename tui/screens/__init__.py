"""The screens of the control center, one module per screen."""
