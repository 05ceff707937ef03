"""What each source system records of the simulated people: one mixin of
``cdp.generator.simulate.Simulation`` per source."""
