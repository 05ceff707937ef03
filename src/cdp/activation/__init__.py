"""Activation: the segments declared in ``segments.yml``, exported for their channels with
consent applied."""
