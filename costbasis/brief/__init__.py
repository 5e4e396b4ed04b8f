"""`costbasis brief`: the market brief for a date, every sentence a figure from the engine with its source."""
