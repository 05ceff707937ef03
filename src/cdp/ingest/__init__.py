"""Raw loads of the landing zone into the warehouse."""
